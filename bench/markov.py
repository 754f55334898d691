"""The data-driven model's Markov step at 1M journeys against ChannelAttribution's `markov_model`.

`python -m bench markov` (THINLINE_HOME picks the embedded warehouse, started if needed and
stopped again if it was not running; THINLINE_WAREHOUSE_URL points at another server):

1. a fresh database; SQL writes the attribution models' inputs for BENCH_MARKOV_CONTACTS
   contacts (default 1,160,000: about 1M journeys) of one conversion type: 80% of them touch
   1-8 times on 10 channels over three years and mostly convert (better on some channels),
   the rest touched the channels in the last month and never converted;
   `dbt run` builds int_attribution_journeys from them (untimed), then `analyze`;
2. timed, the full recount: `dbt run --full-refresh` of the Markov models (counting the
   transitions and the exact solve), one thread, REPEATS times; each model's seconds from
   run_results.json, the fastest run;
3. timed, the nightly step: NIGHTS nights, each one day of this company's changes (the day
   after the end of the data: the contacts that start and end their journeys that day in the
   world's proportions, returning visits of recent contacts, late touches, conversions of
   recent contacts), int_attribution_journeys built incrementally (untimed: it is not the
   Markov step; it keeps the converting journeys' steps the Markov model reads),
   then `dbt run` of the Markov models, incremental; the fastest night. After the nights a
   `--full-refresh` build must give the same transition counts and removal effects;
4. the same journeys as ChannelAttribution takes them (channels joined by '>'; once one row
   per journey, once one row per distinct path with its conversions and non-conversions),
   written to a CSV; in the benchmark's own environment (BENCH_MARKOV_PYTHON, default
   `.bench-venv/bin/python`, made by `make bench-venv` with `channelattribution` and
   `matplotlib`, never in Thinline's runtime), `markov_model(order=1)` on them, REPEATS
   times, the fastest;
5. the removal effects of both side by side (ChannelAttribution simulates, Thinline solves
   exactly; they agree to the simulation's noise).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from bench.harness import bench_database, fastest_dbt_runs
from thinline.dbt import run_dbt

CONTACTS = int(os.environ.get("BENCH_MARKOV_CONTACTS", "1160000"))
CONVERTING_SHARE = 0.8
REPEATS = 3
NIGHTS = 3
MARKOV_MODELS = ["int_attribution_markov_transitions", "int_attribution_removal_effects"]
ROOT = Path(__file__).resolve().parent.parent
PEER_PYTHON = os.environ.get("BENCH_MARKOV_PYTHON", str(ROOT / ".bench-venv" / "bin" / "python"))

# The inputs int_attribution_journeys and the Markov models read, with every column they use.
INPUTS = """
create schema intermediate;
create table intermediate.channels as
select channel_number, channel, weight, quality
from (values
    (1, 'paid_search', 3.0, 0.9), (2, 'paid_social_meta', 2.0, 0.5),
    (3, 'paid_social_linkedin', 1.0, 0.8), (4, 'organic_search', 2.5, 0.6),
    (5, 'email', 2.0, 0.7), (6, 'direct', 1.5, 0.4), (7, 'referral', 0.8, 0.75),
    (8, 'events', 0.4, 0.95), (9, 'display', 1.2, 0.2), (10, 'organic_social', 1.0, 0.3)
) as given (channel_number, channel, weight, quality);

-- contacts: converting ones spread over three years, the others active in the last month
create table intermediate.bench_contacts as
select
    contact_number,
    contact_number <= %(converting)s as converts,
    case
        when contact_number <= %(converting)s
            then timestamptz '2024-01-01' + random() * interval '1060 days'
        else timestamptz '2026-11-01' + random() * interval '29 days'
    end as last_touch_at,
    1 + least(7, floor(-ln(1 - random()) / 0.45))::integer as touches
from generate_series(1, %(contacts)s) as contact_number;

create table intermediate.int_attribution_touchpoints as
select
    'c' || contacts.contact_number as contact_id,
    't' || contacts.contact_number || ':' || step as touchpoint_id,
    contacts.last_touch_at - (contacts.touches - step) * interval '3 days'
    - random() * interval '2 days' as touched_at,
    -- a channel drawn per touch, each as often as its weight
    weighted.picks[1 + floor(random() * cardinality(weighted.picks))::integer] as channel,
    cast(null as text) as campaign_key,
    cast(null as text) as campaign_id,
    now() as _derived_at
from intermediate.bench_contacts as contacts
cross join lateral generate_series(1, contacts.touches) as step
cross join (
    select array_agg(channel) as picks
    from intermediate.channels
    cross join lateral generate_series(1, (weight * 2)::integer)
) as weighted;
-- the model's change markers: a touch inserted later is derived then; none is replaced here
alter table intermediate.int_attribution_touchpoints alter column _derived_at set default now();
create table intermediate.int_attribution_touchpoints__replaced (
    touchpoint_id text, contact_id text, touched_at timestamptz, _derived_at timestamptz
);

-- no deal conversions here: no buying committee (account scope) either
create table intermediate.int_attribution_buying_committees (deal_key text, contact_id text);

create table intermediate.int_attribution_conversions as
select
    'lead:c' || contacts.contact_number as conversion_id,
    'lead' as conversion_type,
    'c' || contacts.contact_number as contact_id,
    contacts.last_touch_at + interval '1 hour' as converted_at,
    contacts.last_touch_at + interval '1 hour' as lead_at,
    cast(null as timestamptz) as deal_created_at,
    cast(null as text) as deal_key,
    cast(null as text) as deal_id
from intermediate.bench_contacts as contacts
where contacts.converts;
"""
# the synthetic companies' journeys ended with a conversion at the planted rate: keep the
# converting contacts whose touches were good enough (so channels differ in quality)
THIN_OUT = """
delete from intermediate.int_attribution_conversions as conversions
using (
    select touchpoints.contact_id, avg(channels.quality) as quality
    from intermediate.int_attribution_touchpoints as touchpoints
    inner join intermediate.channels as channels on touchpoints.channel = channels.channel
    group by touchpoints.contact_id
) as contacts
where conversions.contact_id = contacts.contact_id and random() > contacts.quality + 0.2
"""
# ChannelAttribution's input: one row per distinct path, its conversions and non-conversions
PEER_PATHS = """
with converting as (
    select string_agg(channel, '>' order by touch_number) as path
    from intermediate.int_attribution_journeys
    where touchpoint_id is not null
    group by conversion_id
),
data_end as (
    select greatest(
        (select max(touched_at) from intermediate.int_attribution_touchpoints),
        (select max(converted_at) from intermediate.int_attribution_conversions)
    ) as data_end_at
),
open_paths as (
    select string_agg(channel, '>' order by touched_at, touchpoint_id) as path
    from intermediate.int_attribution_touchpoints as touchpoints
    cross join data_end
    -- the project's attribution_lookback_days
    where touched_at > data_end.data_end_at - interval '90 days'
        and not exists (
            select from intermediate.int_attribution_conversions as conversions
            where conversions.contact_id = touchpoints.contact_id
        )
    group by contact_id
)
select path, sum(conversions) as total_conversions, sum(nulls) as total_null
from (
    select path, 1 as conversions, 0 as nulls from converting
    union all
    select path, 0, 1 from open_paths
) as paths
group by path
"""
PEER = """
import json, sys, time
import pandas as pd
from ChannelAttribution import markov_model
paths = pd.read_csv(sys.argv[1])
if sys.argv[3] == "journeys":  # one row per journey, as a data set of journeys comes
    converted = paths.loc[paths.index.repeat(paths.total_conversions)]
    lost = paths.loc[paths.index.repeat(paths.total_null)]
    paths = pd.concat([converted.assign(total_conversions=1, total_null=0),
                       lost.assign(total_conversions=0, total_null=1)], ignore_index=True)
seconds = []
for _ in range(int(sys.argv[2])):
    started = time.perf_counter()
    result = markov_model(paths, "path", "total_conversions", var_null="total_null",
                          order=1, out_more=True, verbose=False, flg_pro=False)
    seconds.append(time.perf_counter() - started)
effects = result["removal_effects"]
print(json.dumps({
    "rows": len(paths),
    "seconds": seconds,
    "removal_effects": dict(zip(effects["channel_name"], effects["removal_effect"])),
}))
"""


def load_inputs(url: str) -> dict[str, int]:
    converting = int(CONTACTS * CONVERTING_SHARE)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select setseed(0.15)")
        for statement in INPUTS.split(";\n"):
            if statement.strip():
                conn.execute(statement, {"contacts": CONTACTS, "converting": converting})
        conn.execute(THIN_OUT)
        conn.execute("analyze")
    run_dbt(["run", "--select", "int_attribution_journeys", "--threads", "1"], url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("analyze")
        counted = conn.execute(
            "select (select count(*) from intermediate.int_attribution_touchpoints), "
            "(select count(*) from intermediate.int_attribution_conversions), "
            "(select count(*) from intermediate.int_attribution_journeys)"
        ).fetchone()
    return dict(zip(["touchpoints", "conversions", "journey_touches"], counted, strict=True))


# One day of the world's changes, the day after the end of the data (%(night)s numbers the
# night): new contacts in the world's daily proportions (a converting one ends its journey
# that day, a 1,095th of the converting contacts; a never-converting one touches for the first
# time, a 29th of them, as the world spreads them over its last month), returning visits of
# recent contacts, late touches (dated in the last month) and conversions of recent contacts.
NIGHT = """
create temporary table night_contacts on commit drop as
select
    'n' || %(night)s || ':' || number as contact_id,
    number <= %(converting)s as converts,
    (select max(touched_at) from intermediate.int_attribution_touchpoints) + interval '1 day'
        as last_touch_at,
    1 + least(7, floor(-ln(1 - random()) / 0.45))::integer as touches
from generate_series(1, %(converting)s + %(opening)s) as number;

insert into intermediate.int_attribution_touchpoints
select
    contacts.contact_id,
    't' || contacts.contact_id || ':' || step,
    contacts.last_touch_at - (contacts.touches - step) * interval '3 hours'
    - random() * interval '2 hours',
    weighted.picks[1 + floor(random() * cardinality(weighted.picks))::integer],
    null,
    null
from night_contacts as contacts
cross join lateral generate_series(1, contacts.touches) as step
cross join (
    select array_agg(channel) as picks
    from intermediate.channels
    cross join lateral generate_series(1, (weight * 2)::integer)
) as weighted;

insert into intermediate.int_attribution_conversions
select
    'lead:' || contact_id, 'lead', contact_id, last_touch_at + interval '1 hour',
    last_touch_at + interval '1 hour', null, null, null
from night_contacts
where converts and random() < 0.8;

-- recent contacts of the world (touched in its last month, not converted), in random order
create temporary table recent_contacts on commit drop as
select contact_id, row_number() over (order by random()) as number
from (
    select distinct contact_id
    from intermediate.int_attribution_touchpoints
    where
        contact_id not like 'n%%'
        and touched_at > (select max(last_touch_at) from night_contacts) - interval '30 days'
        and not exists (
            select from intermediate.int_attribution_conversions as conversions
            where conversions.contact_id = int_attribution_touchpoints.contact_id
        )
) as recent
order by random()
limit %(returning)s + %(late)s + %(converted)s;

-- returning visits on the day, then late touches dated in the last month
insert into intermediate.int_attribution_touchpoints
select
    contacts.contact_id,
    't' || contacts.contact_id || ':night' || %(night)s,
    (select max(last_touch_at) from night_contacts) - case
        when contacts.number <= %(returning)s then random() * interval '20 hours'
        else interval '1 day' + random() * interval '29 days'
    end,
    weighted.picks[1 + floor(random() * cardinality(weighted.picks))::integer],
    null,
    null
from recent_contacts as contacts
cross join (
    select array_agg(channel) as picks
    from intermediate.channels
    cross join lateral generate_series(1, (weight * 2)::integer)
) as weighted
where contacts.number <= %(returning)s + %(late)s;

insert into intermediate.int_attribution_conversions
select
    'lead:' || contact_id, 'lead', contact_id,
    (select max(last_touch_at) from night_contacts) + interval '2 hours',
    (select max(last_touch_at) from night_contacts) + interval '2 hours', null, null, null
from recent_contacts
where number > %(returning)s + %(late)s
"""
# a day's changes in the world's proportions (converting contacts over 1,060 days, the others
# over the last 29), and a few hundred returning visits, late touches and conversions
RETURNING, LATE, CONVERTED = 2_000, 300, 300


def timed_markov(url: str, target: Path) -> dict[str, float]:
    """The full recount: the fastest of REPEATS --full-refresh builds."""
    args = ["run", "--full-refresh", "--select", *MARKOV_MODELS, "--threads", "1"]
    best = fastest_dbt_runs(url, target, args, REPEATS)
    return {node.rsplit(".", 1)[-1]: round(seconds, 3) for node, seconds in best.items()}


def one_night(url: str, night: int) -> dict[str, int]:
    """Write one day's changes into the inputs and rebuild the journeys (untimed)."""
    sizes = {
        "night": night,
        "converting": round(CONTACTS * CONVERTING_SHARE / 1060),
        "opening": round(CONTACTS * (1 - CONVERTING_SHARE) / 29),
        "returning": RETURNING,
        "late": LATE,
        "converted": CONVERTED,
    }
    with psycopg.connect(url) as conn:
        conn.execute("select setseed(%s)", [0.15 + night / 100])
        before = conn.execute(
            "select (select count(*) from intermediate.int_attribution_touchpoints),"
            " (select count(*) from intermediate.int_attribution_conversions)"
        ).fetchone()
        for statement in NIGHT.split(";\n"):
            if statement.strip():
                conn.execute(statement, sizes)
        after = conn.execute(
            "select (select count(*) from intermediate.int_attribution_touchpoints),"
            " (select count(*) from intermediate.int_attribution_conversions)"
        ).fetchone()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("analyze intermediate.int_attribution_touchpoints")
        conn.execute("analyze intermediate.int_attribution_conversions")
    run_dbt(["run", "--select", "int_attribution_journeys", "--threads", "1"], url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("analyze intermediate.int_attribution_journeys")
    return {"new_touches": after[0] - before[0], "new_conversions": after[1] - before[1]}


def timed_nights(url: str, target: Path) -> dict[str, Any]:
    """NIGHTS nights, each timed incrementally; then a full refresh must count the same."""
    args = ["run", "--select", *MARKOV_MODELS, "--threads", "1"]
    run_dbt(args, url)  # the state the nights start from (the recount left it)
    nights: list[dict[str, Any]] = []
    for night in range(1, NIGHTS + 1):
        changes = one_night(url, night)
        models = fastest_dbt_runs(url, target, args, 1)
        nights.append(
            {
                **changes,
                "models_s": {node.rsplit(".", 1)[-1]: round(s, 3) for node, s in models.items()},
                "markov_s": round(sum(models.values()), 3),
            }
        )
        print(f"markov | night {night}: {nights[-1]}", flush=True)
    incremental = markov_tables(url)
    run_dbt(["run", "--full-refresh", "--select", *MARKOV_MODELS, "--threads", "1"], url)
    return {"nights": nights, "incremental_equals_full_refresh": incremental == markov_tables(url)}


def journey_count(url: str) -> int:
    """Journeys the Markov chains count: converting ones and non-converting paths."""
    with psycopg.connect(url) as conn:
        counted = conn.execute(
            "select sum(transition_count) from intermediate.int_attribution_markov_transitions"
            " where from_channel is null and conversion_type = 'lead'"
        ).fetchone()
    return int(counted[0])


def markov_tables(url: str) -> tuple[list[tuple[Any, ...]], ...]:
    with psycopg.connect(url) as conn:
        return (
            conn.execute(
                "select * from intermediate.int_attribution_markov_transitions"
                " order by 1, 2, 3, 4, 5"
            ).fetchall(),
            conn.execute(
                "select * from intermediate.int_attribution_removal_effects order by 1, 2"
            ).fetchall(),
        )


def peer_paths(url: str, folder: Path) -> tuple[Path, dict[str, int]]:
    path = folder / "paths.csv"
    with psycopg.connect(url) as conn, path.open("w", newline="") as out:
        rows = conn.execute(PEER_PATHS).fetchall()
        writer = csv.writer(out)
        writer.writerow(["path", "total_conversions", "total_null"])
        writer.writerows(rows)
    shape = {
        "distinct_paths": len(rows),
        "converting_journeys": sum(row[1] for row in rows),
        "non_converting_journeys": sum(row[2] for row in rows),
    }
    return path, shape


def run_peer(paths: Path, rows: str) -> dict[str, Any]:
    """ChannelAttribution on the paths: ``rows`` "paths" (one per distinct path, with counts)
    or "journeys" (one per journey)."""
    if not Path(PEER_PYTHON).exists():
        raise SystemExit(f"{PEER_PYTHON} is missing: run `make bench-venv` first")
    done = subprocess.run(
        [PEER_PYTHON, "-c", PEER, str(paths), str(REPEATS), rows],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"ChannelAttribution failed: {done.stderr.strip().splitlines()[-1]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def thinline_effects(url: str) -> dict[str, float]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select channel, removal_effect from intermediate.int_attribution_removal_effects "
            "where conversion_type = 'lead'"
        ).fetchall()
    return {channel: float(effect) for channel, effect in rows}


def main() -> dict[str, Any]:
    target = Path(tempfile.mkdtemp(prefix="thinline-bench-dbt-"))
    os.environ["DBT_TARGET_PATH"] = str(target)  # run_results.json of this run only
    os.environ["DBT_LOG_PATH"] = str(target / "logs")
    load_at_start = os.getloadavg()
    with bench_database("bench_markov") as url:
        started = time.perf_counter()
        rows = load_inputs(url)
        print(f"markov | inputs {rows} in {time.perf_counter() - started:.0f} s", flush=True)
        models = timed_markov(url, target)
        print(f"markov | Thinline, full recount {models}", flush=True)
        full_shape = journey_count(url)
        nightly = timed_nights(url, target)
        paths, shape = peer_paths(url, target)
        peers = {rows: run_peer(paths, rows) for rows in ("journeys", "paths")}
        for rows, peer in peers.items():
            print(f"markov | ChannelAttribution, one row per {rows[:-1]}: {peer['seconds']}")
        ours = thinline_effects(url)
        with psycopg.connect(url) as conn:
            server = str(conn.execute("show server_version").fetchone()[0])
    thinline_s = round(sum(models.values()), 3)
    night_s = min(night["markov_s"] for night in nightly["nights"])
    peer_s = {rows: round(min(peer["seconds"]), 3) for rows, peer in peers.items()}

    def ratios(seconds: float) -> dict[str, float]:
        return {
            "vs_one_row_per_journey": round(seconds / peer_s["journeys"], 2),
            "vs_one_row_per_distinct_path": round(seconds / peer_s["paths"], 2),
        }

    return {
        "benchmark": "data-driven attribution: Markov counting and solve vs ChannelAttribution",
        "machine": {
            "cpu_count": os.cpu_count(),
            "postgresql": server,
            # the machine may be shared: how busy it was (1, 5 and 15 minutes)
            "load_average_at_start": [round(load, 2) for load in load_at_start],
            "load_average_at_end": [round(load, 2) for load in os.getloadavg()],
        },
        "journeys": {
            **shape,
            "journeys": shape["converting_journeys"] + shape["non_converting_journeys"],
            "journeys_at_full_recount": full_shape,
        },
        "inputs": rows,
        "full_recount": {
            "thinline_models_s": models,
            "thinline_s": thinline_s,
            "ratio": ratios(thinline_s),
        },
        "nightly": {
            **nightly,
            "thinline_s": night_s,
            "ratio": ratios(night_s),
        },
        "channelattribution_markov_model_s": {
            "one_row_per_journey": peer_s["journeys"],
            "one_row_per_distinct_path": peer_s["paths"],
        },
        "target_ratio": 1.0,
        "removal_effects": {
            channel: {
                "thinline_exact": round(ours.get(channel, 0.0), 6),
                "channelattribution": round(peers["paths"]["removal_effects"].get(channel, 0.0), 6),
            }
            for channel in sorted(ours)
        },
    }
