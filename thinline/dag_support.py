"""What Thinline's DAG files share, light enough to import when a DAG file is parsed (only
``airflow.sdk``; the rest of Thinline is imported inside the tasks and callbacks).
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Asset, BaseNotifier

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
