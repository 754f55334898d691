"""The pipeline over time on the shared nightly run (`published_company`): the published
pipeline of past days is the world's planted state, deal by deal, and every waterfall row adds
up (test_forecast_backtest.py checks the forecast on a company with years of history)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from sandbox.world import World
from tests.integration.conftest import DAY

pytestmark = pytest.mark.integration

# every day of the world's history but its first days (no deal is open yet) and the run's day
FIRST_DAY = date(2026, 1, 5)
PAST_DAYS = tuple(FIRST_DAY + timedelta(days=n) for n in range((DAY - FIRST_DAY).days))
FLOWS = (
    "created",
    "reopened",
    "pulled_in",
    "reassigned_in",
    "increased",
    "decreased",
    "fx_movement",
    "pushed_out",
    "reassigned_out",
    "won",
    "lost",
)
CENT = Decimal("0.01")

State = tuple[str, Decimal | None, str, str | None, str | None, str | None]


def _state(
    stage: str,
    amount: Any,
    currency: str,
    close_date: Any,
    owner_id: Any,
    forecast_category: str | None,
) -> State:
    return (
        stage,
        None if amount is None else Decimal(str(amount)).quantize(CENT),
        currency,
        None if close_date is None else str(close_date)[:10],
        None if owner_id is None else str(owner_id),
        forecast_category,
    )


def planted_pipeline(world: World, day: date) -> dict[tuple[str, str], State]:
    """Every deal open at the end of ``day`` as the world planted it, both CRMs."""
    deals = {
        ("hubspot", row["deal_id"]): _state(
            row["stage"],
            row["amount"],
            row["currency"],
            row["close_date"],
            row["owner_id"],
            row["forecast_category"],
        )
        for row in world.hubspot.pipeline_as_of(day)
    }
    deals |= {
        ("salesforce", row["opportunity_id"]): _state(
            row["stage"],
            row["amount"],
            row["currency"],
            row["close_date"],
            row["owner_id"],
            row["forecast_category"],
        )
        for row in world.salesforce.pipeline_as_of(day)
    }
    return deals


def published_pipeline(url: str) -> dict[date, dict[tuple[str, str], State]]:
    """fct_pipeline_daily on each of PAST_DAYS, keyed like ``planted_pipeline``."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select date_day, crm, deal_id, stage_id, amount, currency_code, close_date,"
            " owner_id, crm_forecast_category from analytics.fct_pipeline_daily"
            " where date_day between %s and %s",
            (PAST_DAYS[0], PAST_DAYS[-1]),
        ).fetchall()
    days: dict[date, dict[tuple[str, str], State]] = {day: {} for day in PAST_DAYS}
    for day, crm, deal_id, *values in rows:
        days[day][crm, deal_id] = _state(*values)
    return days


def test_the_pipeline_of_every_past_day_is_the_planted_one(
    published_company: dict, world: World
) -> None:
    published = published_pipeline(published_company["url"])
    compared = 0
    for day in PAST_DAYS:
        planted = planted_pipeline(world, day)
        compared += len(planted)
        missing = sorted(set(planted) - set(published[day]))[:5]
        extra = sorted(set(published[day]) - set(planted))[:5]
        assert not missing and not extra, f"{day}: missing {missing}, not open {extra}"
        wrong = {
            key: (planted[key], published[day][key])
            for key in planted
            if planted[key] != published[day][key]
        }
        assert not wrong, f"{day}: {len(wrong)} deals differ, e.g. {list(wrong.items())[:3]}"
    assert compared > 1000, "too few open deal-days to say anything"
    assert {crm for crm, _ in planted_pipeline(world, PAST_DAYS[-1])} == {"hubspot", "salesforce"}


def test_the_planted_histories_move_the_pipeline(world: World) -> None:
    """From one day to the next the same open deals change stage, amount, close date and
    owner: the comparison above sees history, not today's values."""
    changes = dict.fromkeys(("stage", "amount", "currency", "close", "owner", "category"), 0)
    previous: dict[tuple[str, str], State] = {}
    for day in PAST_DAYS:
        pipeline = planted_pipeline(world, day)
        for key in set(pipeline) & set(previous):
            for index, field in enumerate(changes):
                changes[field] += pipeline[key][index] != previous[key][index]
        previous = pipeline
    assert all(changes[field] > 0 for field in ("stage", "amount", "close", "owner")), changes


def test_every_waterfall_row_adds_up(published_company: dict) -> None:
    flows = " + ".join(FLOWS)
    with psycopg.connect(published_company["url"]) as conn:
        rows, broken, moved = conn.execute(
            f"""
            select
                count(*),
                count(*) filter (where opening_pipeline + {flows} != closing_pipeline),
                array[{", ".join(f"sum(abs({flow}))" for flow in FLOWS)}]
            from analytics.rpt_pipeline_waterfall
            """
        ).fetchone()
    assert rows > 50
    assert broken == 0
    # every flow but re-openings (the world re-opens few deals) moved some pipeline
    assert all(total > 0 for flow, total in zip(FLOWS, moved, strict=True) if flow != "reopened"), (
        dict(zip(FLOWS, moved, strict=True))
    )


def test_the_waterfall_closes_on_the_pipeline_of_its_closing_day(published_company: dict) -> None:
    """Company rows: closing pipeline = fct_pipeline_daily on the closing day, deals whose
    close date falls in the period."""
    with psycopg.connect(published_company["url"]) as conn:
        rows = conn.execute(
            """
            select waterfall.period_type, waterfall.period_start, waterfall.closing_pipeline,
                coalesce(sum(daily.amount_reporting), 0)
            from analytics.rpt_pipeline_waterfall as waterfall
            left join analytics.fct_pipeline_daily as daily
                on daily.date_day = waterfall.closing_date
                and daily.close_date between waterfall.period_start and waterfall.period_end
            where waterfall.owner_level = 'company'
            group by 1, 2, 3
            """
        ).fetchall()
    assert len(rows) > 10
    off = [row for row in rows if abs(row[2] - row[3]) > CENT]
    assert not off, off[:5]
