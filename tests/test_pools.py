"""The extract pools: one per enabled source, its slots the source's parallel accounts, as
`airflow pools import` reads them (`thinline pools`); a bad slot count is one error line.
`thinline airflow` creates them for real (tests/integration/test_airflow_local.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.conftest import one_error_line, run_cli
from thinline.pools import extract_pools

THINLINE = str(Path(sys.executable).parent / "thinline")


def test_each_source_has_a_pool_with_its_parallel_accounts_as_slots() -> None:
    pools = extract_pools(["hubspot", "meta_ads"], {"THINLINE_META_ADS__PARALLEL_ACCOUNTS": "2"})
    assert {name: pool["slots"] for name, pool in pools.items()} == {
        "thinline_hubspot": 4,
        "thinline_meta_ads": 2,
    }
    assert all(pool["include_deferred"] is False for pool in pools.values())


def test_thinline_pools_prints_what_airflow_imports(tmp_path: Path) -> None:
    result = run_cli(
        THINLINE,
        "pools",
        home=tmp_path,
        THINLINE_SOURCES="google_ads,linkedin_ads",
        THINLINE_GOOGLE_ADS__PARALLEL_ACCOUNTS="8",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "thinline_google_ads": {
            "slots": 8,
            "description": "google_ads accounts extracted at once "
            "(THINLINE_GOOGLE_ADS__PARALLEL_ACCOUNTS)",
            "include_deferred": False,
        },
        "thinline_linkedin_ads": {
            "slots": 4,
            "description": "linkedin_ads accounts extracted at once "
            "(THINLINE_LINKEDIN_ADS__PARALLEL_ACCOUNTS)",
            "include_deferred": False,
        },
    }


def test_a_parallel_accounts_below_one_is_one_error_line(tmp_path: Path) -> None:
    result = run_cli(
        THINLINE,
        "pools",
        home=tmp_path,
        THINLINE_SOURCES="meta_ads",
        THINLINE_META_ADS__PARALLEL_ACCOUNTS="0",
    )
    assert result.returncode != 0
    assert "PARALLEL_ACCOUNTS" in one_error_line(result).upper()
