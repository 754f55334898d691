"""The report's single HTML page: header, links, run summary and one block per section."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape

from thinline.report.data import Result, cell_text
from thinline.report.sections import Chart, Section
from thinline.state import RunSummary

MAX_TABLE_ROWS = 200  # the page shows this many rows of a chart's numbers; the CSV has all

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; color: #111827; background: #f9fafb; }
header { background: #111827; color: #f9fafb; padding: 1.2rem 2rem; }
header h1 { margin: 0 0 .3rem; font-size: 1.5rem; }
header a { color: #93c5fd; }
nav { padding: .6rem 2rem; background: #e5e7eb; font-size: .9rem; }
nav a { margin-right: 1rem; color: #1f2937; }
main { padding: 0 2rem 2rem; max-width: 1200px; }
section { margin-top: 2rem; }
figure { margin: 1rem 0; padding: 1rem; background: #fff; border: 1px solid #e5e7eb; }
figcaption { color: #4b5563; font-size: .9rem; margin-bottom: .5rem; }
h3 { margin: 0 0 .3rem; font-size: 1.05rem; }
table { border-collapse: collapse; font-size: .8rem; margin-top: .5rem; }
th, td { border: 1px solid #e5e7eb; padding: .2rem .5rem; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.note { background: #fef3c7; border: 1px solid #f59e0b; padding: .6rem 1rem; }
.summary td, .summary th { border: none; padding: .1rem .8rem .1rem 0; }
"""


@dataclass(frozen=True)
class ChartBlock:
    """One chart's result as the page shows it: figure HTML (none for a table) and CSV path."""

    chart: Chart
    result: Result
    figure_html: str | None
    csv_href: str


@dataclass(frozen=True)
class SectionBlock:
    section: Section
    missing: list[str]
    blocks: list[ChartBlock]


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    available: bool
    why_missing: str = ""


def render_page(
    sections: list[SectionBlock],
    summary: RunSummary | None,
    links: list[Link],
    generated_at: str,
) -> str:
    nav = "".join(
        f'<a href="#{block.section.section_id}">{escape(block.section.title)}</a>'
        for block in sections
    )
    body = "\n".join(_section(block) for block in sections)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Thinline nightly report</title>
<link rel="icon" href="data:,">
<style>{STYLE}</style>
<script src="assets/plotly.min.js"></script>
</head>
<body>
<header>
<h1>Thinline nightly report</h1>
{_run_line(summary, generated_at)}
<div>{" · ".join(_link(link) for link in links)}</div>
</header>
<nav>{nav}</nav>
<main>
{_summary(summary)}
{body}
</main>
</body>
</html>
"""


def _run_line(summary: RunSummary | None, generated_at: str) -> str:
    parts = [f"generated {escape(generated_at)}"]
    if summary is not None:
        interval = f"{summary.window_start} → {summary.window_end}"
        parts[:0] = [
            f"run <code>{escape(summary.run_id)}</code>",
            f"data interval {escape(interval)}",
        ]
    return f"<div>{' · '.join(parts)}</div>"


def _link(link: Link) -> str:
    if link.available:
        return f'<a href="{escape(link.href)}">{escape(link.label)}</a>'
    return f'<span title="{escape(link.why_missing)}">{escape(link.label)} (not built)</span>'


def _summary(summary: RunSummary | None) -> str:
    if summary is None or not summary.rows_loaded:
        return ""
    rows = "".join(
        f"<tr><th>{escape(source)}</th><td class='number'>{sum(counts.values())}</td>"
        f"<td>{escape(', '.join(f'{entity} {count}' for entity, count in counts.items()))}</td>"
        "</tr>"
        for source, counts in summary.rows_loaded.items()
    )
    checks = "".join(
        f"<tr><th>checks {escape(gate)}</th><td colspan='2'>{result['passed']} passed, "
        f"{result['failed']} failed, {result['warnings']} warnings</td></tr>"
        for gate, result in summary.checks.items()
    )
    published = ", ".join(f"analytics.{table}" for table in summary.published_tables)
    return f"""<section id="run"><h2>This run</h2>
<table class="summary"><tr><th colspan="3">rows loaded</th></tr>{rows}{checks}
<tr><th>published</th><td colspan="2">{escape(published)}</td></tr></table></section>"""


def _section(block: SectionBlock) -> str:
    section = block.section
    head = f'<section id="{section.section_id}"><h2>{escape(section.title)}</h2>'
    head += f"<p>{escape(section.intro)}</p>"
    if block.missing:
        tables = ", ".join(block.missing)
        note = (
            f'<p class="note missing">Not available in this warehouse: {escape(tables)} '
            "does not exist (its sources or models are not part of this run).</p>"
        )
        return head + note + "</section>"
    return head + "".join(_chart(chart) for chart in block.blocks) + "</section>"


def _chart(block: ChartBlock) -> str:
    chart, result = block.chart, block.result
    download = f'<a href="{escape(block.csv_href)}" download>CSV</a>'
    if not result.rows:
        body = '<p class="note empty">No rows yet.</p>'
    elif block.figure_html is None:
        body = _table(result)
    else:
        body = (
            f'<div class="chart" data-chart-id="{chart.chart_id}">{block.figure_html}</div>'
            f"<details><summary>Numbers</summary>{_table(result)}</details>"
        )
    return (
        f'<figure id="{chart.chart_id}"><h3>{escape(chart.title)}</h3>'
        f"<figcaption>{escape(chart.caption)} {download}</figcaption>{body}</figure>"
    )


def _table(result: Result) -> str:
    head = "".join(f"<th>{escape(column)}</th>" for column in result.columns)
    rows = []
    for row in result.rows[:MAX_TABLE_ROWS]:
        cells = "".join(
            f'<td class="number">{escape(cell_text(v))}</td>'
            if isinstance(v, int | float | Decimal) and not isinstance(v, bool)
            else f"<td>{escape(cell_text(v))}</td>"
            for v in row
        )
        rows.append(f"<tr>{cells}</tr>")
    more = ""
    if len(result.rows) > MAX_TABLE_ROWS:
        more = f"<p>First {MAX_TABLE_ROWS} of {len(result.rows)} rows; the CSV has them all.</p>"
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>{more}"
