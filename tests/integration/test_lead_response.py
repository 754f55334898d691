"""Speed to lead on the synthetic company (issue 18): the response habits and SLA breaches
the generator planted in each rep (sandbox/activities.py) come back out of the published
fct_lead_response and rpt_lead_response, for both CRMs.

The truth's ``rep_sla_breaches`` counts what the published tables must show: leads that are
not deleted, each answered by its first outbound touch that is not deleted.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Any

import psycopg
import pytest

from sandbox.activities import HABIT_SPREAD, TEAM_SLA_HOURS
from sandbox.world import World

pytestmark = pytest.mark.integration

CRMS = ("hubspot", "salesforce")
Z = 3.0  # tolerance in standard errors
MEDIAN_SE = math.sqrt(math.pi / 2)  # a sample median's standard error per sigma / sqrt(n)


@pytest.fixture(scope="module")
def leads(published_company: dict) -> list[dict[str, Any]]:
    with psycopg.connect(published_company["url"]) as conn, conn.cursor() as cursor:
        cursor.execute("select * from analytics.fct_lead_response where not is_deleted")
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def report(published_company: dict) -> list[dict[str, Any]]:
    with psycopg.connect(published_company["url"]) as conn, conn.cursor() as cursor:
        cursor.execute("select * from analytics.rpt_lead_response")
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def truth(world: World) -> dict[str, Any]:
    return world.truth()["sales_activities"]


def _by_rep(leads: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for lead in leads:
        grouped[lead["sales_rep_id"]].append(lead)
    return grouped


def test_every_reps_median_response_is_recovered(
    leads: list[dict[str, Any]], truth: dict[str, Any]
) -> None:
    """Each rep's median business hours to the first outbound touch equals the world's (the
    published view: deleted first touches replaced by the next outbound one) within rounding,
    and is near the planted median within sampling error (log-normal delays, sigma
    HABIT_SPREAD)."""
    published = _by_rep(leads)
    checked = 0
    for crm in CRMS:
        habits = truth[crm]["rep_response_habits"]
        for rep_id, sla in truth[crm]["rep_sla_breaches"].items():
            hours = [
                float(lead["business_hours_to_first_touch"])
                for lead in published[f"{crm}:{rep_id}"]
                if lead["is_answered"]
            ]
            assert len(hours) == sla["answered"], (crm, rep_id)
            if not hours:
                continue
            median = statistics.median(hours)
            # 4-decimal hours on both sides: the medians differ by rounding at most
            assert median == pytest.approx(sla["published_median_business_hours"], abs=2e-4)
            # the planted touches' median differs only where a first touch was deleted
            observed = habits[rep_id]["observed_median_business_hours"]
            planted = habits[rep_id]["planted_median_business_hours"]
            tolerance = Z * MEDIAN_SE * HABIT_SPREAD / math.sqrt(len(hours))
            assert abs(math.log(median / observed)) <= tolerance, (crm, rep_id, median, observed)
            assert abs(math.log(median / planted)) <= tolerance, (crm, rep_id, median, planted)
            checked += 1
    assert checked >= 12  # both CRMs' reps, quick and slow


def test_sla_breaches_per_rep_equal_the_truth(
    leads: list[dict[str, Any]], truth: dict[str, Any]
) -> None:
    published = _by_rep(leads)
    for crm in CRMS:
        for rep_id, sla in truth[crm]["rep_sla_breaches"].items():
            mine = published[f"{crm}:{rep_id}"]
            late = sum(1 for lead in mine if lead["is_sla_breached"] and lead["is_answered"])
            overdue = sum(1 for lead in mine if lead["is_sla_breached"] and not lead["is_answered"])
            assert {
                "leads": len(mine),
                "answered_within_sla": sum(1 for lead in mine if lead["is_sla_met"]),
                "answered_after_sla": late,
                "unanswered_past_sla": overdue,
                "sla_breaches": late + overdue,
            } == {
                key: sla[key]
                for key in (
                    "leads",
                    "answered_within_sla",
                    "answered_after_sla",
                    "unanswered_past_sla",
                    "sla_breaches",
                )
            }, (crm, rep_id)
            assert {lead["team_name"] for lead in mine} <= {sla["team"]}
            assert {float(lead["sla_business_hours"]) for lead in mine} <= {
                TEAM_SLA_HOURS[sla["team"]]
            }
    total = sum(s["sla_breaches"] for crm in CRMS for s in truth[crm]["rep_sla_breaches"].values())
    met = sum(
        s["answered_within_sla"] for crm in CRMS for s in truth[crm]["rep_sla_breaches"].values()
    )
    assert total > 0 and met > 0  # the SLAs separate the reps: some met, some breached


def test_report_breaches_per_rep_equal_the_truth(
    report: list[dict[str, Any]], truth: dict[str, Any]
) -> None:
    breaches: dict[str, int] = defaultdict(int)
    for row in report:
        breaches[row["sales_rep_id"]] += row["sla_breached_leads"]
    for crm in CRMS:
        for rep_id, sla in truth[crm]["rep_sla_breaches"].items():
            assert breaches[f"{crm}:{rep_id}"] == sla["sla_breaches"], (crm, rep_id)


def test_report_splits_the_funnel_by_sla(
    leads: list[dict[str, Any]], report: list[dict[str, Any]]
) -> None:
    """Recomputed from the leads: per month, channel, team and rep, the meetings,
    opportunities and wins of leads answered within the SLA and after it, and their rates."""
    expected: dict[tuple, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    for lead in leads:
        month = lead["arrived_date"].replace(day=1)
        cell = expected[(month, lead["channel"], lead["team_name"], lead["sales_rep_id"])]
        cell["leads"] += 1
        cell["answered_leads"] += lead["is_answered"]
        for side, inside in (
            ("within_sla", lead["is_sla_met"]),
            (
                "after_sla",
                lead["is_sla_breached"] and lead["is_answered"],
            ),
        ):
            if not inside:
                continue
            cell[f"answered_{side}_leads"] += 1
            cell[f"meetings_{side}"] += lead["has_meeting"]
            cell[f"opportunities_{side}"] += lead["is_opportunity"]
            cell[f"won_{side}"] += lead["is_won"]
    rows = {
        (row["arrived_month"], row["channel"], row["team_name"], row["sales_rep_id"]): row
        for row in report
    }
    assert set(rows) == set(expected)
    for key, cell in expected.items():
        row = rows[key]
        for column, value in cell.items():
            assert row[column] == value, (key, column)
        for side in ("within_sla", "after_sla"):
            base = cell[f"answered_{side}_leads"]
            rate = row[f"opportunity_rate_{side}"]
            if base:
                assert float(rate) == pytest.approx(cell[f"opportunities_{side}"] / base, abs=1e-4)
            else:
                assert rate is None
    # the demo has leads on both sides of the SLA, and some of them went on to a meeting
    assert sum(row["answered_after_sla_leads"] for row in report) > 0
    assert sum(row["meetings_within_sla"] + row["meetings_after_sla"] for row in report) > 0
