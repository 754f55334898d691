"""A source with three ad accounts through Airflow: the extract is mapped over the accounts;
one account fails, the other two commit, the failed one is retried alone, and the raw gate
starts only once all three are through (real ``airflow dags test``, real warehouse)."""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg

from sandbox import Faults, WorldConfig, build_world
from sandbox.meta_ads_server import MetaAdsServer
from thinline.airflow_runner import DAG_ID, _airflow, airflow_env, ensure_metadata_db
from thinline.interval import logical_date_for

DAY = date(2026, 3, 10)
WORLD = build_world(
    WorldConfig(seed=9, scale=0.3, start=date(2026, 2, 1), end=DAY, meta_ad_accounts=3)
)
EXTRACT = "extract.extract_meta_ads"
# The steps after the raw gate are other tests' business: Airflow marks them done unrun.
AFTER_THE_GATE = "^(transform|validate_marts|publish|digest|send_conversions)$"


def task_instances(airflow_home: Path) -> dict[tuple[str, str], tuple]:
    """``(task_id, label) -> (state, try_number, start, end)``; a mapped task's label is its
    rendered map index (the account), others' ``""``."""
    with sqlite3.connect(airflow_home / "airflow.db") as db:
        rows = db.execute(
            "select task_id, coalesce(rendered_map_index, ''), state, try_number, "
            "start_date, end_date from task_instance"
        ).fetchall()
    return {
        (task, label): (state, tries, _utc(start), _utc(end))
        for task, label, state, tries, start, end in rows
    }


def _utc(stamp: str | None) -> datetime | None:
    """SQLite keeps Airflow's UTC times as text, with or without the offset."""
    if stamp is None:
        return None
    moment = datetime.fromisoformat(stamp)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def loads(url: str) -> dict[str, list[tuple[str, datetime]]]:
    """Each account's load batches: ``account -> [(entity, loaded_at)]``."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select account, entity, loaded_at from ops.load_batches order by loaded_at"
        ).fetchall()
    found: dict[str, list[tuple[str, datetime]]] = {}
    for account, entity, loaded_at in rows:
        found.setdefault(account, []).append((entity, loaded_at))
    return found


def test_one_failing_account_is_retried_alone_and_the_raw_gate_waits_for_all(
    fresh_database: str, tmp_path: Path
) -> None:
    accounts = [str(account.account_id) for account in WORLD.meta_ads.accounts]
    failing = accounts[1]
    # One 5xx for the failing account's first request, and no client retry: its task fails.
    faults = Faults(server_errors=1)
    with MetaAdsServer(WORLD, faults=faults, fault_accounts=[int(failing)]) as meta:
        env = airflow_env(
            tmp_path / "home",
            {
                **meta.env(),
                "THINLINE_HOME": str(tmp_path / "home"),
                "THINLINE_WAREHOUSE_URL": fresh_database,
                "THINLINE_SOURCES": "meta_ads",
                "THINLINE_START_DATE": "2026-02-01",
                "THINLINE_META_ADS__MAX_RETRIES": "0",
                "THINLINE_TASK_RETRIES": "1",
                "THINLINE_TASK_RETRY_DELAY_SECONDS": "1",
                "THINLINE_PUBLISH_DEADLINE": "off",
            },
        )
        log = tmp_path / "airflow.log"
        ensure_metadata_db(env, log)
        result = subprocess.run(
            [
                _airflow(),
                "dags",
                "test",
                DAG_ID,
                logical_date_for(DAY).isoformat(),
                "--mark-success-pattern",
                AFTER_THE_GATE,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        faulted = [r.path for r in meta.requests if r.fault]
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert faulted and all(f"act_{failing}" in path for path in faulted)

    tis = task_instances(Path(env["AIRFLOW_HOME"]))
    extracts = {label: ti for (task, label), ti in tis.items() if task == EXTRACT}
    assert set(extracts) == set(accounts)  # one mapped task per account, named by it
    assert {label: ti[:2] for label, ti in extracts.items()} == {
        account: ("success", 2 if account == failing else 1) for account in accounts
    }
    gate = tis[("validate_raw", "")]
    assert gate[0] == "success"
    assert gate[2] >= max(ti[3] for ti in extracts.values())  # it waited for the retry

    batches = loads(fresh_database)
    entities = {"ad_accounts", "campaigns", "ads", "ad_daily_insights"}
    for account in accounts:  # each committed every stream exactly once
        assert sorted(entity for entity, _ in batches[account]) == sorted(entities)
    retried_from = extracts[failing][2]  # the failed account's second try began here
    for account in accounts:
        committed_before = all(at < retried_from for _, at in batches[account])
        assert committed_before == (account != failing), account
    with psycopg.connect(fresh_database) as conn:
        marks = conn.execute("select account, count(*) from ops.watermarks group by 1").fetchall()
    assert dict(marks) == {account: len(entities) for account in accounts}
