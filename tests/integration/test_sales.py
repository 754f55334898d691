"""Sales marts on the synthetic company: deals reconcile with the raw CRM records, and the
habits the generator planted in each sales rep come back out of the warehouse.

Reconciliation reads the shared nightly run (`published_company`). The planted-habit checks
need many decided deals per rep, which the shared company (8 reps, about 25 closed deals)
does not have: they extract a larger HubSpot portal into their own database and build the
deal models on it (`thinline extract` + dbt, no Airflow).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from sandbox import WorldConfig, build_world, serve
from sandbox.hubspot_data import (
    CHANNEL_RATES,
    MAX_WIN_PROBABILITY,
    REFERENCE_WIN_PROBABILITY,
    _channel,
)
from sandbox.world import World
from tests.conftest import create_database, drop_database
from tests.integration.conftest import DAY, WORLD
from thinline.dbt import run_dbt

pytestmark = pytest.mark.integration

THINLINE = str(Path(sys.executable).parent / "thinline")
# Large enough for about 45 decided deals per rep (22 reps), small enough to extract in seconds.
REP_WORLD = WorldConfig(seed=11, scale=8.0, start=date(2025, 7, 1), end=date(2026, 3, 10))
# A deal's stage path takes at most 4 x 9 + 14 = 50 days: deals created longer ago than this
# are decided or stalled for good, so P(won | closed) among them is the planted probability
# (lost deals close faster, so among recent deals the closed ones are mostly losses).
SETTLED_DAYS = 60
MIN_DECIDED = 30  # reps with fewer settled decided deals are not checked (listed if too many)
MIN_WON = 20  # reps with fewer won deals: their discount rates are not checked
Z = 3.0  # tolerance in standard errors


# -- fct_deals reconciles with the raw CRM records --------------------------------------------


def _utc_day(text: str) -> date:
    """A CRM timestamp (HubSpot '...Z', Salesforce '...+0000') as its UTC date."""
    return datetime.fromisoformat(text.replace("+0000", "+00:00")).astimezone(UTC).date()


def test_deals_reconcile_with_raw_records_every_day(published_company: dict, world: World) -> None:
    """Per CRM and created day (UTC), fct_deals has exactly the raw deals that are not deleted
    (HubSpot archived, Salesforce IsDeleted): the same count and the same sum of amount."""
    with psycopg.connect(published_company["url"]) as conn:
        raw = conn.execute(
            "select 'hubspot', deal_id::text, is_deleted, "
            "coalesce(record -> 'properties' ->> 'createdate', record ->> 'createdAt'), "
            "record -> 'properties' ->> 'amount' from raw_hubspot.deals "
            "union all "
            "select 'salesforce', opportunity_id, is_deleted, record ->> 'CreatedDate', "
            "record ->> 'Amount' from raw_salesforce.opportunities"
        ).fetchall()
        published = conn.execute(
            "select crm, deal_id, created_date, amount from analytics.fct_deals"
        ).fetchall()

    expected: dict[tuple[str, date], list[Decimal]] = defaultdict(list)
    deleted: set[tuple[str, str]] = set()
    for crm, deal_id, is_deleted, created, amount in raw:
        if is_deleted:
            deleted.add((crm, deal_id))
        else:
            expected[(crm, _utc_day(created))].append(Decimal(amount or "0"))
    got: dict[tuple[str, date], list[Decimal]] = defaultdict(list)
    for crm, _, created_date, amount in published:
        got[(crm, created_date)].append(amount or Decimal(0))

    days = [WORLD.start + timedelta(days=n) for n in range((DAY - WORLD.start).days + 1)]
    assert {day for _, day in expected} <= set(days)  # nothing raw outside the company's life
    for crm in ("hubspot", "salesforce"):
        for day in days:
            want, have = expected.get((crm, day), []), got.get((crm, day), [])
            assert (len(have), sum(have)) == (len(want), sum(want)), (crm, day)
        assert sum(1 for c, _ in expected if c == crm) >= 20, f"{crm}: too few days with deals"
    # the deleted deals exist in raw and are excluded from fct_deals
    assert {c for c, _ in deleted} == {"hubspot", "salesforce"}
    assert not deleted & {(crm, deal_id) for crm, deal_id, _, _ in published}
    # and raw holds what the generator planted (the check above is not raw against itself)
    truth = world.truth()
    live = {("hubspot", d["deal_id"]) for d in truth["deals"] if not d["archived"]} | {
        ("salesforce", o["opportunity_id"])
        for o in truth["salesforce_opportunities"]
        if not o["is_deleted"]
    }
    assert {(crm, deal_id) for crm, deal_id, _, _ in published} == live


def test_every_deal_has_its_rep_account_and_current_stage(published_company: dict) -> None:
    """fct_deals.sales_rep_id / account_key join dim_sales_reps / dim_accounts, and each
    deal's last entry in fct_deal_stage_history is its current stage."""
    with psycopg.connect(published_company["url"]) as conn:
        orphans = conn.execute(
            "select deals.deal_key from analytics.fct_deals as deals "
            "left join analytics.dim_sales_reps as reps "
            "on deals.sales_rep_id = reps.sales_rep_id "
            "left join analytics.dim_accounts as accounts "
            "on deals.account_key = accounts.account_key "
            "where reps.sales_rep_id is null "
            "or (deals.account_key is not null and accounts.account_key is null)"
        ).fetchall()
        stages = conn.execute(
            "select deals.deal_key, deals.stage_id, history.stage_id, history.standard_stage, "
            "deals.standard_stage from analytics.fct_deals as deals "
            "left join analytics.fct_deal_stage_history as history "
            "on deals.deal_key = history.deal_key and history.is_current_stage"
        ).fetchall()
    assert orphans == []
    assert len(stages) > 50
    assert len({row[0] for row in stages}) == len(stages)  # one current entry per deal
    assert [row for row in stages if row[1] != row[2] or row[3] != row[4]] == []
    assert {row[4] for row in stages} >= {"discovery", "closed_won", "closed_lost"}


def test_hubspot_stage_history_is_every_stage_change(published_company: dict, world: World) -> None:
    """Every live HubSpot deal's entries in fct_deal_stage_history are the stage changes the
    portal recorded (its dealstage property history, repeats collapsed), in order, with their
    times: the re-entered stages, regressions and re-openings the generator planted included,
    which hs_v2_date_entered_<stage> (latest entry per stage) alone could not show."""
    with psycopg.connect(published_company["url"]) as conn:
        rows = conn.execute(
            "select deal_id, stage_id, entered_at, entry_source, is_regression, is_reopening "
            "from analytics.fct_deal_stage_history where crm = 'hubspot' "
            "order by deal_id, stage_entry_number"
        ).fetchall()
        reopened = {
            deal_id
            for (deal_id,) in conn.execute(
                "select deal_id from analytics.fct_deals where crm = 'hubspot' and is_reopened"
            )
        }
    got: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    for deal_id, stage_id, entered_at, _, _, _ in rows:
        got[deal_id].append((stage_id, entered_at))
    expected: dict[str, list[tuple[str, datetime]]] = {}
    for deal in world.truth()["deals"]:
        if deal["archived"]:
            continue
        changes: list[tuple[str, datetime]] = []
        for stamp, stage in deal["stage_history"]:
            if not changes or changes[-1][0] != stage:
                changes.append((stage, datetime.fromisoformat(stamp)))
        expected[deal["deal_id"]] = changes
    assert got == expected
    assert {row[3] for row in rows} == {"hubspot_property_history"}  # nothing left to fill in
    # the planted detours: a stage entered twice, moves back down, won deals re-opened
    entered_twice = {d for d, entries in got.items() if len({s for s, _ in entries}) < len(entries)}
    regressions = {row[0] for row in rows if row[4] and not row[5]}
    reopenings = {row[0] for row in rows if row[5]}
    assert regressions and reopenings
    assert regressions | reopenings <= entered_twice
    assert reopenings == reopened


def test_open_deals_follow_the_planted_stage_history(published_company: dict, world: World) -> None:
    """rpt_sales_rep_performance counts a HubSpot deal open on a month's as-of day exactly when
    the portal's stage history has it in an open stage at the end of that (UTC) day. (No deal
    of this company sits won-then-reopened across a month end; the dbt unit test
    test_rpt_sales_rep_performance_rates_and_coverage has one.)"""
    closed_stages = {s.stage_id for p in world.hubspot.pipelines for s in p.stages if s.is_closed}
    with psycopg.connect(published_company["url"]) as conn:
        rows = conn.execute(
            "select sales_rep_id, as_of_date, open_deals from analytics.rpt_sales_rep_performance "
            "where period_type = 'month' and sales_rep_id like 'hubspot:%'"
        ).fetchall()
    deals = [d for d in world.truth()["deals"] if not d["archived"]]

    def open_on(deal: dict[str, Any], day: date) -> bool:
        midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        stages = [s for at, s in deal["stage_history"] if datetime.fromisoformat(at) < midnight]
        return bool(stages) and stages[-1] not in closed_stages

    got = {(rep, as_of): n for rep, as_of, n in rows}
    reps = {rep for rep, _, _ in rows} | {f"hubspot:{d['owner_id']}" for d in deals}
    want = {}
    for rep in reps:
        for as_of in {as_of for _, as_of, _ in rows}:
            n = sum(open_on(d, as_of) for d in deals if f"hubspot:{d['owner_id']}" == rep)
            if n or (rep, as_of) in got:  # a rep without activity in a month may have no row
                want[(rep, as_of)] = n
    assert got == want
    assert sum(got.values()) > 20


def test_rep_performance_adds_up_to_the_deals(published_company: dict) -> None:
    """Over the months, rpt_sales_rep_performance counts every won and lost deal and all the
    pipeline created, once (each deal is closed and created in exactly one month)."""
    with psycopg.connect(published_company["url"]) as conn:
        report = conn.execute(
            "select sales_rep_id, sum(deals_won), sum(deals_lost), sum(deals_created), "
            "sum(pipeline_created_reporting) from analytics.rpt_sales_rep_performance "
            "where period_type = 'month' group by 1"
        ).fetchall()
        deals = conn.execute(
            "select sales_rep_id, count(*) filter (where is_won), "
            "count(*) filter (where is_closed and not is_won), count(*), "
            "coalesce(sum(amount_reporting), 0) from analytics.fct_deals group by 1"
        ).fetchall()
    assert {row[0]: tuple(row[1:]) for row in report if any(row[1:4])} == {
        row[0]: tuple(row[1:]) for row in deals
    }


# -- planted rep habits come back out ------------------------------------------------------


@pytest.fixture(scope="module")
def rep_world() -> World:
    return build_world(REP_WORLD)


@pytest.fixture(scope="module")
def rep_deals(embedded_warehouse: Any, rep_world: World, tmp_path_factory: Any) -> Iterator[list]:
    """The larger portal extracted into its own database, fct_deals built on it."""
    url = create_database(embedded_warehouse.url())
    home = tmp_path_factory.mktemp("rep-world-home")
    try:
        with serve(rep_world) as sources:
            clean = {k: v for k, v in os.environ.items() if not k.startswith("THINLINE_")}
            env = {
                **clean,
                **sources.env,
                "THINLINE_HOME": str(home),
                "THINLINE_WAREHOUSE_URL": url,
                "THINLINE_SOURCES": "hubspot,ecb",
            }
            end = REP_WORLD.end + timedelta(days=1)
            result = subprocess.run(
                [
                    THINLINE,
                    "extract",
                    "hubspot",
                    "--start",
                    str(REP_WORLD.start),
                    "--end",
                    str(end),
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            assert result.returncode == 0, result.stdout + result.stderr
        run_dbt(["seed"], url, sources=["hubspot"])
        # models and the deal snapshot only: their tests run in the nightly run
        only = ["--resource-type", "model", "--resource-type", "snapshot"]
        run_dbt(["build", "--select", "+fct_deals", *only], url, sources=["hubspot"])
        with psycopg.connect(url) as conn:
            yield conn.execute(
                "select deal_id, owner_id, created_at, is_closed, is_won, discount "
                "from analytics_build.fct_deals"
            ).fetchall()
    finally:
        drop_database(url)


def _deal_win_probabilities(world: World) -> dict[str, float]:
    """Each deal's planted P(won | decided): min(channel rate x rep skill / reference, max),
    the channel being that of the contact whose opportunity the deal is (the contact that
    became an opportunity at the deal's creation)."""
    contacts = {c.object_id: c.properties for c in world.hubspot.contacts}
    contacts_of: dict[int, list[int]] = defaultdict(list)
    for deal_id, contact_id in world.hubspot.deal_contacts:
        contacts_of[deal_id].append(contact_id)
    skill = {
        owner: rep["win_probability"]
        for owner, rep in world.hubspot.planted_truth()["rep_profiles"].items()
    }
    probabilities = {}
    for deal in world.hubspot.deals:
        created = deal.properties["createdate"]
        origin = [
            contacts[c]
            for c in contacts_of[deal.object_id]
            if c in contacts and contacts[c].get("hs_lifecyclestage_opportunity_date") == created
        ]
        if len(origin) != 1:
            continue
        rate = CHANNEL_RATES[_channel(origin[0])].opportunity_to_won
        owner = deal.properties["hubspot_owner_id"]
        probabilities[str(deal.object_id)] = min(
            rate * skill[owner] / REFERENCE_WIN_PROBABILITY, MAX_WIN_PROBABILITY
        )
    return probabilities


def test_planted_rep_win_rates_are_recovered(rep_deals: list, rep_world: World) -> None:
    """Per rep, wins among its settled decided deals in fct_deals = the sum of the planted
    per-deal probabilities, within Z binomial (Poisson-binomial) standard errors."""
    probabilities = _deal_win_probabilities(rep_world)
    as_of = datetime.fromtimestamp(rep_world.config.as_of_ms / 1000, tz=UTC)
    decided: dict[str, list[tuple[bool, float]]] = defaultdict(list)
    for deal_id, owner_id, created_at, is_closed, is_won, _ in rep_deals:
        if is_closed and created_at < as_of - timedelta(days=SETTLED_DAYS):
            decided[owner_id].append((is_won, probabilities[deal_id]))
    checked, skipped = {}, {}
    for owner_id, outcomes in decided.items():
        if len(outcomes) < MIN_DECIDED:
            skipped[owner_id] = len(outcomes)
            continue
        wins = sum(won for won, _ in outcomes)
        expected = sum(p for _, p in outcomes)
        error = math.sqrt(sum(p * (1 - p) for _, p in outcomes))
        checked[owner_id] = (wins, round(expected, 1), round(error, 1))
        assert abs(wins - expected) <= Z * error, (owner_id, checked[owner_id], len(outcomes))
    assert len(checked) >= 15, f"only {len(checked)} reps checked; skipped {skipped}"
    # the check discriminates: planted win probabilities differ by rep, and so do the outcomes
    rates = [wins / len(decided[owner]) for owner, (wins, _, _) in checked.items()]
    assert max(rates) - min(rates) > 0.2


def test_planted_rep_discount_habits_are_recovered(rep_deals: list, rep_world: World) -> None:
    """Every won deal passed the last open stage, where the rep discounts with its planted
    probability, at one of its planted levels drawn uniformly: per rep, the share of won
    deals with a discount and the mean discount given are within Z standard errors, and every
    discount in fct_deals is one of the rep's levels (amounts are rounded to the cent)."""
    profiles = rep_world.hubspot.planted_truth()["rep_profiles"]
    won: dict[str, list[Decimal | None]] = defaultdict(list)
    for _, owner_id, _, _, is_won, discount in rep_deals:
        if is_won:
            won[owner_id].append(discount)
    checked, skipped = 0, {}
    for owner_id, discounts in won.items():
        profile = profiles[owner_id]
        levels = profile["discount_levels"]
        given = [float(d) for d in discounts if d is not None and d > Decimal("0.0005")]
        assert all(d is not None for d in discounts), owner_id  # every deal has a list amount
        for discount in given:
            assert min(abs(discount - level) for level in levels) < 0.0005, (owner_id, discount)
        if len(discounts) < MIN_WON:
            skipped[owner_id] = len(discounts)
            continue
        checked += 1
        share, planted = len(given) / len(discounts), profile["discount_probability"]
        assert abs(share - planted) <= Z * math.sqrt(planted * (1 - planted) / len(discounts)), (
            owner_id,
            share,
            planted,
        )
        mean_level = profile["average_discount"]
        spread = math.sqrt(sum((level - mean_level) ** 2 for level in levels) / len(levels))
        mean = sum(given) / len(given)
        assert abs(mean - mean_level) <= Z * spread / math.sqrt(len(given)) + 0.0005, (
            owner_id,
            mean,
            mean_level,
        )
    assert checked >= 12, f"only {checked} reps checked; skipped {skipped}"
