"""Plotly figures from query results: a few chart shapes the report's sections share."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from thinline.report.data import Result

# Fourteen distinct colours: enough for every channel (or model) of one chart.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#ad494a",
    "#637939",
    "#ce6dbd",
)
BAR_HEIGHT = 22  # pixels per category of a horizontal bar chart


def layout(figure: go.Figure, y_title: str = "", *, barmode: str = "group") -> go.Figure:
    figure.update_layout(
        template="plotly_white",
        colorway=PALETTE,
        barmode=barmode,
        height=400,
        margin={"l": 60, "r": 20, "t": 30, "b": 60},
        legend={"orientation": "h", "y": -0.25},
        yaxis_title=y_title,
        xaxis={"automargin": True, "tickangle": -30},
        font={"family": "system-ui, sans-serif", "size": 12},
    )
    return figure


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def bars(
    result: Result,
    x: str,
    series: dict[str, str],
    y_title: str = "",
    *,
    stacked: bool = False,
    reference: float | None = None,
    cap: float | None = None,
    horizontal: bool = False,
    colors: tuple[str, ...] | None = None,
) -> go.Figure:
    """Bars with one trace per column in ``series`` ({column: legend label}); ``horizontal``
    for many long category names (one row each, in the query's order); ``colors`` per trace
    where they mean something (green passed, red failed)."""
    categories = result.column(x)
    traces = []
    for index, (column, label) in enumerate(series.items()):
        values = [_number(v) for v in result.column(column)]
        marker = {"color": colors[index]} if colors else None
        if horizontal:
            traces.append(
                go.Bar(name=label, y=categories, x=values, orientation="h", marker=marker)
            )
        else:
            traces.append(go.Bar(name=label, x=categories, y=values, marker=marker))
    figure = _finish(go.Figure(traces), y_title, stacked, reference, cap)
    if horizontal:
        figure.update_layout(
            height=max(400, BAR_HEIGHT * len(categories) + 140),
            xaxis={"title": y_title, "tickangle": 0},
            yaxis={"title": "", "autorange": "reversed", "automargin": True},
            legend={"y": 1.02, "yanchor": "bottom"},
        )
    return figure


def bars_by(
    result: Result,
    x: str,
    group: str,
    y: str,
    y_title: str = "",
    *,
    stacked: bool = False,
    reference: float | None = None,
    cap: float | None = None,
) -> go.Figure:
    """Bars with one trace per value of ``group`` (e.g. one per attribution model), in the
    order the query returned them."""
    groups: dict[Any, tuple[list[Any], list[float | None]]] = {}
    for record in result.records():
        xs, ys = groups.setdefault(record[group], ([], []))
        xs.append(record[x])
        ys.append(_number(record[y]))
    figure = go.Figure([go.Bar(name=str(name), x=xs, y=ys) for name, (xs, ys) in groups.items()])
    return _finish(figure, y_title, stacked, reference, cap)


def _finish(
    figure: go.Figure,
    y_title: str,
    stacked: bool,
    reference: float | None,
    cap: float | None,
) -> go.Figure:
    """Shared layout. ``reference`` draws a dashed line (1 = on pace, 3 = coverage target);
    ``cap`` cuts the value axis there when one outlier would flatten every other bar."""
    layout(figure, y_title, barmode="stack" if stacked else "group")
    if reference is not None:
        figure.add_hline(y=reference, line_dash="dash", line_color="#6b7280")
    if cap is None:
        return figure
    values = [v for trace in figure.data for v in (trace.y or ()) if v is not None]
    if values and max(values) > cap:
        figure.update_yaxes(range=[0, cap])
        figure.add_annotation(
            text=f"axis cut at {cap:g} (highest {max(values):,.1f}; see Numbers)",
            xref="paper",
            yref="paper",
            x=0,
            xanchor="left",
            y=1.08,
            showarrow=False,
            font={"size": 11, "color": "#6b7280"},
        )
    return figure


def heatmap(
    result: Result,
    x: str,
    y: str,
    z: str,
    columns: tuple[str, ...],
    *,
    middle: float,
    top: float,
    z_title: str,
) -> go.Figure:
    """A grid of ``y`` rows (in the query's order) by ``columns``, coloured red below
    ``middle`` and green above it (saturated from ``top``), each cell labelled with its value."""
    rows = list(dict.fromkeys(result.column(y)))
    grid: list[list[float | None]] = [[None] * len(columns) for _ in rows]
    for record in result.records():
        grid[rows.index(record[y])][columns.index(record[x])] = _number(record[z])
    figure = go.Figure(
        go.Heatmap(
            z=grid,
            x=list(columns),
            y=rows,
            zmin=0,
            zmid=middle,
            zmax=top,
            colorscale="RdYlGn",
            texttemplate="%{z:.2f}",
            hoverongaps=False,
            colorbar={"title": {"text": z_title}},
        )
    )
    layout(figure)
    figure.update_layout(
        height=max(300, BAR_HEIGHT * len(rows) + 120),
        xaxis={"side": "top", "tickangle": 0},
        yaxis={"autorange": "reversed", "automargin": True},
    )
    return figure


def funnel(stages: list[str], counts: list[Any]) -> go.Figure:
    """A funnel whose labels show the count and the rate from the previous stage."""
    figure = go.Figure(
        go.Funnel(
            y=stages,
            x=[_number(count) or 0 for count in counts],
            textinfo="value+percent previous+percent initial",
        )
    )
    layout(figure)
    figure.update_layout(xaxis={"tickangle": 0})
    return figure


def waterfall(result: Result, steps: dict[str, str], first: str, last: str) -> go.Figure:
    """The first row of ``result`` as a waterfall: ``first`` and ``last`` are totals (drawn
    from zero), every column of ``steps`` ({column: label}) a signed step between them."""
    record = next(iter(result.records()), None)
    columns = [first, *steps, last]
    labels = [first.replace("_", " "), *steps.values(), last.replace("_", " ")]
    values = [_number(record[column]) if record else None for column in columns]
    measures = ["absolute", *["relative"] * len(steps), "total"]
    figure = go.Figure(
        go.Waterfall(
            x=labels,
            y=[0.0 if value is None else value for value in values],
            measure=measures,
            connector={"line": {"color": "#9ca3af", "width": 1}},
            increasing={"marker": {"color": "#2ca02c"}},
            decreasing={"marker": {"color": "#d62728"}},
            totals={"marker": {"color": "#1f77b4"}},
        )
    )
    return layout(figure)
