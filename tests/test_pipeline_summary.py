"""The run summary publish writes and emits (thinline/pipeline.py: write_summary)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from extract.base import Window
from thinline.pipeline import per_source, write_summary

WINDOW = Window(datetime(2026, 3, 10, tzinfo=UTC), datetime(2026, 3, 11, tzinfo=UTC))
EXTRACTS = [{"source": "hubspot", "rows": {"contacts": 3}, "skipped": {}}]
CHECKS = {"passed": 1, "failed": 0, "warnings": 0}
PUBLISHED = {"tables": ["fct_deals"], "not_kept": [], "ended_sessions": []}


def test_the_summary_returned_is_the_document_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THINLINE_HOME", str(tmp_path))
    summary = write_summary("run-1", WINDOW, EXTRACTS, CHECKS, CHECKS, PUBLISHED)
    assert json.loads((tmp_path / "runs" / "latest.json").read_text()) == summary
    assert summary["window"] == {"start": WINDOW.start.isoformat(), "end": WINDOW.end.isoformat()}
    assert summary["published_tables"] == ["fct_deals"]


def test_an_unwritable_state_folder_does_not_fail_a_publish_that_happened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "runs").write_text("a file where the folder should be")
    monkeypatch.setenv("THINLINE_HOME", str(tmp_path))
    summary = write_summary("run-2", WINDOW, EXTRACTS, CHECKS, CHECKS, PUBLISHED)
    assert summary["run_id"] == "run-2"  # still what the Asset event carries
    assert "run summary not written" in caplog.text


def test_the_accounts_of_a_source_add_up_to_one_result_per_source() -> None:
    def account(name: str, rows: int, reason: str) -> dict:
        return {
            "source": "meta_ads",
            "accounts": [name],
            "rows": {"ad_accounts": 1, "ad_daily_insights": rows},
            "deleted": {"campaigns": 1},
            "total_rows": rows + 1,
            "skipped": {"ad_daily_insights": {reason: 1}},
            "quarantined": {"campaigns": {"null key [QUAR-001]": 2}},
            "quarantine_open": {"campaigns": 2},
            "preflight_warnings": [f"act_{name} is in grace period"],
        }

    hubspot = {"source": "hubspot", "accounts": [""], "rows": {"contacts": 3}, "total_rows": 3}
    # as the gate receives them: one list per source, one item per mapped task (account)
    merged = per_source([[hubspot], [account("1", 10, "day"), account("2", 5, "page")]])
    assert [item["source"] for item in merged] == ["hubspot", "meta_ads"]
    meta = merged[1]
    assert meta["accounts"] == ["1", "2"] and meta["total_rows"] == 17
    assert meta["rows"] == {"ad_accounts": 2, "ad_daily_insights": 15}
    assert meta["deleted"] == {"campaigns": 2}
    assert meta["skipped"] == {"ad_daily_insights": {"day": 1, "page": 1}}
    assert meta["quarantined"] == {"campaigns": {"null key [QUAR-001]": 4}}
    assert meta["quarantine_open"] == {"campaigns": 4}
    assert len(meta["preflight_warnings"]) == 2
    assert merged[0]["rows"] == {"contacts": 3} and merged[0]["skipped"] == {}
