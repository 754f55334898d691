"""The run summary publish writes and emits (thinline/pipeline.py: write_summary)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from extract.base import Window
from thinline.pipeline import write_summary

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
