"""
### thinline_nightly

Every night at 02:00 UTC, for the previous UTC day:

`extract` (per enabled source, its accounts, then one mapped task per account, each with
its own watermarks, into `raw_<source>`; at most
`THINLINE_<SOURCE>__PARALLEL_ACCOUNTS` at once, in the pool `thinline_<source>` with
`THINLINE_USE_POOLS`) → `validate_raw` (GX raw suites;
a critical failure stops the run) → `transform` (dbt seed + build into `analytics_build`,
models tested as they build) → `validate_marts` (GX reconciliations) → `publish` (atomic swap
into `analytics`, write the run summary, emit the Asset `thinline_analytics`) → `digest`
(the night's quality warnings in one message) and `send_conversions` (published outcomes to
the ad platforms whose uploads are on; thinline/conversions/README.md). The report site is
built by `thinline_report`, scheduled on that Asset.

Manual runs whose interval is empty cover the previous full day. Configuration comes from
`THINLINE_*` environment variables (see README); this file only wires tasks together.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task, task_group

from extract.registry import expand, source_names
from thinline.dag_support import (
    PUBLISHED_WAREHOUSE,
    extract_pool,
    parallel_accounts,
    publish_deadline,
    task_defaults,
)


def enabled_sources() -> list[str]:
    """Sources from ``THINLINE_SOURCES`` (unset: every registered source, found without
    importing a connector); the CLI validates names before a run starts."""
    raw = os.environ.get("THINLINE_SOURCES")
    return expand(raw) if raw else list(source_names())


@dag(
    dag_id="thinline_nightly",
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=task_defaults(),
    # an alert if analytics is not published by THINLINE_PUBLISH_DEADLINE (UTC, default 07:00)
    deadline=publish_deadline(),
    tags=["thinline", "nightly"],
    doc_md=__doc__,
)
def thinline_nightly() -> None:
    sources = enabled_sources()

    @task_group(group_id="extract")
    def extract_group() -> list:
        results = []
        for source in sources:

            @task(task_id=f"accounts_{source}")
            def accounts(source: str = source) -> list[str]:
                """The accounts the source's extract is mapped over ([""]: the whole source)."""
                from thinline.pipeline import accounts_to_extract

                return accounts_to_extract(source)

            @task(
                task_id=f"extract_{source}",
                map_index_template="{{ account_label }}",
                max_active_tis_per_dag=parallel_accounts(source),
                pool=extract_pool(source),
            )
            def extract_one(account: str, source: str = source, **context) -> dict:
                from airflow.sdk import get_current_context

                from thinline.interval import window_from_context
                from thinline.pipeline import extract

                # the map index's name; **context is a copy, the template sees the original
                get_current_context()["account_label"] = account or source
                return extract(source, window_from_context(context), context["run_id"], account)

            results.append(extract_one.expand(account=accounts()))
        return results

    @task
    def validate_raw(extracts: list, **context) -> dict:
        from thinline.interval import window_from_context
        from thinline.pipeline import per_source
        from thinline.pipeline import validate_raw as run

        sources = [item["source"] for item in per_source(extracts)]
        return run(context["run_id"], sources, window_from_context(context))

    @task
    def transform(raw_quality: dict, **context) -> dict:
        from thinline.interval import window_from_context
        from thinline.pipeline import transform as run

        return run(context["run_id"], window_from_context(context))

    @task
    def validate_marts(built: dict, **context) -> dict:
        from thinline.pipeline import validate_marts as run

        return run(context["run_id"])

    @task(outlets=[PUBLISHED_WAREHOUSE])
    def publish(marts_quality: dict, extracts: list, raw_quality: dict, **context) -> dict:
        from thinline.interval import window_from_context
        from thinline.pipeline import per_source, publish_marts, write_summary

        published = publish_marts(context["run_id"])
        summary = write_summary(
            context["run_id"],
            window_from_context(context),
            per_source(extracts),
            raw_quality,
            marts_quality,
            published,
        )
        context["outlet_events"][PUBLISHED_WAREHOUSE].extra = summary
        return summary

    @task
    def digest(summary: dict) -> list[str]:
        from thinline.pipeline import send_digest

        return send_digest(summary["run_id"])

    @task
    def send_conversions(summary: dict, **context) -> dict:
        from thinline.interval import window_from_context
        from thinline.pipeline import send_conversions as send

        return send(summary["run_id"], window_from_context(context))

    extracts = extract_group()
    raw_quality = validate_raw(extracts)
    marts_quality = validate_marts(transform(raw_quality))
    summary = publish(marts_quality, extracts, raw_quality)
    digest(summary)
    send_conversions(summary)


thinline_nightly()
