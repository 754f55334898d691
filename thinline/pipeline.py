"""The nightly run's steps, as plain functions the Airflow tasks call.

Each takes the window or run id it needs and returns a small JSON-able dict (an XCom);
none imports Airflow, so every step can also run and be tested without it.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from extract.base import Window
from extract.runner import extract_source
from thinline.dbt import BUILD_SCHEMA, run_dbt
from thinline.publish import publish
from thinline.roles import bi_reader_password
from thinline.settings import Settings, load_settings
from thinline.vacuum import vacuum_analyze_schema
from thinline.warehouse import EmbeddedWarehouse, check_reachable

log = logging.getLogger(__name__)


def warehouse_url(settings: Settings) -> str:
    """``THINLINE_WAREHOUSE_URL`` if set, else the embedded warehouse's URL."""
    if settings.warehouse_url is not None:
        url = settings.warehouse_url.get_secret_value()
    else:
        url = EmbeddedWarehouse(settings.home).url()
    check_reachable(url)
    return url


def extract(source: str, window: Window, run_id: str) -> dict[str, Any]:
    """Pre-flight checks of ``source`` (a FAIL stops here, before anything loads), then the
    extract of every stream."""
    from thinline.doctor import raise_on_failure, record, source_checks

    settings = load_settings()
    url = warehouse_url(settings)
    checks = source_checks(source, settings.source_settings(source), datetime.now(UTC).date())
    record(url, run_id, checks)
    raise_on_failure(checks)
    warnings = [check.line() for check in checks if check.level.value == "WARN"]
    for line in warnings:
        log.warning("thinline | pre-flight %s", line)
    summary = extract_source(
        source, settings.source_settings(source), window, url, settings.start_date, run_id=run_id
    )
    log.info("thinline | extracted %s: %d rows", source, summary.total_rows)
    return {
        **summary.as_dict(),
        "quarantined": quarantined(settings, run_id, source),
        "preflight_warnings": warnings,
    }


def quarantined(settings: Settings, run_id: str, source: str) -> dict[str, dict[str, int]]:
    """Rows of ``source`` this run moved to ops.quarantine: ``{entity: {reason: rows}}``."""
    import psycopg

    from extract.loader import ensure_ops, quarantine_counts

    with psycopg.connect(warehouse_url(settings), autocommit=True) as conn:
        ensure_ops(conn)
        return quarantine_counts(conn, run_id, source)


def validate_raw(run_id: str, sources: list[str]) -> dict[str, Any]:
    from quality import validate_raw as run_suites  # GX is heavy: import inside the task

    settings = load_settings()
    # Data Docs for this run go to <home>/site/data_docs (quality/docs.py).
    report = run_suites(warehouse_url(settings), run_id, sources=sources, home=settings.home)
    log.info("thinline | raw quality: %s", report.summary_line())
    return {"passed": report.passed, "failed": report.failed, "warnings": report.warnings}


def transform() -> dict[str, Any]:
    settings = load_settings()
    url, sources = warehouse_url(settings), settings.source_names()
    run_dbt(["seed"], url, sources=sources)
    output = run_dbt(["build", "--exclude", "resource_type:seed"], url, sources=sources)
    done = [line for line in output.splitlines() if "Done. PASS=" in line]
    log.info("thinline | dbt: %s", done[-1].strip() if done else "done")
    return {"dbt": done[-1].split("Done. ", 1)[-1].strip() if done else ""}


def validate_marts(run_id: str) -> dict[str, Any]:
    from quality import validate_marts as run_suites

    settings = load_settings()
    report = run_suites(
        warehouse_url(settings),
        run_id,
        schema=BUILD_SCHEMA,
        sources=settings.source_names(),
        home=settings.home,
    )
    log.info("thinline | marts quality: %s", report.summary_line())
    return {"passed": report.passed, "failed": report.failed, "warnings": report.warnings}


def publish_marts() -> dict[str, Any]:
    from thinline.analyst.state import promote_published_manifest, stage_published_manifest

    settings = load_settings()
    url = warehouse_url(settings)
    # The manifest analysts' dev builds compare to and defer to (see thinline.analyst.state).
    staged = stage_published_manifest(url, settings.source_names(), settings.home)
    # Statistics and visibility map before BI's first query (thinline/vacuum.py).
    vacuum_analyze_schema(url, BUILD_SCHEMA)
    # bi_reader is created if missing and granted the new version before it goes live.
    tables = publish(url, BUILD_SCHEMA, bi_reader_password(settings.home))
    promote_published_manifest(staged, settings.home)
    log.info("thinline | published %d tables to analytics", len(tables))
    return {"tables": tables}


def write_summary(
    run_id: str,
    window: Window,
    extracts: list[dict[str, Any]],
    raw_quality: dict[str, Any],
    marts_quality: dict[str, Any],
    published: dict[str, Any],
) -> dict[str, Any]:
    """Write the run summary to ``<state>/runs/latest.json``, then the report site
    (``<state>/site/index.html``, see :mod:`thinline.report`)."""
    settings = load_settings()
    summary = {
        "run_id": run_id,
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "finished_at": datetime.now(UTC).isoformat(),
        "rows_loaded": {item["source"]: item["rows"] for item in extracts},
        "quarantined": {item["source"]: item.get("quarantined", {}) for item in extracts},
        "skipped": {item["source"]: item["skipped"] for item in extracts if item.get("skipped")},
        "preflight_warnings": [
            line for item in extracts for line in item.get("preflight_warnings", [])
        ],
        "checks": {"raw": raw_quality, "marts": marts_quality},
        "published_tables": published["tables"],
    }
    from thinline.report import build_report, site_dir  # plotly: import inside the task

    summary["report"] = str(site_dir(settings.home) / "index.html")
    runs = Path(settings.home).resolve() / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    (runs / "latest.json").write_text(json.dumps(summary, indent=2))
    log.info("thinline | run summary written to %s", runs / "latest.json")
    build_report(warehouse_url(settings), settings.home, summary)
    return summary


def require_settings() -> Settings:
    """Load settings and check them before any work; raises one-line :class:`ConfigError`."""
    settings = load_settings()
    for name in settings.source_names():
        settings.source_settings(name).check_credentials()
    return settings
