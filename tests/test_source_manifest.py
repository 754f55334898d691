"""Adding a source is one folder: a throwaway source, ``acme_ads``, written into a copy of the
tree as ``extract/acme_ads/`` plus its staging models, reaches the settings, the nightly DAG,
the extract (pre-flight, loader, watermarks), the raw gates and dbt, with no other file of the
copy touched (extract/registry.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("extract", "thinline", "quality", "dags", "dbt_project", "sandbox")
NOT_COPIED = shutil.ignore_patterns("__pycache__", "target", "logs", "dbt_packages", ".user.yml")

# A source without an API: its one stream makes a row per day. What is tested is that the
# rest of Thinline finds it, not a vendor's wire format (the five real ones have stand-ins).
PACKAGE = '''
"""Acme Ads, a throwaway source (tests/test_source_manifest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from pydantic import SecretStr

from extract.base import LoadMode, RawRow, Stream, Window
from extract.connector import SourceManifest
from extract.preflight import Check, Level
from extract.settings import SourceSettings


class AcmeAdsSettings(SourceSettings):
    source: ClassVar[str] = "acme_ads"
    credentials: ClassVar[tuple[str, ...]] = ("api_key",)
    connection_password: ClassVar[str] = "api_key"

    base_url: str = "https://api.acme.invalid"
    api_version: str = "v1"
    api_key: SecretStr | None = None


def build_streams(settings: AcmeAdsSettings, *, sleep) -> list[Stream]:
    def fetch(window: Window) -> Iterator[RawRow]:
        for day in window.days():
            yield RawRow((day,), {"date": day.isoformat(), "spend": "12.50"})

    return [
        Stream("daily_spend", {"spend_date": "date"}, LoadMode.REPLACE_DAYS, fetch, "spend_date")
    ]


def run_preflight(settings: AcmeAdsSettings, today, *, sleep) -> list[Check]:
    return [Check("acme_ads", "connection", Level.OK, "answers")]


MANIFEST = SourceManifest(
    name="acme_ads",
    settings=AcmeAdsSettings,
    build_streams=build_streams,
    run_preflight=run_preflight,
    raw_suites="extract.acme_ads.quality",  # its suites live in its own folder
)
'''
SUITE = """
import great_expectations as gx

from quality.results import CRITICAL
from quality.suites.health import Health, column_day
from quality.suites.rules import LIVE, raw_table_expectations, rows_check


def build_daily_spend_suite() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="raw_acme_ads.daily_spend",
        expectations=[
            *raw_table_expectations(
                "ACME", {"spend_date": "date"}, {"spend_date": "record->>'date'"}
            ),
            rows_check(
                "ACME-010", CRITICAL, "spend is a number",
                "select spend_date from {batch} where " + LIVE
                + " and record->>'spend' !~ '^[0-9.]+$'",
            ),
        ],
    )


SUITES = {"raw_acme_ads.daily_spend": build_daily_spend_suite}
HEALTH = {"raw_acme_ads.daily_spend": Health("ACME", column_day("spend_date"), 3, CRITICAL)}
"""
VERSIONS = """
checked_on = 2026-12-01
setting = "api_version"
docs = "https://acme.invalid/versions"

[[versions]]
version = "v1"
released = 2026-01-01
source = "https://acme.invalid/versions"
"""
DBT_SOURCES = """
version: 2
sources:
  - name: acme_ads
    schema: raw_acme_ads
    tables:
      - name: daily_spend
"""
STAGING = """{{ config(enabled=source_enabled('acme_ads')) }}
select
    spend_date,
    cast(record ->> 'spend' as numeric(18, 2)) as spend
from {{ source('acme_ads', 'daily_spend') }}
where not is_deleted
"""
PROBE = """
import json, os, sys
from datetime import date
from pathlib import Path

import psycopg

from extract.base import Window, midnight
from thinline import pipeline
from thinline.dbt import run_dbt
from thinline.settings import load_settings

observed = {"extract_from": __import__("extract").__file__}
settings = load_settings()
observed["sources"] = settings.source_names()
observed["api_key"] = settings.source_settings("acme_ads").api_key.get_secret_value()

from airflow.dag_processing.dagbag import DagBag

dag = DagBag(dag_folder="dags").dags["thinline_nightly"]
observed["tasks"] = sorted(task for task in dag.task_ids if "acme" in task)

window = Window(midnight(date(2026, 11, 1)), midnight(date(2026, 11, 4)))
extracted = pipeline.extract("acme_ads", window, "manifest-run")
observed["rows"] = extracted["total_rows"]
observed["raw_quality"] = pipeline.validate_raw("manifest-run", ["acme_ads"], window)
url = os.environ["THINLINE_WAREHOUSE_URL"]
with psycopg.connect(url) as conn:
    observed["rules"] = sorted({row[0] for row in conn.execute(
        "select rule from ops.quality_results where table_name = 'raw_acme_ads.daily_spend'"
    )})
    observed["watermark"] = str(conn.execute(
        "select watermark from ops.watermarks where source = 'acme_ads'"
    ).fetchone()[0])

listed = {}
for enabled in (["acme_ads"], ["hubspot"]):
    out = run_dbt(["ls", "--resource-type", "model", "--output", "name"], url, sources=enabled)
    listed[enabled[0]] = "stg_acme_ads__daily_spend" in out.split()
observed["dbt_lists_staging"] = listed
run_dbt(["run", "--select", "stg_acme_ads__daily_spend"], url, sources=["acme_ads"])
with psycopg.connect(url) as conn:
    schema = conn.execute(
        "select table_schema from information_schema.views "
        "where table_name = 'stg_acme_ads__daily_spend'"
    ).fetchone()[0]
    observed["staged_spend"] = str(conn.execute(
        f"select sum(spend) from {schema}.stg_acme_ads__daily_spend"
    ).fetchone()[0])
print(json.dumps(observed))
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


def test_a_source_added_as_one_folder_reaches_every_part(
    tmp_path: Path, fresh_database: str
) -> None:
    tree = tmp_path / "tree"
    for name in COPIED:
        shutil.copytree(ROOT / name, tree / name, ignore=NOT_COPIED)
    write(tree / "extract/acme_ads/__init__.py", PACKAGE)
    write(tree / "extract/acme_ads/quality.py", SUITE)
    write(tree / "extract/acme_ads/versions.toml", VERSIONS)
    write(tree / "dbt_project/models/staging/acme_ads/_acme_ads__sources.yml", DBT_SOURCES)
    write(tree / "dbt_project/models/staging/acme_ads/stg_acme_ads__daily_spend.sql", STAGING)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("THINLINE_") or key.startswith("THINLINE_TEST_")
    }
    env |= {
        "PYTHONPATH": str(tree),  # ahead of the editable install's checkout
        "THINLINE_HOME": str(tmp_path / "home"),
        "THINLINE_WAREHOUSE_URL": fresh_database,
        "THINLINE_SOURCES": "hubspot,acme_ads",
        "THINLINE_ACME_ADS__API_KEY": "acme-key",
        "THINLINE_START_DATE": "2026-10-01",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tree, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    observed = json.loads(done.stdout.strip().splitlines()[-1])

    assert observed["extract_from"].startswith(str(tree))
    assert observed["sources"] == ["hubspot", "acme_ads"]
    assert observed["api_key"] == "acme-key"  # THINLINE_ACME_ADS__API_KEY, a known setting
    assert observed["tasks"] == ["extract.accounts_acme_ads", "extract.extract_acme_ads"]
    assert observed["rows"] == 34  # a first load reads from THINLINE_START_DATE: 34 days
    assert observed["watermark"].startswith("2026-11-04")
    assert observed["raw_quality"]["failed"] == 0
    # its own rules, the layout's and the health rules its HEALTH entry adds
    assert {
        "ACME-000",
        "ACME-001",
        "ACME-002",
        "ACME-007",
        "ACME-008",
        "ACME-009",
        "ACME-010",
    } <= set(observed["rules"])
    assert observed["dbt_lists_staging"] == {"acme_ads": True, "hubspot": False}
    assert observed["staged_spend"] == "425.00"  # 34 days at 12.50
