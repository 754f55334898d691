"""Any subset of sources builds (THINLINE_SOURCES): with a source off, its models are
disabled, so no enabled unit test may take one of them as an input (dbt only finds that out
at run time, as a parsing error in the middle of the nightly build)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from thinline.dbt import run_dbt

# dbt parse never connects; profiles.yml only needs its variables set.
OFFLINE_URL = "postgresql://parse:parse@127.0.0.1:1/parse"
SUBSETS = [
    ["hubspot"],
    ["salesforce"],
    ["google_ads"],
    ["meta_ads"],
    ["linkedin_ads"],
    ["microsoft_ads"],
    ["hubspot", "google_ads"],
    ["hubspot", "ecb"],
    ["google_ads", "meta_ads", "linkedin_ads", "microsoft_ads"],
]
REF = re.compile(r"""ref\(\s*['"](\w+)['"]\s*\)""")


@pytest.mark.parametrize("sources", SUBSETS, ids=",".join)
def test_enabled_unit_tests_only_take_enabled_models(sources: list[str], tmp_path: Path) -> None:
    run_dbt(
        ["parse", "--target-path", str(tmp_path), "--log-path", str(tmp_path)],
        OFFLINE_URL,
        sources=sources,
    )
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    enabled = {node["name"] for node in manifest["nodes"].values()}
    unit_tests = manifest["unit_tests"].values()
    missing = {
        f"{test['name']}: {name}"
        for test in unit_tests
        for given in test["given"]
        for name in REF.findall(given["input"])
        if name not in enabled
    }
    assert len(unit_tests) > 5  # the project's own unit tests were parsed
    assert not missing, f"unit tests whose inputs are disabled with {sources}: {sorted(missing)}"
