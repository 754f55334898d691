"""What Thinline's DAG files share, light enough to import when a DAG file is parsed (only
``airflow.sdk``; the rest of Thinline is imported inside the tasks and callbacks).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from airflow.sdk import Asset, BaseNotifier
from airflow.sdk.definitions.callback import AsyncCallback
from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference

SCHEDULED_AT = timedelta(hours=2)  # the nightly's cron: 0 2 * * *
DEFAULT_DEADLINE = "07:00"
NO_DEADLINE = "off"
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

# What thinline_nightly's publish produces; its events carry the run summary
# (runs/latest.json). DAGs scheduled on it run after each publish (dags/thinline_report.py).
PUBLISHED_WAREHOUSE = Asset(
    name="thinline_analytics", uri="thinline://warehouse/analytics", group="thinline"
)


class FailureAlert(BaseNotifier):
    """One alert per task that failed for good (thinline/alerts.py; THINLINE_ALERT_*)."""

    def notify(self, context: Any) -> None:
        from thinline.alerts import alert_failure

        alert_failure(context)


def task_defaults() -> dict[str, Any]:
    """Every Thinline task's retries (THINLINE_TASK_RETRIES, THINLINE_TASK_RETRY_DELAY_SECONDS,
    doubling up to 30 min) and its failure alert (THINLINE_ALERT_*; none when unset)."""
    return {
        "retries": int(os.environ.get("THINLINE_TASK_RETRIES", "2")),
        "retry_delay": timedelta(
            seconds=int(os.environ.get("THINLINE_TASK_RETRY_DELAY_SECONDS", "120"))
        ),
        "retry_exponential_backoff": 2.0,  # a float multiplier in Airflow 3.3
        "max_retry_delay": timedelta(minutes=30),
        "on_failure_callback": FailureAlert(),
    }


def parallel_accounts(source: str, environ: Mapping[str, str] = os.environ) -> int:
    """How many accounts of ``source`` extract at once (THINLINE_<SOURCE>__PARALLEL_ACCOUNTS,
    default 4): the mapped extract task's ``max_active_tis_per_dag`` and its pool's slots."""
    name = f"THINLINE_{source.upper()}__PARALLEL_ACCOUNTS"
    value = environ.get(name) or "4"
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


DEFAULT_POOL = "default_pool"  # Airflow's own


def uses_pools(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get("THINLINE_USE_POOLS", "").lower() in ("1", "true", "yes", "on")


def extract_pool(source: str) -> str:
    """The Airflow pool of ``source``'s extract tasks, ``thinline_<source>``, when
    THINLINE_USE_POOLS is on: its slots bound the source's API calls across every DAG and worker
    (``thinline airflow`` and the compose file create the pools); else Airflow's default pool."""
    return f"thinline_{source}" if uses_pools() else DEFAULT_POOL


def hours_to_publish(deadline: str) -> timedelta:
    """How long after 02:00 the UTC clock time ``deadline`` (HH:MM) comes: 07:00 → 5 h."""
    match = _CLOCK.match(deadline)
    if not match:
        raise ValueError(f"THINLINE_PUBLISH_DEADLINE must be HH:MM (UTC) or off, not {deadline!r}")
    at = timedelta(hours=int(match[1]), minutes=int(match[2]))
    return (at - SCHEDULED_AT) % timedelta(days=1)


def publish_deadline() -> DeadlineAlert | None:
    """The nightly's deadline alert (thinline/deadline.py): counted from when the run was
    queued, so the 02:00 run alerts at ``THINLINE_PUBLISH_DEADLINE`` (UTC) unless published;
    none when it is ``off``."""
    deadline = os.environ.get("THINLINE_PUBLISH_DEADLINE") or DEFAULT_DEADLINE
    if deadline == NO_DEADLINE:
        return None
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=hours_to_publish(deadline),
        callback=AsyncCallback("thinline.deadline.not_published", kwargs={"deadline": deadline}),
        name="analytics published",
    )
