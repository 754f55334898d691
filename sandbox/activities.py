"""Sales activities after a lead arrives: the planted response-time habits of each rep.

Shared by both CRMs' stand-ins (:func:`sandbox.hubspot_data.build_hubspot_activities`,
:func:`sandbox.salesforce_data.build_salesforce_activities`): a lead (a HubSpot contact when it
becomes an MQL, a Salesforce lead when it is created) is answered by its owner rep with a
first outbound call or email after a delay in **business hours** of the rep's team, drawn
from that rep's own habit (:class:`ResponseHabit`: a log-normal delay around the rep's
median), then 1-4 follow-ups (calls, emails, a follow-up task, sometimes the lead's reply,
inbound) after it, within the lead's first 7 calendar days (in the 2 days after the first
touch when that came later), and a meeting once the lead becomes an opportunity.

Every draw comes from generators of their own, seeded by the world seed, a constant and the
rep or the lead (``<seed>-activities|...``): no existing draw of the world moved, and a later
``end`` only adds activities (a lead's plan does not depend on ``end``; what happens after
``end`` is left out when the records are projected).

The business calendar (:data:`TEAM_CALENDARS`): Monday to Friday, 09:00-17:00 in the team's
time zone (NA Sales: America/New_York, EMEA Sales: Europe/Berlin), minus the team's
holidays. Each team answers its leads under a service-level agreement (:data:`TEAM_SLA_HOURS`,
business hours from the lead's arrival to its first outbound touch); :func:`sla_truth` counts
each rep's breaches as the published tables must show them. The HubSpot property
``hs_sa_first_engagement_date`` is planted by its own older generator and does not follow
these activities.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sandbox.clock import DAY_MS
from sandbox.config import WorldConfig

HOUR_MS = 3_600_000
FOLLOW_UP_DAYS = 7
UNANSWERED_RATE = 0.05  # leads no rep ever answers
HABIT_SPREAD = 0.6  # sigma of log(delay / rep median)


@dataclass(frozen=True)
class TeamCalendar:
    time_zone: str
    open_hour: int
    close_hour: int
    holidays: frozenset[date]


TEAM_CALENDARS = {
    "NA Sales": TeamCalendar(
        "America/New_York",
        9,
        17,
        frozenset(
            date.fromisoformat(day)
            for day in (
                "2026-01-01",
                "2026-01-19",
                "2026-02-16",
                "2026-05-25",
                "2026-07-03",
                "2026-09-07",
                "2026-11-26",
                "2026-12-25",
            )
        ),
    ),
    "EMEA Sales": TeamCalendar(
        "Europe/Berlin",
        9,
        17,
        frozenset(
            date.fromisoformat(day)
            for day in (
                "2026-01-01",
                "2026-04-03",
                "2026-04-06",
                "2026-05-01",
                "2026-05-14",
                "2026-05-25",
                "2026-12-25",
                "2026-12-26",
            )
        ),
    ),
}

# The planted SLA per team: business hours from a lead's arrival to the first outbound touch.
# Quick reps (a median of 0.25-3 h) mostly meet it, slow ones (8-24 h) mostly breach it.
# dbt_project/seeds/team_business_calendars.csv holds the same values.
TEAM_SLA_HOURS = {"NA Sales": 4.0, "EMEA Sales": 8.0}


def _working(calendar: TeamCalendar, day: date) -> bool:
    return day.weekday() < 5 and day not in calendar.holidays


def add_business_hours(calendar: TeamCalendar, start_ms: int, hours: float) -> int:
    """The moment ``hours`` business hours after ``start_ms`` (a lead arriving after hours
    starts counting at the next opening)."""
    zone = ZoneInfo(calendar.time_zone)
    now = datetime.fromtimestamp(start_ms / 1000, tz=UTC).astimezone(zone)
    remaining = timedelta(hours=hours)
    while True:
        opening = datetime.combine(now.date(), time(calendar.open_hour), zone)
        closing = datetime.combine(now.date(), time(calendar.close_hour), zone)
        if not _working(calendar, now.date()) or now >= closing:
            now = datetime.combine(now.date() + timedelta(days=1), time(calendar.open_hour), zone)
            continue
        now = max(now, opening)
        if now + remaining <= closing:
            return round((now + remaining).timestamp() * 1000)
        remaining -= closing - now
        now = datetime.combine(now.date() + timedelta(days=1), time(calendar.open_hour), zone)


def business_hours_between(calendar: TeamCalendar, start_ms: int, end_ms: int) -> float:
    """Business hours from ``start_ms`` to ``end_ms`` (0 if the end is not later)."""
    zone = ZoneInfo(calendar.time_zone)
    now = datetime.fromtimestamp(start_ms / 1000, tz=UTC).astimezone(zone)
    end = datetime.fromtimestamp(end_ms / 1000, tz=UTC).astimezone(zone)
    total = timedelta()
    while now < end:
        opening = datetime.combine(now.date(), time(calendar.open_hour), zone)
        closing = datetime.combine(now.date(), time(calendar.close_hour), zone)
        if _working(calendar, now.date()):
            low, high = max(now, opening), min(end, closing)
            if high > low:
                total += high - low
        now = datetime.combine(now.date() + timedelta(days=1), time(0), zone)
    return total.total_seconds() / 3600


@dataclass(frozen=True)
class ResponseHabit:
    """A rep's planted habit: the median delay to a first outbound touch, business hours."""

    rep_id: str  # the CRM's owner id (HubSpot owner id, Salesforce User Id)
    team: str
    median_hours: float
    follow_up_mean: float  # mean follow-ups in the first 7 days (1-4 drawn around it)


def plan_habit(config: WorldConfig, crm: str, rep_id: str, team: str, slow: bool) -> ResponseHabit:
    """A rep's habit from a generator of its own: quick reps answer within a couple of
    business hours, slow ones (``slow``) take one to three business days."""
    rnd = random.Random(f"{config.seed}-activities|habit|{crm}|{rep_id}")
    low, high = (8.0, 24.0) if slow else (0.25, 3.0)
    median = round(math.exp(rnd.uniform(math.log(low), math.log(high))), 2)
    return ResponseHabit(rep_id, team, median, round(rnd.uniform(1.0, 3.5), 2))


@dataclass(frozen=True)
class Touch:
    """One planned activity of a lead, before it is written in a CRM's wire format."""

    kind: str  # call, email, meeting, task
    direction: str | None  # outbound, inbound, None (tasks, meetings)
    at_ms: int  # when it happened (a task: its due time)
    owner_id: str
    sequence: int  # 0 is the first outbound touch
    outcome: str  # call: connected/no_answer/voicemail/busy; meeting: completed/no_show/...
    duration_ms: int  # calls and meetings; 0 otherwise
    completed_ms: int | None = None  # tasks completed later (None: still open)
    archived_ms: int | None = None  # logged by mistake and deleted
    with_deal: bool = False  # the meeting of a lead that became an opportunity


@dataclass(frozen=True)
class LeadPlan:
    lead_id: str
    owner_id: str
    arrived_ms: int
    first_outbound_ms: int | None
    business_hours: float | None  # first outbound delay, business hours of the team
    touches: tuple[Touch, ...] = field(default_factory=tuple)


CALL_OUTCOMES = (("connected", 45), ("no_answer", 30), ("voicemail", 20), ("busy", 5))
MEETING_OUTCOMES = (("completed", 80), ("no_show", 10), ("rescheduled", 10))


def plan_lead(
    config: WorldConfig,
    crm: str,
    lead_id: str,
    arrived_ms: int,
    habit: ResponseHabit,
    opportunity_ms: int | None,
) -> LeadPlan:
    """A lead's touches: first outbound after the rep's habit, follow-ups, a meeting if it
    became an opportunity (``opportunity_ms``)."""
    rnd = random.Random(f"{config.seed}-activities|lead|{crm}|{lead_id}")
    calendar = TEAM_CALENDARS[habit.team]
    if rnd.random() < UNANSWERED_RATE:
        return LeadPlan(lead_id, habit.rep_id, arrived_ms, None, None)
    hours = habit.median_hours * math.exp(rnd.gauss(0, HABIT_SPREAD))
    first_ms = add_business_hours(calendar, arrived_ms, hours)
    first_ms -= first_ms % 1000  # CRMs keep seconds; whole seconds keep both exact
    touches = [_touch(rnd, "call" if rnd.random() < 0.6 else "email", first_ms, habit, 0)]
    follow_ups = min(4, max(1, round(rnd.gauss(habit.follow_up_mean, 0.8))))
    # within the lead's first 7 days; a lead first answered later gets them in the 2 days after
    horizon_ms = max(arrived_ms + FOLLOW_UP_DAYS * DAY_MS, first_ms + 2 * DAY_MS)
    moments = sorted(rnd.uniform(first_ms + HOUR_MS, horizon_ms) for _ in range(follow_ups))
    for n, moment in enumerate(moments, 1):
        at_ms = round(moment) - round(moment) % 1000
        roll = rnd.random()
        kind = "call" if roll < 0.4 else "email" if roll < 0.75 else "task"
        touches.append(_touch(rnd, kind, at_ms, habit, n))
    if opportunity_ms is not None:
        at_ms = opportunity_ms + round(rnd.uniform(0.5, 5) * DAY_MS)
        at_ms -= at_ms % 1000
        outcome = _weighted(rnd, MEETING_OUTCOMES)
        duration = rnd.choice((30, 45, 60)) * 60_000
        touches.append(
            Touch(
                "meeting",
                None,
                at_ms,
                habit.rep_id,
                len(touches),
                outcome,
                duration,
                None,
                None,
                True,
            )
        )
    business = round(business_hours_between(calendar, arrived_ms, first_ms), 4)
    return LeadPlan(lead_id, habit.rep_id, arrived_ms, first_ms, business, tuple(touches))


def _touch(rnd: random.Random, kind: str, at_ms: int, habit: ResponseHabit, n: int) -> Touch:
    archived = at_ms + round(rnd.uniform(1, 48) * HOUR_MS) if rnd.random() < 0.02 else None
    if kind == "call":
        outcome = _weighted(rnd, CALL_OUTCOMES)
        duration = rnd.randrange(120, 1800) * 1000 if outcome == "connected" else 0
        if outcome == "voicemail":
            duration = rnd.randrange(20, 60) * 1000
        return Touch("call", "outbound", at_ms, habit.rep_id, n, outcome, duration, None, archived)
    if kind == "email":
        direction = "inbound" if n and rnd.random() < 0.25 else "outbound"
        return Touch("email", direction, at_ms, habit.rep_id, n, "sent", 0, None, archived)
    due_ms = at_ms + DAY_MS
    completed = at_ms + round(rnd.uniform(0.5, 3) * DAY_MS) if rnd.random() < 0.8 else None
    return Touch("task", None, due_ms, habit.rep_id, n, "to_do", 0, completed, archived)


def _weighted(rnd: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    values, weights = zip(*options, strict=True)
    return rnd.choices(values, weights)[0]


def habit_truth(
    habits: Iterator[ResponseHabit] | list[ResponseHabit], plans: list[LeadPlan]
) -> dict:
    """Per rep: the planted median, and the median of the delays actually planted."""
    delays: dict[str, list[float]] = {}
    for plan in plans:
        if plan.business_hours is not None:
            delays.setdefault(plan.owner_id, []).append(plan.business_hours)
    return {
        habit.rep_id: {
            "team": habit.team,
            "planted_median_business_hours": habit.median_hours,
            "observed_median_business_hours": (
                round(statistics.median(delays[habit.rep_id]), 4)
                if habit.rep_id in delays
                else None
            ),
            "answered_leads": len(delays.get(habit.rep_id, [])),
        }
        for habit in habits
    }


@dataclass(frozen=True)
class LeadOutcome:
    """A lead as the published tables see it as of ``end``: its first outbound touch that is
    logged and not deleted (None: none yet), and whether the lead itself is deleted."""

    owner_id: str
    arrived_ms: int
    first_live_outbound_ms: int | None
    lead_deleted: bool


def sla_truth(
    habits: Iterator[ResponseHabit] | list[ResponseHabit],
    outcomes: list[LeadOutcome],
    as_of_ms: int,
) -> dict:
    """Per rep, the SLA breaches (:data:`TEAM_SLA_HOURS`) among its leads that are not deleted.

    A lead breaches the SLA when its first live outbound touch came more than the team's SLA
    in business hours after it arrived, or when it has no such touch and more than the SLA in
    business hours passed between its arrival and ``as_of_ms`` (its deadline has passed
    unanswered). A deleted first touch does not count: the next outbound one does. No draw:
    this only measures the planted touches."""
    result = {}
    for habit in habits:
        calendar, sla = TEAM_CALENDARS[habit.team], TEAM_SLA_HOURS[habit.team]
        mine = [o for o in outcomes if o.owner_id == habit.rep_id and not o.lead_deleted]
        hours = [
            business_hours_between(calendar, o.arrived_ms, o.first_live_outbound_ms)
            for o in mine
            if o.first_live_outbound_ms is not None
        ]
        waiting = [
            business_hours_between(calendar, o.arrived_ms, as_of_ms)
            for o in mine
            if o.first_live_outbound_ms is None
        ]
        late = sum(1 for h in hours if h > sla)
        overdue = sum(1 for h in waiting if h > sla)
        result[habit.rep_id] = {
            "team": habit.team,
            "sla_business_hours": sla,
            "leads": len(mine),
            "answered": len(hours),
            "answered_within_sla": len(hours) - late,
            "answered_after_sla": late,
            "unanswered_past_sla": overdue,
            "sla_breaches": late + overdue,
            # the median the published tables show (deleted leads and deleted first touches
            # aside); observed_median_business_hours in habit_truth counts the planted touches
            "published_median_business_hours": (
                round(statistics.median(hours), 4) if hours else None
            ),
        }
    return result
