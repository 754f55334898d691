"""What a report section is made of, and the SQL that names teams and reps in its charts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import plotly.graph_objects as go

from thinline.report.data import Result


@dataclass(frozen=True)
class Chart:
    """One figure (or, without ``draw``, one table) and the query behind it."""

    chart_id: str
    title: str
    caption: str
    sql: str
    draw: Callable[[Result], go.Figure] | None = None


@dataclass(frozen=True)
class Section:
    section_id: str
    title: str
    intro: str
    requires: tuple[str, ...]
    charts: tuple[Chart, ...]


# Readable team and rep names for the charts (a name two CRMs share gets the CRM beside it).
LABELS = """
    teams as (
        select distinct
            team_key,
            team_name,
            crm
        from analytics.dim_sales_reps
        where team_key is not null
    ),

    team_labels as (
        select
            team_key,
            case
                when count(*) over (partition by team_name) > 1
                    then coalesce(team_name, team_key) || ' (' || crm || ')'
                else coalesce(team_name, team_key)
            end as team
        from teams
    ),

    rep_labels as (
        select
            reps.sales_rep_id,
            coalesce(team_labels.team, 'no team') as team,
            case
                when count(*) over (partition by reps.rep_name) > 1
                    then coalesce(reps.rep_name, reps.sales_rep_id) || ' (' || reps.crm || ')'
                else coalesce(reps.rep_name, reps.sales_rep_id)
            end as rep
        from analytics.dim_sales_reps as reps
        left join team_labels on reps.team_key = team_labels.team_key
    ),
"""
