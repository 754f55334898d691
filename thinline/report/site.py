"""Write the static report site under ``<state>/site``: index.html, plotly.js, one CSV per chart.

The site works offline and from ``file://``: plotly.js is copied from the plotly package
(nothing is fetched at run time). Other builders own their subfolders (``dbt_docs/``,
``data_docs/``); this module only writes ``index.html``, ``assets/`` and ``data/``.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import psycopg
from plotly.offline import get_plotlyjs

from thinline.report.data import fetch, missing_tables
from thinline.report.page import ChartBlock, Link, SectionBlock, render_page
from thinline.report.sections import SECTIONS, Section
from thinline.state import RunSummary, StateFolder

log = logging.getLogger(__name__)

PLOT_CONFIG = {"displaylogo": False, "responsive": True}


def site_dir(home: Path) -> Path:
    return StateFolder.of(home).site


def build_report(warehouse_url: str, home: Path, summary: RunSummary | None = None) -> Path:
    """The nightly run's report: the dbt docs (models and lineage), then the page."""
    from thinline.docs import build_dbt_docs  # runs dbt: imported only where it is used

    folder = StateFolder.of(home)
    build_dbt_docs(warehouse_url, folder.site / "dbt_docs", published=folder.published_state)
    return build_site(warehouse_url, home, summary)


def build_site(
    warehouse_url: str,
    home: Path,
    summary: RunSummary | None = None,
    now: datetime | None = None,
) -> Path:
    """Query the warehouse and write the site; return the path of its ``index.html``."""
    now = now or datetime.now(UTC)
    site = site_dir(home)
    (site / "assets").mkdir(parents=True, exist_ok=True)
    (site / "data").mkdir(parents=True, exist_ok=True)
    _write(site / "assets" / "plotly.min.js", get_plotlyjs())

    params = report_params(summary)
    with psycopg.connect(warehouse_url, options="-c timezone=UTC") as conn:
        # One snapshot for every chart, even if a publish swaps analytics meanwhile.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        blocks = [_section(conn, section, params, site) for section in SECTIONS]

    if summary:
        _write(site / "data" / "run_summary.json", summary.to_json())
    links = [
        _doc_link("dbt docs (lineage)", site, "dbt_docs/index.html", "dbt docs not built"),
        _doc_link("Data Docs (quality)", site, "data_docs/index.html", "GX Data Docs not built"),
    ]
    if summary:
        links.append(Link("run summary (JSON)", "data/run_summary.json", True))
    generated_at = now.isoformat(timespec="seconds")
    index = site / "index.html"
    _write(index, render_page(blocks, summary, links, generated_at))
    log.info("thinline | report written to %s", index)
    return index


def report_params(summary: RunSummary | None) -> dict[str, Any]:
    """``as_of``: the run's day (yesterday without a run); ``window_end``: its interval end."""
    if summary is not None:
        start = datetime.fromisoformat(summary.window_start)
        end = datetime.fromisoformat(summary.window_end)
    else:
        end = datetime.combine(datetime.now(UTC).date(), time(), tzinfo=UTC)
        start = end - timedelta(days=1)
    as_of: date = start.date()
    return {"as_of": as_of, "window_end": end}


def _section(
    conn: psycopg.Connection, section: Section, params: dict[str, Any], site: Path
) -> SectionBlock:
    missing = missing_tables(conn, section.requires)
    if missing:
        log.info("thinline | report section %s skipped: %s missing", section.section_id, missing)
        return SectionBlock(section, missing, [])
    blocks = []
    for chart in section.charts:
        result = fetch(conn, chart.sql, params)
        csv_href = f"data/{chart.chart_id}.csv"
        _write(site / csv_href, result.to_csv())
        figure_html = None
        if chart.draw is not None and result.rows:
            figure_html = chart.draw(result).to_html(
                full_html=False,
                include_plotlyjs=False,
                div_id=f"chart-{chart.chart_id}",
                config=PLOT_CONFIG,
                default_height="380px",
            )
        blocks.append(ChartBlock(chart, result, figure_html, csv_href))
    return SectionBlock(section, [], blocks)


def _doc_link(label: str, site: Path, href: str, why_missing: str) -> Link:
    return Link(label, href, (site / href).is_file(), why_missing)


def _write(path: Path, text: str) -> None:
    """Replace a file whole, so a reader (``thinline report open``) never sees half of it."""
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
