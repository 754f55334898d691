"""Incremental nights give the same warehouse as a full rebuild (issue 15).

One benchmark company (bench/company_data.py) at a small size is built night after night on
the embedded PostgreSQL, as the nightly transform builds it:

1. the first night, a full build;
2. the next day merged in (new people and touches, a late-arriving membership, a merged HubSpot
   contact, re-opened deals, restated ad days), plus what a CRM does on any day: a campaign
   renamed, a membership deleted, a Google click withdrawn, two contacts found to share an
   email;
3. a changed channel mapping seed (the analysts' file), and another late membership.

The database is then copied and the copy rebuilt with --full-refresh: every table of the build
schema (the marts publish renames to analytics) and of the intermediate schema must be the
same, row for row, and the incremental models must really have re-derived only the changes.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bench.company_data import Size, add_company_day, load_company
from quality.results import RESULTS_DDL
from tests.conftest import create_database, drop_database
from thinline.dbt import BUILD_SCHEMA, PROJECT_DIR, DbtError, run_dbt
from thinline.pipeline import build_args
from thinline.settings import load_settings
from thinline.tested import passed_through, record_passed
from thinline.warehouse import EmbeddedWarehouse

pytestmark = pytest.mark.integration

# big enough for the day after to merge a contact and bring a late membership
SIZE = Size(deals=1000, contacts=10000, touchpoints=100000, reps=12, teams=6, ad_campaigns=4)
INCREMENTAL = (
    "int_attribution_hubspot_touchpoints",
    "int_attribution_salesforce_touchpoints",
    "int_attribution_touchpoints",
    # every open deal per day: a night rewrites the deals whose states changed (issue 19)
    "int_pipeline_daily",
    # the conversions whose row, committee or window's touches changed (README_markov.md)
    "int_attribution_journeys",
    # the credits of the conversions the journeys rebuilt
    "int_attribution_rule_credits",
)
# when a row was derived differs between two builds by design
NOT_COMPARED = {"_derived_at"}
# a history of the builds themselves: what each night rebuilt, and when
NOT_COMPARED_TABLES = {"intermediate.int_attribution_journeys__changes"}
COMPARED_SCHEMAS = (BUILD_SCHEMA, "intermediate")


# the nightly transform's build (thinline/pipeline.py), without its tests: models and snapshot
BUILD = (
    "build",
    "--exclude",
    "resource_type:seed",
    "resource_type:test",
    "resource_type:unit_test",
)


def dbt(url: str, project: Path, *args: str) -> dict[str, Any]:
    """``dbt <args>`` on ``project``; its run_results.json by model name."""
    run_dbt(list(args), url, project=project)
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    return {result["unique_id"].split(".")[-1]: result for result in results}


def rows_written(results: dict[str, Any], model: str) -> int:
    return results[model]["adapter_response"]["rows_affected"]


def table_rows(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f"select count(*) from {table}").fetchone()[0]


def execute(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            assert conn.execute(statement).rowcount != 0, statement


def table_digests(url: str) -> dict[str, tuple[int, str]]:
    """Every table of the compared schemas: its row count and an md5 of its sorted rows
    (columns in name order, without NOT_COMPARED)."""
    with psycopg.connect(url) as conn:
        columns: dict[str, list[str]] = {}
        for table, column in conn.execute(
            "select table_schema || '.' || table_name, column_name "
            "from information_schema.columns join information_schema.tables "
            "using (table_schema, table_name) "
            "where table_schema = any(%s) and table_type = 'BASE TABLE' "
            "order by 1, 2",
            (list(COMPARED_SCHEMAS),),
        ):
            if column not in NOT_COMPARED and table not in NOT_COMPARED_TABLES:
                columns.setdefault(table, []).append(column)
        digests = {}
        for table, names in columns.items():
            row = ", ".join(f'"{name}"' for name in names)
            digests[table] = conn.execute(
                f"select count(*), coalesce(md5(string_agg(line, E'\\n' order by line)), '') "
                f"from (select row({row})::text as line from {table}) as rows"
            ).fetchone()
    return digests


def table_indexes(url: str) -> set[str]:
    """The intermediate tables' indexes, as "table: [unique ]using ..." (no index name)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select tablename, case when indexdef like 'CREATE UNIQUE %%' then 'unique ' "
            "else '' end || regexp_replace(indexdef, '^.* USING ', 'using ') from pg_indexes "
            "where schemaname = 'intermediate'"
        ).fetchall()
    return {f"{table}: {definition}" for table, definition in rows}


def differing(left: dict[str, tuple[int, str]], right: dict[str, tuple[int, str]]) -> list[str]:
    return sorted(name for name in left.keys() | right.keys() if left.get(name) != right.get(name))


def copy_database(url: str) -> str:
    """A new database made from ``url``'s (nobody may be connected to it meanwhile)."""
    server, name = url.rsplit("/", 1)
    copy = f"{name}_full"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'create database "{copy}" template "{name}"')
    return f"{server}/{copy}"


@pytest.fixture(scope="module")
def nights(
    embedded_warehouse: EmbeddedWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Three nights built incrementally, then a copy of the warehouse fully rebuilt."""
    project = tmp_path_factory.mktemp("incremental") / "dbt_project"
    shutil.copytree(PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    url = create_database(embedded_warehouse.url())
    full = None
    try:
        load_company(url, SIZE)
        execute(url, RESULTS_DDL)  # rpt_data_health reads ops.quality_results
        dbt(url, project, "seed")
        first = dbt(url, project, *BUILD)

        add_company_day(url, SIZE)
        execute(
            url,
            # a campaign renamed: every membership's source and campaign change
            "update raw_salesforce.campaigns set record = jsonb_set(record, '{Name}', "
            "to_jsonb('Renamed ' || (record ->> 'Name'))), _loaded_at = now() "
            "where campaign_id = (select min(campaign_id) from raw_salesforce.campaigns)",
            # a membership deleted in Salesforce
            "update raw_salesforce.campaign_members set is_deleted = true, _loaded_at = now() "
            "where campaign_member_id = (select min(campaign_member_id) "
            "from raw_salesforce.campaign_members where not is_deleted)",
            # a Google click withdrawn: the contact's click is no longer matched
            "update raw_google_ads.click_views set is_deleted = true, _loaded_at = now() "
            "where gclid = (select min(gclid) from raw_google_ads.click_views "
            "where gclid in (select record -> 'properties' ->> 'hs_google_click_id' "
            "from raw_hubspot.contacts))",
            # two contacts turn out to be one person: the later one takes the earlier's email,
            # so its touches move to another contact_id without any touch changing
            "update raw_hubspot.contacts set record = jsonb_set(record, '{properties,email}', "
            "(select record -> 'properties' -> 'email' from raw_hubspot.contacts "
            "where record -> 'properties' ->> 'email' is not null order by contact_id limit 1)),"
            " _loaded_at = now() where contact_id = (select max(contact_id) "
            "from raw_hubspot.contacts where record -> 'properties' ->> 'email' is not null)",
        )
        second = dbt(url, project, *BUILD)

        mapping = project / "seeds" / "channel_mapping.csv"
        with mapping.open(newline="") as file:
            rules = list(csv.DictReader(file))
        for rule in rules:  # the analysts split paid search off Google's own ads
            if rule["channel"] == "paid_search" and rule["source_pattern"] != "google":
                rule["channel"] = "search_ads"
        with mapping.open("w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=list(rules[0]))
            writer.writeheader()
            writer.writerows(rules)
        execute(
            url,
            # a membership arriving late: created a month ago, loaded tonight
            "insert into raw_salesforce.campaign_members "
            "select campaign_member_id || 'L', record || jsonb_build_object('Id', "
            "campaign_member_id || 'L'), false, now(), 'late' "
            "from raw_salesforce.campaign_members "
            "where campaign_member_id = (select max(campaign_member_id) "
            "from raw_salesforce.campaign_members where not is_deleted)",
        )
        dbt(url, project, "seed")
        third = dbt(url, project, *BUILD)
        incremental = table_digests(url)
        full = copy_database(url)
        refreshed = dbt(full, project, *BUILD, "--full-refresh")
        yield {
            "url": url,
            "project": project,
            "nights": [first, second, third],
            "refreshed": refreshed,
            "incremental": incremental,
            "full": table_digests(full),
            "full_indexes": table_indexes(full),
        }
    finally:
        if full is not None:
            drop_database(full)
        drop_database(url)


def test_incremental_nights_equal_a_full_refresh(nights: dict[str, Any]) -> None:
    incremental, full = nights["incremental"], nights["full"]
    assert {f"intermediate.{model}" for model in INCREMENTAL} <= incremental.keys()
    assert len([name for name in incremental if name.startswith(BUILD_SCHEMA)]) >= 15
    assert differing(incremental, full) == []


def test_a_full_refresh_re_derives_every_row(nights: dict[str, Any]) -> None:
    for model in INCREMENTAL:
        rows = nights["full"][f"intermediate.{model}"][0]
        assert rows_written(nights["refreshed"], model) == rows > 0, model


def test_a_full_refresh_keeps_the_incremental_indexes(nights: dict[str, Any]) -> None:
    """dbt's backup of the replaced table still holds the old index's name when the post-hooks
    run: the new table's index is found by its columns, not its name (ensure_index)."""
    assert {
        "int_attribution_touchpoints: unique using btree (touchpoint_id)",
        "int_attribution_touchpoints: using btree (_derived_at)",
        "int_attribution_salesforce_touchpoints: unique using btree (touchpoint_id)",
        "int_attribution_hubspot_touchpoints: unique using btree (touchpoint_id)",
        "int_attribution_journeys: using btree (conversion_id)",
        "int_attribution_rule_credits: using btree (conversion_id)",
        "int_pipeline_daily: unique using btree (deal_key, date_day)",
    } <= nights["full_indexes"]


def test_the_night_asks_dbt_for_a_full_refresh_when_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THINLINE_FULL_REFRESH", raising=False)
    assert "--full-refresh" not in build_args(load_settings())
    monkeypatch.setenv("THINLINE_FULL_REFRESH", "true")
    assert build_args(load_settings())[-1] == "--full-refresh"


def test_a_night_re_derives_only_what_changed(nights: dict[str, Any]) -> None:
    url, second = nights["url"], nights["nights"][1]
    for model in INCREMENTAL:
        total = table_rows(url, f"intermediate.{model}")
        written = rows_written(second, model)
        assert 0 < written < total / 5, (model, written, total)


def test_a_changed_channel_mapping_rebuilds_the_touchpoints(nights: dict[str, Any]) -> None:
    url, third = nights["url"], nights["nights"][2]
    # the seed's checksum is part of the model's fingerprint: every touch re-derived
    assert rows_written(third, "int_attribution_touchpoints") == table_rows(
        url, "intermediate.int_attribution_touchpoints"
    )
    # the per-source touches do not read the mapping: still only the late membership's
    assert rows_written(third, "int_attribution_salesforce_touchpoints") < 50
    with psycopg.connect(url) as conn:
        renamed = conn.execute(
            "select count(*) from intermediate.int_attribution_touchpoints "
            "where channel = 'search_ads'"
        ).fetchone()[0]
    assert renamed > 0


def test_the_comparison_sees_a_single_changed_value(nights: dict[str, Any]) -> None:
    """The digests would catch one wrong row: one changed value changes one table's digest."""
    url = nights["url"]
    execute(
        url,
        "update intermediate.int_attribution_touchpoints set channel = channel || '!' "
        "where touchpoint_id = (select min(touchpoint_id) "
        "from intermediate.int_attribution_touchpoints)",
    )
    assert differing(nights["incremental"], table_digests(url)) == [
        "intermediate.int_attribution_touchpoints"
    ]


def test_a_weekday_night_tests_the_rows_it_derived(nights: dict[str, Any]) -> None:
    """In batch scope (six nights of seven), the key tests of the incremental models read the
    rows derived by this dbt invocation; in full scope, every row (macros/test_scope.sql)."""
    url, project = nights["url"], nights["project"]
    table = "intermediate.int_attribution_touchpoints"
    with psycopg.connect(url, autocommit=True) as conn:
        touch, derived_at = conn.execute(
            f"select touchpoint_id, _derived_at from {table} order by touchpoint_id limit 1"
        ).fetchone()
    test = ["test", "--select", "int_attribution_touchpoints,test_type:data"]
    try:
        # an old row breaks the rule: a weekday night does not read it, Sunday's does
        execute(url, f"update {table} set touchpoint_id = null where touchpoint_id = '{touch}'")
        run_dbt(test, url, project=project, test_scope="batch")
        with pytest.raises(DbtError, match="not_null_int_attribution_touchpoints_touchpoint_id"):
            run_dbt(test, url, project=project, test_scope="full")
        # the last build that passed ended before the row was derived (a failed night, a
        # retried transform): the weekday night reads it again
        with pytest.raises(DbtError, match="not_null_int_attribution_touchpoints_touchpoint_id"):
            run_dbt(
                test,
                url,
                project=project,
                test_scope="batch",
                tested_since=derived_at - timedelta(seconds=1),
            )
        # the same row derived during the night: the weekday night reads it
        execute(
            url,
            f"update {table} set _derived_at = now() + interval '1 hour' "
            "where touchpoint_id is null",
        )
        with pytest.raises(DbtError, match="not_null_int_attribution_touchpoints_touchpoint_id"):
            run_dbt(test, url, project=project, test_scope="batch")
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                f"update {table} set touchpoint_id = %s, _derived_at = %s "
                "where touchpoint_id is null",
                (touch, derived_at),
            )


def test_the_boundary_is_the_last_build_that_passed(fresh_database: str) -> None:
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        assert passed_through(conn) is None  # no passing build on record: every row
        record_passed(conn)
        first = passed_through(conn)
        record_passed(conn)
        assert first is not None and passed_through(conn) >= first
