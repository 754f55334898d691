"""The planted lead-response SLA: the dbt seeds hold the sandbox's team calendars and SLAs
exactly, and the truth's breach counts follow their documented definition."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sandbox.activities import (
    TEAM_CALENDARS,
    TEAM_SLA_HOURS,
    LeadOutcome,
    ResponseHabit,
    business_hours_between,
    sla_truth,
)
from sandbox.world import World

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
HOUR_MS = 3_600_000
MONDAY_9_NEW_YORK_MS = 1_767_621_600_000  # 2026-01-05 14:00 UTC, 09:00 EST


def _rows(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_seeds_hold_the_sandbox_calendars_and_slas() -> None:
    calendars = {row["team_name"]: row for row in _rows("team_business_calendars.csv")}
    assert set(calendars) == set(TEAM_CALENDARS) == set(TEAM_SLA_HOURS)
    for team, calendar in TEAM_CALENDARS.items():
        row = calendars[team]
        assert row["time_zone"] == calendar.time_zone
        assert row["working_days"] == "1,2,3,4,5"  # activities._working: Monday to Friday
        assert (int(row["open_hour"]), int(row["close_hour"])) == (
            calendar.open_hour,
            calendar.close_hour,
        )
        assert float(row["sla_business_hours"]) == TEAM_SLA_HOURS[team]
    holidays = {
        (row["team_name"], date.fromisoformat(row["holiday_date"]))
        for row in _rows("team_holidays.csv")
    }
    assert holidays == {(team, d) for team, c in TEAM_CALENDARS.items() for d in c.holidays}


def test_sla_breaches_count_late_answers_and_overdue_silence() -> None:
    habit = ResponseHabit("41000001", "NA Sales", 1.0, 2.0)
    start = MONDAY_9_NEW_YORK_MS
    outcomes = [
        LeadOutcome("41000001", start, start + 4 * HOUR_MS, False),  # exactly the SLA: met
        LeadOutcome("41000001", start, start + 5 * HOUR_MS, False),  # 5 business hours: late
        LeadOutcome("41000001", start, None, False),  # silent past the SLA by as_of
        LeadOutcome("41000001", start + 6 * HOUR_MS, None, False),  # 15:00: 2 h by 17:00
        LeadOutcome("41000001", start, start + 9 * HOUR_MS, True),  # deleted lead: left out
        LeadOutcome("41000002", start, None, False),  # another rep's
    ]
    as_of = start + 10 * HOUR_MS  # 19:00 New York, after closing
    truth = sla_truth([habit], outcomes, as_of)["41000001"]
    assert business_hours_between(TEAM_CALENDARS["NA Sales"], start, as_of) == 8.0
    assert truth == {
        "team": "NA Sales",
        "sla_business_hours": 4.0,
        "leads": 4,
        "answered": 2,
        "answered_within_sla": 1,
        "answered_after_sla": 1,
        "unanswered_past_sla": 1,
        "sla_breaches": 2,
        "published_median_business_hours": 4.5,
    }


def test_the_world_plants_met_and_breached_leads_in_both_crms(world: World) -> None:
    activities = world.truth()["sales_activities"]
    for crm in ("hubspot", "salesforce"):
        reps = activities[crm]["rep_sla_breaches"].values()
        assert sum(rep["answered_within_sla"] for rep in reps) > 0
        assert sum(rep["answered_after_sla"] for rep in reps) > 0
