"""`thinline run --demo` night after night: the demo company lives on (thinline/demo.py).

One fresh state folder, three runs: day D, day D+1, then D again. Each passes every gate; the
rerun of the older day rolls nothing back, and the deal snapshot records no re-opening that
the company never planted.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import psycopg
import pytest

from sandbox.hubspot_data import PIPELINES
from tests.conftest import run_cli
from tests.integration.conftest import THINLINE, run_thinline, snapshot

pytestmark = pytest.mark.integration

DAY = date(2026, 3, 10)
# A small company with a short past keeps three full runs to a few minutes.
DEMO = {"THINLINE_DEMO_SCALE": "0.5", "THINLINE_DEMO_HISTORY_DAYS": "21"}
CLOSED = {(p.pipeline_id, s.stage_id) for p in PIPELINES for s in p.stages if s.is_closed}


def demo_run(home: Path, day: date) -> str:
    """One full night (run_cli's two minutes are too short for one on a busy machine)."""
    output = run_thinline(home, "run", "--demo", "--date", day.isoformat(), extra_env=DEMO)
    assert re.search(r"checks marts: [1-9]\d* passed, 0 failed", output), output
    return output


def raw_tables(url: str) -> dict[str, list[tuple]]:
    """Every raw table's rows, minus load bookkeeping."""
    return {table: rows for table, rows in snapshot(url).items() if table.startswith("raw_")}


def snapshot_versions(url: str) -> dict[tuple[str, str], list[tuple[str, bool]]]:
    """Per deal, the (stage, is_closed) of each version the deal snapshot kept, oldest first."""
    versions: dict[tuple[str, str], list[tuple[str, bool]]] = {}
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select crm, deal_id::text, stage_id, is_closed from snapshots.snp_deal_stages "
            "order by crm, deal_id, dbt_valid_from"
        ).fetchall()
    for crm, deal_id, stage_id, is_closed in rows:
        versions.setdefault((crm, deal_id), []).append((stage_id, is_closed))
    return versions


def planted_deals(home: Path) -> dict[str, str]:
    """The served company's deals (id: created at), from the demo's truth.json."""
    truth = json.loads((home / "demo" / "truth.json").read_text())
    return {deal["deal_id"]: deal["created_at"] for deal in truth["deals"]}


def reopens(closed_flags: list[bool]) -> bool:
    return any(before and not after for before, after in pairwise(closed_flags))


def test_demo_nights_then_an_older_day_pass_every_gate_and_roll_nothing_back(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    try:
        demo_run(home, DAY)
        url = run_thinline(home, "warehouse", "url").strip()
        deals_of_day = planted_deals(home)

        demo_run(home, DAY + timedelta(days=1))  # yesterday's company plus one more day
        raw_after_next_day = raw_tables(url)
        versions_after_next_day = snapshot_versions(url)
        assert deals_of_day.items() < planted_deals(home).items(), "day D's deals are kept"

        rerun = demo_run(home, DAY)  # the older day again, served the latest state
        assert f"as of {DAY + timedelta(days=1)}" in rerun, rerun
        assert raw_tables(url) == raw_after_next_day, "the rerun rolled raw data back"
        versions = snapshot_versions(url)
        assert versions == versions_after_next_day, "the rerun recorded stage changes"

        truth = json.loads((home / "demo" / "truth.json").read_text())
        assert truth["config"]["end"] == (DAY + timedelta(days=1)).isoformat()
        planted = {
            ("hubspot", deal["deal_id"])
            for deal in truth["deals"]
            if reopens([(deal["pipeline"], stage) in CLOSED for _, stage in deal["stage_history"]])
        }
        recorded = {key for key, kept in versions.items() if reopens([c for _, c in kept])}
        assert recorded <= planted, f"re-openings that never happened: {recorded - planted}"
    finally:
        run_cli(THINLINE, "warehouse", "stop", home=home)
