"""The synthetic company, run once through `thinline run` for the whole test session.

`published_company` is shared by every integration module that only reads the result
(attribution, sales, report, ...): one full Airflow run instead of one per module. Tests
that change that warehouse afterwards carry the `changes_shared_run` marker and are moved
after every reader of it (under `make test` all of them run on one worker, in that order:
tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from sandbox import WorldConfig, build_world, serve
from sandbox.clock import parse_ms
from sandbox.world import World
from tests.conftest import create_database, drop_database

THINLINE = str(Path(sys.executable).parent / "thinline")
DAY = date(2026, 3, 10)
WORLD = WorldConfig(seed=11, scale=1.0, start=date(2026, 1, 1), end=DAY)
ALL_SOURCES = "hubspot,salesforce,google_ads,meta_ads,linkedin_ads,microsoft_ads,ecb"
CRM_PREFIXES = ("THINLINE_HUBSPOT__", "THINLINE_SALESFORCE__")
# Offline conversions on for the three ad platforms (thinline/conversions): two attempts in
# all, both in the first night, so the always-failing click ends failed in one run.
UPLOADS = ("google_ads", "meta_ads", "linkedin_ads")
CONVERSION_UPLOADS = {
    **{f"THINLINE_{name.upper()}__UPLOAD_CONVERSIONS": "true" for name in UPLOADS},
    "THINLINE_CONVERSIONS_MAX_ATTEMPTS": "2",
    "THINLINE_CONVERSIONS_ATTEMPTS_PER_RUN": "2",
    "THINLINE_CONVERSIONS_RETRY_WAIT_SECONDS": "0",
}
SQL_DATE = "hs_lifecyclestage_salesqualifiedlead_date"
CONSENT = "Freely given consent from contact"  # hs_legal_basis, the default granting value
# The deployment's dbt vars, as a user sets them: custom CRM fields surfaced without editing a
# model (test_custom_fields reads them back from analytics).
DBT_VARS = (
    "{custom_fields: {salesforce_opportunities: [Region__c], salesforce_accounts: [Tier__c], "
    "salesforce_leads: [Lead_Score__c], hubspot_deals: [{name: deal_region, column: region}], "
    "hubspot_contacts: [lead_grade]}}"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests that change the shared warehouse after all readers of it."""
    items.sort(key=lambda item: item.get_closest_marker("changes_shared_run") is not None)


def wait_for(
    condition: Callable[[], Any], what: str, timeout_s: float, interval_s: float = 2
) -> Any:
    """``condition()``'s first truthy value, asked every ``interval_s``; an AssertionError
    naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def run_thinline(home: Path, *args: str, extra_env: dict[str, str] | None = None) -> str:
    """Run the `thinline` command with its own state folder; fail the test on a non-zero exit."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("THINLINE_")}
    env = {**clean, "THINLINE_HOME": str(home), "THINLINE_START_DATE": "2026-01-01"}
    result = subprocess.run(
        [THINLINE, *args],
        env={**env, **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return result.stdout


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every published table and every raw table's content, minus load bookkeeping and
    minus analytics.rpt_data_health (the log of every run's checks: it grows by design)."""
    tables: dict[str, list[tuple]] = {}
    with psycopg.connect(url) as conn:
        names = conn.execute(
            "select table_schema, table_name, string_agg(column_name, ', ' order by column_name) "
            "from information_schema.columns "
            "where (table_schema = 'analytics' or table_schema like 'raw\\_%') "
            "and column_name not in ('_loaded_at', '_batch_id') "
            "and table_name <> 'rpt_data_health' "
            "group by 1, 2 order by 1, 2"
        ).fetchall()
        for schema, table, columns in names:
            rows = conn.execute(f'select {columns} from "{schema}"."{table}"').fetchall()
            tables[f"{schema}.{table}"] = sorted(rows, key=repr)
    return tables


@pytest.fixture(scope="session")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("nightly-home")
    yield home
    subprocess.run(
        [THINLINE, "warehouse", "stop"],
        env={**os.environ, "THINLINE_HOME": str(home)},
        check=False,
        capture_output=True,
    )


@pytest.fixture
def pg15_database() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL 15 (``THINLINE_TEST_PG15_URL``), dropped
    afterwards; the test is skipped when none is reachable."""
    server = os.environ.get(
        "THINLINE_TEST_PG15_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    try:
        url = create_database(server)
    except psycopg.OperationalError:
        pytest.skip(f"no PostgreSQL reachable at {server}")
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def world() -> World:
    return build_world(WORLD)


def crm_credentials_as_airflow_connections(env: dict[str, str]) -> dict[str, str]:
    """``env`` with the CRMs' settings moved into Airflow connections (``AIRFLOW_CONN_*``),
    as a deployment that keeps credentials in Airflow has them (thinline/connections.py)."""
    moved = {k: v for k, v in env.items() if not k.startswith(CRM_PREFIXES)}
    hubspot = {
        "conn_type": "http",
        "host": env["THINLINE_HUBSPOT__BASE_URL"],
        "password": env["THINLINE_HUBSPOT__TOKEN"],
    }
    salesforce = {
        "conn_type": "http",
        "host": env["THINLINE_SALESFORCE__BASE_URL"],
        "login": env["THINLINE_SALESFORCE__CLIENT_ID"],
        "password": env["THINLINE_SALESFORCE__CLIENT_SECRET"],
        "extra": {
            "token_url": env["THINLINE_SALESFORCE__TOKEN_URL"],
            "refresh_token": env["THINLINE_SALESFORCE__REFRESH_TOKEN"],
        },
    }
    moved["AIRFLOW_CONN_THINLINE_HUBSPOT"] = json.dumps(hubspot)
    moved["AIRFLOW_CONN_THINLINE_SALESFORCE"] = json.dumps(salesforce)
    return moved


def transient_gclid(world: World) -> str:
    """A consenting contact's gclid whose SQL came after the click: Google's stand-in answers
    its conversions with a transient error every time (test_conversions.py)."""
    clicked = {click.gclid: click.at_ms for click in world.google_ads.paid_clicks}
    for contact in world.hubspot.contacts:
        properties = contact.properties
        gclid, sql_at = properties.get("hs_google_click_id"), properties.get(SQL_DATE)
        if (
            gclid in clicked
            and sql_at
            and parse_ms(sql_at) > clicked[gclid]
            and CONSENT in (properties.get("hs_legal_basis") or "")
        ):
            return gclid
    raise AssertionError("the world holds no consenting contact with a gclid and an SQL")


@pytest.fixture(scope="session")
def published_company(home: Path, world: World) -> dict:
    """Run the nightly DAG twice for DAY; keep both outputs, the BI URL and both snapshots.
    The CRMs' credentials come from Airflow connections, the ad platforms' from THINLINE_*.
    Offline conversions are sent to the three ad platforms' stand-ins, one click of which
    always fails; what each stand-in received after each run is kept."""
    with serve(world) as sources:
        env = {
            **crm_credentials_as_airflow_connections(sources.env),
            "THINLINE_SOURCES": ALL_SOURCES,
            "THINLINE_DBT_VARS": DBT_VARS,
            **CONVERSION_UPLOADS,
        }
        flaky = transient_gclid(world)
        sources.google_ads.transient_click_ids.add(flaky)
        output = run_thinline(home, "run", "--date", DAY.isoformat(), extra_env=env)
        received = {name: list(sources.running[name].conversion_bodies) for name in UPLOADS}
        url = run_thinline(home, "warehouse", "url").strip()
        before = snapshot(url)
        rerun_output = run_thinline(home, "run", "--date", DAY.isoformat(), extra_env=env)
        after = snapshot(url)
    return {
        "output": output,
        "rerun_output": rerun_output,
        "url": url,
        "home": home,
        "before": before,
        "after": after,
        "env": env,
        "sources": sources,
        "received_first_run": received,
        "transient_gclid": flaky,
    }
