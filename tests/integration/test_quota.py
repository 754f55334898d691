"""fct_quota_attainment on the synthetic company, recomputed in Python from the published
fct_deals and dim_sales_reps, the committed seeds and the ECB rates the stand-in published (rules:
dbt_project/models/marts/sales/README_quotas.md). Read-only: reuses the session's
`published_company`.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import psycopg
import pytest
import yaml

from sandbox import World
from tests.integration.fx_rates import ecb_usd_rate, hubspot_rate, salesforce_rate

pytestmark = pytest.mark.integration

DBT = Path(__file__).resolve().parents[2] / "dbt_project"
PERIOD_TYPES = ("day", "week", "month", "quarter", "year")
CENT, RATIO = Decimal("0.01"), Decimal("0.0001")


@dataclass(frozen=True)
class QuotaRow:
    owner_type: str
    owner_id: str
    period_start: date
    monthly_amount: Decimal
    currency_code: str


@dataclass(frozen=True)
class Rep:
    sales_rep_id: str
    team_key: str | None
    active_from: date | None
    active_to: date | None


def read_seed_quotas() -> list[QuotaRow]:
    per_month = {"month": 1, "quarter": 3, "year": 12}
    with (DBT / "seeds" / "quotas.csv").open() as seed:
        return [
            QuotaRow(
                row["owner_type"],
                row["owner_id"],
                date.fromisoformat(row["period_start"]),
                Decimal(row["amount"]) / per_month[row["period_type"]],
                (row["currency_code"] or "USD").upper(),
            )
            for row in csv.DictReader(seed)
        ]


def read_usd_rates() -> dict[tuple[date, str], Decimal]:
    """The manual seed's rates: the last resort after the ECB (var fx_rate_sources)."""
    with (DBT / "seeds" / "fx_rates.csv").open() as seed:
        return {
            (date.fromisoformat(row["rate_date"]), row["currency_code"]): Decimal(
                row["usd_per_unit"]
            )
            for row in csv.DictReader(seed)
        }


def month_end(month: date) -> date:
    return next_month(month) - timedelta(days=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def working_days(first: date, last: date) -> int:
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return sum(1 for day in days if day.isoweekday() < 6)


def months_of(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


class QuotaBook:
    """The seed's rules, written out once more: the row in force, ramps, FX, team sums."""

    def __init__(self, reps: list[Rep], world: World) -> None:
        self.world = world
        self.rows = read_seed_quotas()
        self.rates = read_usd_rates()
        self.reps = reps
        project = yaml.safe_load((DBT / "dbt_project.yml").read_text())
        self.ramp = [Decimal(str(share)) for share in project["vars"]["quota_ramp_shares"]]
        assert project["vars"]["quota_pacing_basis"] == "working_days"
        assert project["vars"]["fiscal_year_start_month"] == 1
        assert project["vars"]["reporting_currency"] == "USD"

    def row_in_force(self, owner_type: str, owner_id: str, month: date) -> QuotaRow | None:
        candidates = [
            row
            for row in self.rows
            if row.owner_type == owner_type
            and row.period_start <= month
            and (
                row.owner_id == owner_id
                or (row.owner_id.endswith("*") and owner_id.startswith(row.owner_id[:-1]))
            )
        ]
        return min(
            candidates,
            key=lambda row: (
                row.owner_id.endswith("*"),
                -len(row.owner_id),
                -row.period_start.toordinal(),
            ),
            default=None,
        )

    def in_usd(self, row: QuotaRow, owner_id: str, month: date) -> Decimal:
        """Like the owner's bookings: its CRM's rate first, then the ECB's, then the seed's."""
        if row.currency_code == "USD":
            return row.monthly_amount
        crm = owner_id.split(":", 1)[0]
        found = None
        if crm == "hubspot":
            found = hubspot_rate(self.world, row.currency_code, month)
        elif crm == "salesforce":
            found = salesforce_rate(self.world, row.currency_code, month)
        rate = found[0] if found else ecb_usd_rate(month, row.currency_code)
        if rate is None:  # before the ECB's first loaded rate: the manual seed
            seed = self.rates[month, row.currency_code] / self.rates[month, "USD"]
            rate = seed.quantize(Decimal("1e-10"))
        return row.monthly_amount * rate

    def rep_month(self, rep: Rep, month: date) -> Decimal:
        joined_after = rep.active_from is not None and rep.active_from > month_end(month)
        left_before = rep.active_to is not None and rep.active_to < month
        row = self.row_in_force("rep", rep.sales_rep_id, month)
        if joined_after or left_before or row is None:
            return Decimal(0)
        amount = self.in_usd(row, rep.sales_rep_id, month)
        if row.owner_id.endswith("*") and rep.active_from is not None:
            since = (month.year - rep.active_from.year) * 12 + month.month - rep.active_from.month
            amount *= self.ramp[since] if since < len(self.ramp) else 1
        return amount

    def month(self, owner_type: str, owner_id: str, month: date) -> Decimal:
        if owner_type == "rep":
            return self.rep_month(next(r for r in self.reps if r.sales_rep_id == owner_id), month)
        own = self.row_in_force("team", owner_id, month)
        if own is not None:
            return self.in_usd(own, owner_id, month)
        members = [rep for rep in self.reps if rep.team_key == owner_id]
        return sum((self.rep_month(rep, month) for rep in members), Decimal(0))

    def period(self, owner_type: str, owner_id: str, first: date, last: date) -> Decimal:
        """Each overlapped month's quota x the period's share of that month's working days."""
        return sum(
            (
                self.month(owner_type, owner_id, month)
                * working_days(max(first, month), min(last, month_end(month)))
                / working_days(month, month_end(month))
                for month in months_of(first, last)
            ),
            Decimal(0),
        )


def expected_period(period_type: str, day: date) -> tuple[date, date]:
    """ISO weeks; quarters and years of the default fiscal year (January)."""
    if period_type == "day":
        return day, day
    if period_type == "week":
        monday = day - timedelta(days=day.isoweekday() - 1)
        return monday, monday + timedelta(days=6)
    if period_type == "month":
        return day.replace(day=1), month_end(day.replace(day=1))
    if period_type == "quarter":
        first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return first, month_end(date(day.year, first.month + 2, 1))
    return date(day.year, 1, 1), date(day.year, 12, 31)


@pytest.fixture(scope="module")
def published(published_company: dict) -> dict:
    with psycopg.connect(published_company["url"]) as conn:
        conn.execute("set time zone 'UTC'")
        rows = conn.execute(
            "select owner_type, owner_id, date_day, period_type, period_start, period_end, "
            "quota, booked_to_date, attainment, expected_to_date, pacing, projected, "
            "elapsed_share, projected_method from analytics.fct_quota_attainment"
        ).fetchall()
        accuracy = conn.execute(
            "select as_of_date, forecast_method, absolute_percentage_error "
            "from analytics.rpt_forecast_accuracy where owner_type = 'company'"
        ).fetchall()
        deals = conn.execute(
            "select sales_rep_id, is_won, close_date, amount_reporting, created_at, closed_at "
            "from analytics.fct_deals"
        ).fetchall()
        reps = conn.execute(
            "select sales_rep_id, team_key, active_from_date, active_to_date "
            "from analytics.dim_sales_reps"
        ).fetchall()
    columns = [
        "owner_type", "owner_id", "date_day", "period_type", "period_start", "period_end",
        "quota", "booked", "attainment", "expected", "pacing", "projected", "elapsed_share",
        "projected_method",
    ]  # fmt: skip
    return {
        "rows": [dict(zip(columns, row, strict=True)) for row in rows],
        "deals": deals,
        "reps": [Rep(*rep) for rep in reps],
        "accuracy": accuracy,
    }


def test_every_rep_and_team_has_every_day_and_period(published: dict) -> None:
    reps, deals = published["reps"], published["deals"]
    teams = {rep.team_key for rep in reps if rep.team_key}
    # first day: the later of the first quota row and the first deal; last: latest deal activity
    first = max(
        min(row.period_start for row in read_seed_quotas()),
        min(created_at.date() for *_, created_at, _ in deals),
    )
    last = max(
        max(created_at.date(), closed_at.date() if closed_at else date.min)
        for *_, created_at, closed_at in deals
    )
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    owners = {("rep", rep.sales_rep_id) for rep in reps} | {("team", team) for team in teams}
    expected = {
        (owner_type, owner_id, day, period_type)
        for owner_type, owner_id in owners
        for day in days
        for period_type in PERIOD_TYPES
    }
    got = [
        (r["owner_type"], r["owner_id"], r["date_day"], r["period_type"]) for r in published["rows"]
    ]
    assert len(got) == len(set(got)) == len(expected)
    assert set(got) == expected
    assert len(reps) >= 16 and len(teams) == 4  # both CRMs, two teams each
    assert len(days) > 60


def test_periods_are_iso_weeks_months_and_fiscal_quarters_and_years(published: dict) -> None:
    for row in published["rows"]:
        bounds = expected_period(row["period_type"], row["date_day"])
        assert (row["period_start"], row["period_end"]) == bounds, row


def test_booked_to_date_is_the_sum_of_won_deals_by_close_date(published: dict) -> None:
    team_of = {rep.sales_rep_id: rep.team_key for rep in published["reps"]}
    won: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for sales_rep_id, is_won, close_date, amount_reporting, *_ in published["deals"]:
        if is_won and sales_rep_id in team_of:
            won["rep", sales_rep_id].append((close_date, amount_reporting))
            if team_of[sales_rep_id]:
                won["team", team_of[sales_rep_id]].append((close_date, amount_reporting))
    for row in published["rows"]:
        expected = sum(
            (
                amount
                for close_date, amount in won[row["owner_type"], row["owner_id"]]
                if row["period_start"] <= close_date <= row["date_day"]
            ),
            Decimal(0),
        )
        assert row["booked"] == expected, row
    year_end = [r for r in published["rows"] if r["period_type"] == "year"]
    last_day = max(r["date_day"] for r in year_end)
    booked_reps = [r for r in year_end if r["date_day"] == last_day and r["booked"] > 0]
    assert len(booked_reps) >= 10  # a dozen owners booked something: the sums are not all 0


def test_team_rows_add_up_their_reps(published: dict) -> None:
    by_key = {
        (r["owner_type"], r["owner_id"], r["date_day"], r["period_type"]): r
        for r in published["rows"]
    }
    members: dict[str, list[str]] = defaultdict(list)
    for rep in published["reps"]:
        if rep.team_key:
            members[rep.team_key].append(rep.sales_rep_id)
    explicit = {row.owner_id for row in read_seed_quotas() if row.owner_type == "team"}
    assert explicit == {"hubspot:1002"}  # the other three teams are sums of their reps
    for (owner_type, team, day, period_type), row in by_key.items():
        if owner_type != "team":
            continue
        reps = [by_key["rep", rep_id, day, period_type] for rep_id in members[team]]
        assert row["booked"] == sum(rep["booked"] for rep in reps)
        rep_quota = sum(rep["quota"] for rep in reps)
        if team in explicit:  # its own row, not the sum (test_quotas_follow_the_seed_...)
            assert period_type != "month" or row["quota"] != rep_quota, row
        else:  # each quota is rounded to the cent on its own
            assert abs(row["quota"] - rep_quota) <= CENT / 2 * (len(reps) + 1), row


def test_quotas_follow_the_seed_ramps_and_fx(published: dict, world: World) -> None:
    book = QuotaBook(published["reps"], world)
    for row in published["rows"]:
        if row["period_type"] == "day" and row["date_day"].isoweekday() > 5:
            assert row["quota"] == 0  # no working day, no quota
        expected = book.period(
            row["owner_type"], row["owner_id"], row["period_start"], row["period_end"]
        )
        assert row["quota"] == expected.quantize(CENT, ROUND_HALF_UP), row
    months = {
        (r["owner_id"], r["period_start"], r["quota"])
        for r in published["rows"]
        if r["period_type"] == "month"
    }
    quotas = {quota for *_, quota in months}
    # every rule is exercised: a leaver (0), the '*' default, the Salesforce quarter default,
    # the one Salesforce rep with a row of his own, and the EMEA team's EUR row. (No rep of the
    # test world joins within three months of its start, so ramps are the unit tests' part.)
    assert {Decimal(0), Decimal(120000), Decimal(110000), Decimal(150000)} <= quotas
    assert any(owner_id == "hubspot:1002" and quota > 700000 for owner_id, _, quota in months)


def test_pacing_columns_follow_from_quota_booked_and_working_days(published: dict) -> None:
    for row in published["rows"]:
        period_days = working_days(row["period_start"], row["period_end"])
        elapsed = working_days(row["period_start"], row["date_day"])
        share = Decimal(elapsed) / period_days if period_days else Decimal(1)
        assert row["elapsed_share"] == share.quantize(Decimal("0.000001"), ROUND_HALF_UP)
        quota, booked = row["quota"], row["booked"]
        # quota is published rounded to the cent: compare derived amounts within that rounding
        assert abs(row["expected"] - quota * share) <= CENT, row
        if quota == 0:
            assert row["attainment"] is None
        else:
            assert abs(row["attainment"] - booked / quota) <= RATIO, row
        if quota * share == 0:
            assert row["pacing"] is None
        else:
            assert abs(row["pacing"] - booked / (quota * share)) <= RATIO, row
        if row["projected_method"] != "run_rate":
            # the backtest's choice (test_projected_uses_the_best_scoring_method): quarters only
            assert row["period_type"] == "quarter", row
            assert row["projected"] >= booked, row
        elif share == 0:
            assert row["projected"] is None
        else:
            assert abs(row["projected"] - booked / share) <= CENT, row
        assert row["attainment"] is None or row["attainment"] >= 0


def test_projected_uses_the_best_scoring_method(published: dict) -> None:
    """README_forecast.md: the method with the lowest company MAPE over the as-of weeks where
    every method was scored; ties to run_rate, commit, statistical; none scored: run_rate."""
    errors: dict[date, dict[str, Decimal | None]] = {}
    for as_of_date, method, error in published["accuracy"]:
        errors.setdefault(as_of_date, {})[method] = error
    scored = [week for week in errors.values() if all(e is not None for e in week.values())]
    order = ["run_rate", "commit", "statistical"]
    chosen = "run_rate"
    if scored:
        mape = {m: sum(week[m] for week in scored) / len(scored) for m in order}
        chosen = min(order, key=lambda m: (mape[m], order.index(m)))
    methods = {row["projected_method"] for row in published["rows"]}
    assert methods <= {"run_rate", chosen}
    if chosen != "run_rate":
        assert chosen in methods
