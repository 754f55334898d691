"""
### thinline_report

Builds the report site (`site/index.html`: the dashboards, the dbt docs and the quality
results) each time `thinline_nightly` publishes `analytics`: it is scheduled on the Asset
`thinline_analytics`, and reports the run whose summary the latest event of that Asset
carries. Whatever else should follow a publish (a BI refresh, conversion uploads) is
scheduled on the same Asset.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from thinline.dag_support import PUBLISHED_WAREHOUSE, task_defaults


@dag(
    dag_id="thinline_report",
    schedule=[PUBLISHED_WAREHOUSE],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=task_defaults(),
    tags=["thinline", "report"],
    doc_md=__doc__,
)
def thinline_report() -> None:
    @task(inlets=[PUBLISHED_WAREHOUSE])
    def report(**context) -> str:
        from thinline.pipeline import report as build

        events = context["inlet_events"][PUBLISHED_WAREHOUSE]
        return build(events[-1].extra if events else None)

    report()


thinline_report()
