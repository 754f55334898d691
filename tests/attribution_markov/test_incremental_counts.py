"""int_attribution_markov_transitions built night after night equals a full recount.

A small world of contacts, touches, conversions of every type and buying committees goes into
a real PostgreSQL as the models' inputs; dbt builds the journeys and the Markov models; a night
then brings a new day of touches (so the last lookback window moves and old touches leave it),
a late touch, new and withdrawn conversions, a merged contact, a contact whose touches were
deleted, a touch whose channel changed and a new member of a buying committee. The incremental
build must equal a --full-refresh build row for row (transition counts and removal effects),
having re-derived only a minority of the non-converting paths.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg

from thinline.dbt import run_dbt

MODELS = [
    "int_attribution_journeys",
    "int_attribution_rule_credits",
    "int_attribution_markov_transitions",
    "int_attribution_removal_effects",
]
OPEN_PATHS = "intermediate.int_attribution_markov_transitions__open_paths"

WORLD = """
create schema intermediate;
select setseed(0.27);
create table intermediate.int_attribution_touchpoints as
select
    'c' || contact as contact_id,
    't' || contact || ':' || step as touchpoint_id,
    timestamptz '2026-01-01' + (contact % 300) * interval '1 day' + step * interval '2 days'
    + random() * interval '1 day' as touched_at,
    (array['paid_search', 'email', 'direct', 'events', 'display'])[1 + floor(random() * 5)::int]
        as channel,
    cast(null as text) as campaign_key,
    cast(null as text) as campaign_id,
    now() as _derived_at
from generate_series(1, 1500) as contact
cross join lateral generate_series(1, 1 + contact % 5) as step;
-- what int_attribution_touchpoints keeps of the touches it replaces or deletes (a trigger,
-- TOUCH_LOG, does here what the model's build does)
create table intermediate.int_attribution_touchpoints__replaced (
    touchpoint_id text, contact_id text, touched_at timestamptz, _derived_at timestamptz
);

create table intermediate.int_attribution_conversions as
select
    conversion_type || ':c' || contact as conversion_id,
    conversion_type,
    'c' || contact as contact_id,
    last_touch.touched_at + interval '1 hour' * hours as converted_at,
    last_touch.touched_at as lead_at,
    case when deal then last_touch.touched_at end as deal_created_at,
    case when deal then 'd' || contact end as deal_key,
    case when deal then 'D' || contact end as deal_id
from generate_series(1, 1500) as contact
cross join lateral (
    select max(touched_at) as touched_at from intermediate.int_attribution_touchpoints
    where contact_id = 'c' || contact
) as last_touch
cross join (
    values ('lead', 3, 1, false), ('mql', 6, 2, false), ('sql', 9, 3, false),
        ('opportunity', 12, 4, true), ('closed_won', 24, 5, true)
) as types (conversion_type, every, hours, deal)
where contact % every = 0;

create table intermediate.int_attribution_buying_committees as
select deal_key, 'c' || (substr(deal_key, 2)::int + member) as contact_id
from intermediate.int_attribution_conversions
cross join generate_series(0, 2) as member
where conversion_type = 'opportunity';
analyze;
"""

# int_attribution_touchpoints's change markers: a row's _derived_at is when it was derived
# (inserted or changed), and a changed or deleted touch is kept as it was in __replaced
TOUCH_LOG = [
    "alter table intermediate.int_attribution_touchpoints alter column _derived_at"
    " set default now()",
    """
create function intermediate.touchpoint_replaced() returns trigger language plpgsql as $$
begin
    insert into intermediate.int_attribution_touchpoints__replaced
    values (old.touchpoint_id, old.contact_id, old.touched_at, now());
    if tg_op = 'UPDATE' then
        new._derived_at := now();
        return new;
    end if;
    return old;
end $$
""",
    "create trigger touchpoint_replaced before update or delete"
    " on intermediate.int_attribution_touchpoints"
    " for each row execute function intermediate.touchpoint_replaced()",
]

# contacts whose touches are all well inside the last window and not on the night's new day,
# so only the change the night makes to each of them can make it counted again; ordered, so
# the night picks the same ones each run
STEADY = """
with data_end as (
    select greatest(
        (select max(touched_at) from intermediate.int_attribution_touchpoints),
        (select max(converted_at) from intermediate.int_attribution_conversions)
    ) as at
)
select
    touchpoints.contact_id,
    touchpoints.contact_id in (
        select contact_id from intermediate.int_attribution_conversions
        where conversion_type = 'lead'
    ) as has_lead
from intermediate.int_attribution_touchpoints as touchpoints, data_end
where substr(touchpoints.contact_id, 2)::int % 37 != 1
group by touchpoints.contact_id, data_end.at
having min(touchpoints.touched_at) > data_end.at - interval '80 days'
order by touchpoints.contact_id
"""

NIGHT = """
-- a new day: 40 contacts touched a day after the end of the data (the window moves a day)
insert into intermediate.int_attribution_touchpoints
select 'c' || contact, 'new:' || contact,
    (select max(touched_at) from intermediate.int_attribution_touchpoints) + interval '1 day',
    'paid_social_meta', null, null
from generate_series(1, 1500, 37) as contact;
-- a late touch inside a converted journey and the window: dated before the lead conversion
insert into intermediate.int_attribution_touchpoints
select contact_id, 'late:' || contact_id, converted_at - interval '3 hours', 'referral', null, null
from intermediate.int_attribution_conversions
where conversion_id = (
    select max(conversion_id) from intermediate.int_attribution_conversions
    where conversion_type = 'lead'
);
-- a new lead conversion of a contact that had none
insert into intermediate.int_attribution_conversions
select 'lead:' || %(converts)s, 'lead', %(converts)s, at, at, null, null, null
from (
    select max(touched_at) + interval '1 hour' as at
    from intermediate.int_attribution_touchpoints where contact_id = %(converts)s
) as last_touch;
-- a withdrawn conversion
delete from intermediate.int_attribution_conversions
where conversion_type = 'lead' and contact_id = %(withdrawn)s;
-- two contacts found to be one person
update intermediate.int_attribution_touchpoints set contact_id = %(keeps)s
where contact_id = %(merged)s;
-- a contact whose touches were deleted
delete from intermediate.int_attribution_touchpoints where contact_id = %(deleted)s;
-- a touch whose channel changed (a changed mapping of its campaign)
update intermediate.int_attribution_touchpoints set channel = 'organic_search'
where touchpoint_id = (
    select min(touchpoint_id) from intermediate.int_attribution_touchpoints
    where contact_id = %(remapped)s
);
-- a recently touched person joins a won deal's buying committee
insert into intermediate.int_attribution_buying_committees
select min(deal_key), %(joins)s from intermediate.int_attribution_conversions
where conversion_type = 'closed_won';
analyze;
"""


# a second night, changing converting journeys: a late touch inside a won deal's window, a
# conversion moved, a touch of a converting journey removed, a committee member gone
JOURNEY_NIGHT = """
insert into intermediate.int_attribution_touchpoints
select contact_id, 'late2:' || contact_id, converted_at - interval '2 days', 'events', null, null
from intermediate.int_attribution_conversions
where conversion_id = (
    select min(conversion_id) from intermediate.int_attribution_conversions
    where conversion_type = 'closed_won'
);
update intermediate.int_attribution_conversions
set converted_at = converted_at - interval '5 days'
where conversion_id = (
    select min(conversion_id) from intermediate.int_attribution_conversions
    where conversion_type = 'mql'
);
delete from intermediate.int_attribution_touchpoints
where touchpoint_id = (
    select max(touchpoints.touchpoint_id)
    from intermediate.int_attribution_touchpoints as touchpoints
    inner join intermediate.int_attribution_conversions as conversions
        on touchpoints.contact_id = conversions.contact_id
    where conversions.conversion_type = 'sql' and touchpoints.touchpoint_id like 't%%:2'
);
delete from intermediate.int_attribution_buying_committees
where (deal_key, contact_id) = (
    select deal_key, contact_id from intermediate.int_attribution_buying_committees
    where contact_id != 'c' || substr(deal_key, 2)
    order by deal_key desc, contact_id limit 1
);
analyze;
"""

# a changed channel mapping: int_attribution_touchpoints is built again whole (every row
# derived again, and a row without a touchpoint in __replaced says so)
REMAPPED = """
alter table intermediate.int_attribution_touchpoints disable trigger touchpoint_replaced;
update intermediate.int_attribution_touchpoints
set channel = case when channel = 'display' then 'paid_social_meta' else channel end,
    _derived_at = now();
alter table intermediate.int_attribution_touchpoints enable trigger touchpoint_replaced;
insert into intermediate.int_attribution_touchpoints__replaced values (null, null, null, now());
analyze;
"""


def run_sql(url: str, script: str, parameters: dict[str, str] | None = None) -> None:
    """Each statement of `script` (separated by ';' at a line's end)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in script.split(";\n"):
            if statement.strip():
                wanted = {k: v for k, v in (parameters or {}).items() if f"%({k})s" in statement}
                conn.execute(statement, wanted or None)


def build_world(url: str) -> None:
    run_sql(url, WORLD)
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in TOUCH_LOG:
            conn.execute(statement)


def journey_versions(
    url: str, table: str = "int_attribution_journeys"
) -> dict[tuple[str, str], str]:
    """Each conversion's journey rows' versions (xmin changes when a build rewrites them)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select conversion_id, attribution_scope, min(xmin::text)"
            f" from intermediate.{table} group by 1, 2"
        ).fetchall()
    return {(row[0], row[1]): row[2] for row in rows}


def changed_keys(before: dict[Any, str], after: dict[Any, str]) -> set[Any]:
    return {key for key, version in after.items() if before.get(key) != version}


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(url) as conn:
        return {
            "journeys": conn.execute(
                "select * from intermediate.int_attribution_journeys"
                " order by conversion_id, attribution_scope, touch_number"
            ).fetchall(),
            "credits": conn.execute(
                "select conversion_id, attribution_scope, touchpoint_id, model, credit"
                " from intermediate.int_attribution_rule_credits order by 1, 2, 3, 4"
            ).fetchall(),
            "counts": conn.execute(
                "select attribution_scope, conversion_type, from_channel, to_channel,"
                " is_converted, transition_count"
                " from intermediate.int_attribution_markov_transitions order by 1, 2, 3, 4, 5"
            ).fetchall(),
            "effects": conn.execute(
                "select conversion_type, channel, removal_effect, removal_share"
                " from intermediate.int_attribution_removal_effects order by 1, 2"
            ).fetchall(),
        }


def open_path_versions(url: str) -> dict[str, str]:
    """Each stored non-converting path's row version (xmin changes when a night rewrites it)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(f"select contact_id, xmin::text from {OPEN_PATHS}").fetchall()
    return {row[0]: row[1] for row in rows}


def test_incremental_nights_equal_a_full_recount(fresh_database: str) -> None:
    url = fresh_database
    build_world(url)
    run_dbt(["run", "--select", *MODELS], url)
    first = snapshot(url)
    assert len(first["counts"]) > 100
    before = open_path_versions(url)
    assert len(before) > 300

    # a night without changes re-derives nothing and changes nothing
    run_dbt(["run", "--select", *MODELS], url)
    assert snapshot(url) == first
    assert open_path_versions(url) == before

    journeys_before = journey_versions(url)
    credits_before = journey_versions(url, "int_attribution_rule_credits")
    with psycopg.connect(url, autocommit=True) as conn:
        steady = conn.execute(STEADY).fetchall()
    unconverted = [contact for contact, has_lead in steady if not has_lead]
    roles = ["converts", "keeps", "merged", "deleted", "remapped", "joins"]
    assert len(unconverted) > 5 * len(roles)
    people = dict(zip(roles, unconverted[::5], strict=False))
    people["withdrawn"] = next(contact for contact, has_lead in steady if has_lead)
    run_sql(url, NIGHT, people)
    run_dbt(["run", "--select", *MODELS], url)
    incremental = snapshot(url)
    after = open_path_versions(url)
    journeys_after = journey_versions(url)
    rebuilt = changed_keys(journeys_before, journeys_after)
    assert ("lead:" + people["converts"], "contact") in rebuilt
    assert ("lead:" + people["withdrawn"], "contact") not in journeys_after
    late = max(key for key in journeys_after if key[0].startswith("lead:"))
    assert late in rebuilt  # the late touch's conversion
    assert 0 < len(rebuilt) < len(journeys_after) / 10  # a small minority of the journeys
    # the credits of exactly the rebuilt journeys are derived again
    credits_after = journey_versions(url, "int_attribution_rule_credits")
    assert changed_keys(credits_before, credits_after) == rebuilt
    assert credits_after.keys() == journeys_after.keys()

    rewritten = {contact for contact, version in after.items() if before.get(contact) != version}
    for role in ["converts", "withdrawn", "keeps", "remapped", "joins"]:
        assert people[role] in rewritten, role  # each change found on its own
    assert people["merged"] not in after and people["deleted"] not in after
    assert 0 < len(rewritten) < len(after) / 2  # a minority of the paths
    assert incremental != first

    run_dbt(["run", "--full-refresh", "--select", *MODELS], url)
    full = snapshot(url)
    assert incremental["journeys"] == full["journeys"]
    assert incremental["counts"] == full["counts"]
    assert incremental["effects"] == full["effects"]
    assert incremental["credits"] == full["credits"]
    assert open_path_versions(url).keys() == after.keys()
    # the effects are a real solve: shares of a converting chain sum to 1
    lead_shares = [row[3] for row in full["effects"] if row[0] == "lead"]
    assert abs(sum(lead_shares) - 1) <= Decimal(len(lead_shares)) / 10**30

    # converting journeys change: each change rebuilds its conversions, and nothing else
    journeys_before = journey_versions(url)
    run_sql(url, JOURNEY_NIGHT)
    run_dbt(["run", "--select", *MODELS], url)
    incremental = snapshot(url)
    journeys_after = journey_versions(url)
    rebuilt = changed_keys(journeys_before, journeys_after)
    with psycopg.connect(url) as conn:
        moved, won = conn.execute(
            "select min(conversion_id) filter (where conversion_type = 'mql'),"
            " min(conversion_id) filter (where conversion_type = 'closed_won')"
            " from intermediate.int_attribution_conversions"
        ).fetchone()
    assert (moved, "contact") in rebuilt and (won, "contact") in rebuilt
    assert (won, "account") in rebuilt
    assert 0 < len(rebuilt) < len(journeys_after) / 10
    assert incremental != full
    run_dbt(["run", "--full-refresh", "--select", *MODELS], url)
    assert incremental == snapshot(url)

    # a changed channel mapping rebuilds every journey
    run_sql(url, REMAPPED)
    run_dbt(["run", "--select", *MODELS], url)
    incremental = snapshot(url)
    assert not set(journey_versions(url).items()) & set(journeys_after.items())
    run_dbt(["run", "--full-refresh", "--select", *MODELS], url)
    assert incremental == snapshot(url)


def test_a_window_that_moves_back_reads_what_it_gained(fresh_database: str) -> None:
    """The latest day's touches deleted: the end of the data and the window move back, so the
    touches just before the last build's window start count again."""
    url = fresh_database
    build_world(url)
    run_dbt(["run", "--select", *MODELS], url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "delete from intermediate.int_attribution_touchpoints where touched_at > ("
            "select max(touched_at) - interval '5 days'"
            " from intermediate.int_attribution_touchpoints)"
        )
    run_dbt(["run", "--select", *MODELS], url)
    incremental = snapshot(url)
    with psycopg.connect(url) as conn:
        state = conn.execute(
            "select obj_description('intermediate.int_attribution_markov_transitions'::regclass)"
        ).fetchone()
    assert '"window_start"' in state[0]

    run_dbt(["run", "--full-refresh", "--select", *MODELS], url)
    assert incremental == snapshot(url)
