"""The nightly run's steps, as plain functions the Airflow tasks call.

Each takes the window or run id it needs and returns a small JSON-able dict (an XCom);
none imports Airflow, so every step can also run and be tested without it. Each holds the
warehouse's run lock while it works (thinline/run_lock.py): one run at a time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from extract.base import Window
from extract.runner import extract_source
from thinline.alerts import send_warning_digest
from thinline.conversions.ledger import ensure_ledger
from thinline.dbt import BUILD_SCHEMA, run_dbt
from thinline.publish import publish
from thinline.roles import bi_reader_password
from thinline.run_lock import task_lock
from thinline.settings import Settings, load_settings
from thinline.state import RunSummary, StateFolder, warehouse_url
from thinline.tested import passed_through, record_passed
from thinline.vacuum import vacuum_analyze_schema

log = logging.getLogger(__name__)


def accounts_to_extract(source: str) -> list[str]:
    """The accounts ``source``'s extract is mapped over (``[""]``: the whole source)."""
    accounts = load_settings().source_settings(source).accounts()
    if accounts != [""]:
        log.info("thinline | %s: %d accounts: %s", source, len(accounts), ", ".join(accounts))
    return accounts


def extract(source: str, window: Window, run_id: str, account: str | None = None) -> dict[str, Any]:
    """Pre-flight checks of ``source`` (of ``account`` only, when given; a FAIL stops here,
    before anything loads), then the extract of every stream."""
    from thinline.doctor import raise_on_failure, record, source_checks

    settings = load_settings()
    url = warehouse_url(settings)
    label = f"{source}[{account}]" if account else source
    with task_lock(url, f"extract_{label} of {run_id}", run_id):
        narrowed = settings.source_settings(source).for_account(account or "")
        checks = source_checks(source, narrowed, datetime.now(UTC).date())
        record(url, run_id, checks)
        raise_on_failure(checks)
        warnings = [check.line() for check in checks if check.level.value == "WARN"]
        for line in warnings:
            log.warning("thinline | pre-flight %s", line)
        summary = extract_source(
            source,
            settings.source_settings(source),
            window,
            url,
            settings.start_date,
            run_id=run_id,
            account=account,
        )
    log.info("thinline | extracted %s: %d rows", label, summary.total_rows)
    return {
        **summary.as_dict(),
        "quarantined": quarantined(settings, run_id, source, summary.accounts),
        "quarantine_open": open_quarantine(settings, source, summary.accounts),
        "preflight_warnings": warnings,
    }


def quarantined(
    settings: Settings, run_id: str, source: str, accounts: list[str]
) -> dict[str, dict[str, int]]:
    """Rows of ``source``'s ``accounts`` this run moved to ops.quarantine:
    ``{entity: {reason: rows}}``."""
    import psycopg

    from extract.loader import ensure_ops, quarantine_counts

    with psycopg.connect(warehouse_url(settings), autocommit=True) as conn:
        ensure_ops(conn)
        return quarantine_counts(conn, run_id, source, accounts)


def open_quarantine(settings: Settings, source: str, accounts: list[str]) -> dict[str, int]:
    """Records of ``source``'s ``accounts`` still quarantined, whatever run put them there:
    ``{entity: rows}``."""
    import psycopg

    from extract.loader import ensure_ops, open_quarantine_counts

    with psycopg.connect(warehouse_url(settings), autocommit=True) as conn:
        ensure_ops(conn)
        return open_quarantine_counts(conn, source, accounts)


def per_source(extracts: Iterable[Any]) -> list[dict[str, Any]]:
    """The extract results of a night, one per source: the mapped tasks' results (a list per
    source, one item per account) added together, sources in their first order."""
    merged: dict[str, dict[str, Any]] = {}
    for item in _flat(extracts):
        into = merged.setdefault(
            item["source"],
            {"source": item["source"], "accounts": [], "preflight_warnings": [], "total_rows": 0},
        )
        into["accounts"] += item.get("accounts", [""])
        into["preflight_warnings"] += item.get("preflight_warnings", [])
        into["total_rows"] += item.get("total_rows", 0)
        for name in ("rows", "deleted", "quarantine_open"):
            _add(into.setdefault(name, {}), item.get(name, {}))
        for name in ("skipped", "quarantined"):
            nested = into.setdefault(name, {})
            for entity, counts in item.get(name, {}).items():
                _add(nested.setdefault(entity, {}), counts)
    return list(merged.values())


def _flat(extracts: Iterable[Any]) -> Iterator[dict[str, Any]]:
    for item in extracts:
        if isinstance(item, dict):
            yield item
        else:  # a mapped task's results
            yield from _flat(item)


def _add(into: dict[str, int], counts: dict[str, int]) -> None:
    for key, count in counts.items():
        into[key] = into.get(key, 0) + count


FULL_CHECKS_WEEKDAY = 7  # Sunday's night (ISO weekday of the run's day) re-reads every row


def raw_check_scope(settings: Settings, window: Window | None) -> str:
    """``batch`` (the rows this run loaded; for dbt's tests that opt in, the rows this run
    derived: dbt_project/macros/test_scope.sql), or ``full`` once a week and on demand
    (``THINLINE_FULL_CHECKS``)."""
    weekly = window is not None and window.start.isoweekday() == FULL_CHECKS_WEEKDAY
    return "full" if settings.full_checks or weekly else "batch"


def validate_raw(run_id: str, sources: list[str], window: Window | None = None) -> dict[str, Any]:
    from quality import validate_raw as run_suites  # GX is heavy: import inside the task

    settings = load_settings()
    url = warehouse_url(settings)
    scope = raw_check_scope(settings, window)
    with task_lock(url, f"validate_raw of {run_id}", run_id):
        # Data Docs for this run go to <home>/site/data_docs (quality/docs.py).
        report = run_suites(url, run_id, sources=sources, home=settings.home, scope=scope)
    log.info("thinline | raw quality (%s): %s", scope, report.summary_line())
    return {"passed": report.passed, "failed": report.failed, "warnings": report.warnings}


def build_args(settings: Settings) -> list[str]:
    """The night's dbt build: every model, snapshot and test (the seeds are loaded first).
    Incremental models re-derive only what changed, unless THINLINE_FULL_REFRESH."""
    refresh = ["--full-refresh"] if settings.full_refresh else []
    return ["build", "--exclude", "resource_type:seed", *refresh]


def transform(run_id: str, window: Window | None = None) -> dict[str, Any]:
    """dbt seed and build. ``window``: the run's data interval; its last day is the build's
    "today" (an open HubSpot deal's rate day), so a re-run of the night builds the same."""
    settings = load_settings()
    url, sources = warehouse_url(settings), settings.source_names()
    as_of = (window.end - timedelta(microseconds=1)).astimezone(UTC).date() if window else None
    with task_lock(url, f"transform of {run_id}", run_id):
        with psycopg.connect(url, autocommit=True) as conn:
            ensure_ledger(conn)  # rpt_conversion_sync reads it
            # a weekday night tests the rows derived since the last build that passed
            since = passed_through(conn) if raw_check_scope(settings, window) == "batch" else None
        run_dbt(["seed"], url, sources=sources)
        output = run_dbt(
            build_args(settings),
            url,
            sources=sources,
            as_of=as_of,
            test_scope="batch" if since else "full",
            tested_since=since,
        )
        with psycopg.connect(url, autocommit=True) as conn:
            record_passed(conn)
    done = [line for line in output.splitlines() if "Done. PASS=" in line]
    log.info("thinline | dbt: %s", done[-1].strip() if done else "done")
    return {"dbt": done[-1].split("Done. ", 1)[-1].strip() if done else ""}


def validate_marts(run_id: str) -> dict[str, Any]:
    from quality import validate_marts as run_suites

    settings = load_settings()
    url = warehouse_url(settings)
    with task_lock(url, f"validate_marts of {run_id}", run_id):
        report = run_suites(
            url, run_id, schema=BUILD_SCHEMA, sources=settings.source_names(), home=settings.home
        )
    log.info("thinline | marts quality: %s", report.summary_line())
    return {"passed": report.passed, "failed": report.failed, "warnings": report.warnings}


def publish_marts(run_id: str) -> dict[str, Any]:
    from thinline.analyst.state import promote_published_manifest, stage_published_manifest

    settings = load_settings()
    url = warehouse_url(settings)
    with task_lock(url, f"publish of {run_id}", run_id):
        # The manifest analysts' dev builds compare to and defer to (thinline.analyst.state).
        staged = stage_published_manifest(url, settings.source_names(), settings.home)
        # Statistics and visibility map before BI's first query (thinline/vacuum.py).
        vacuum_analyze_schema(url, BUILD_SCHEMA)
        # bi_reader is created if missing and granted the new version before it goes live.
        tables = publish(url, BUILD_SCHEMA, bi_reader_password(settings.home))
        promote_published_manifest(staged, settings.home)
    log.info("thinline | published %d tables to analytics", len(tables))
    for line in tables.not_kept:
        log.warning("thinline | NOT KEPT %s", line)
    for line in tables.ended_sessions:
        log.warning("thinline | ended BI session %s", line)
    return {
        "tables": list(tables),
        "not_kept": tables.not_kept,
        "ended_sessions": tables.ended_sessions,
    }


def write_summary(
    run_id: str,
    window: Window,
    extracts: list[dict[str, Any]],
    raw_quality: dict[str, Any],
    marts_quality: dict[str, Any],
    published: dict[str, Any],
) -> dict[str, Any]:
    """Write the run summary to ``<state>/runs/latest.json`` and return it: what the published
    warehouse's Asset event carries to the DAGs scheduled on it (dags/thinline_report.py)."""
    settings = load_settings()
    folder = StateFolder.of(settings.home)
    summary = RunSummary(
        run_id=run_id,
        window_start=window.start.isoformat(),
        window_end=window.end.isoformat(),
        finished_at=datetime.now(UTC).isoformat(),
        sources=[item["source"] for item in extracts],
        rows_loaded={item["source"]: item["rows"] for item in extracts},
        quarantined={item["source"]: item.get("quarantined", {}) for item in extracts},
        quarantine_open={item["source"]: item.get("quarantine_open", {}) for item in extracts},
        skipped={item["source"]: item["skipped"] for item in extracts if item.get("skipped")},
        preflight_warnings=[
            line for item in extracts for line in item.get("preflight_warnings", [])
        ],
        checks={"raw": raw_quality, "marts": marts_quality},
        published_tables=published["tables"],
        not_kept=published.get("not_kept", []),
        ended_sessions=published.get("ended_sessions", []),
        report=str(folder.site / "index.html"),
    )
    try:
        log.info("thinline | run summary written to %s", summary.write(folder))
    except OSError as error:  # analytics is published: the Asset event still carries it
        log.warning("thinline | run summary not written to %s: %s", folder.runs, error)
    return json.loads(summary.to_json())  # the document of runs/latest.json


def send_digest(run_id: str) -> list[str]:
    """The night's quality warnings in one message (thinline/alerts.py); the channels reached."""
    settings = load_settings()
    if sent := send_warning_digest(settings, warehouse_url(settings), run_id):
        log.info("thinline | quality warnings sent to %s", ", ".join(sent))
    return sent


def send_conversions(run_id: str, window: Window) -> dict[str, Any]:
    """Send tonight's published outcomes to the ad platforms whose uploads are on
    (thinline/conversions/send.py); the platform's counts. ``window``'s end is "now" for the
    platforms' acceptance windows, so a rerun of the night decides as the first run did."""
    from thinline.conversions.send import UploadFailed
    from thinline.conversions.send import send_conversions as send

    settings = load_settings()
    url = warehouse_url(settings)
    with task_lock(url, f"send_conversions of {run_id}", run_id):
        sent = send(url, settings, window.end)
    if sent.errors:
        raise UploadFailed("; ".join(sent.errors))
    return sent.to_dict()


def report(summary: dict[str, Any] | None) -> str:
    """Build the report site (``<state>/site/index.html``, :mod:`thinline.report`) for the
    published run ``summary`` describes (None: the latest summary on disk); return its path."""
    from thinline.report import build_report  # plotly: import inside the task

    settings = load_settings()
    folder = StateFolder.of(settings.home)
    run = RunSummary.from_json(json.dumps(summary)) if summary else RunSummary.latest(folder)
    url = warehouse_url(settings)
    run_id = run.run_id if run else "no run"
    # shared with the reported run's tasks (its digest may still be running)
    with task_lock(url, f"report of {run_id}", run.run_id if run else None):
        index = build_report(url, folder.root, run)
    log.info("thinline | report of %s written", run_id)
    return str(index)


def require_settings() -> Settings:
    """Load settings and check them before any work; raises one-line :class:`ConfigError`."""
    settings = load_settings()
    for name in settings.source_names():
        settings.source_settings(name).check_credentials()
    return settings
