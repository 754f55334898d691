"""The publish deadline: an alert when ``analytics`` is not published by a time of day.

``thinline_nightly`` carries an Airflow deadline alert (``THINLINE_PUBLISH_DEADLINE``, UTC,
default 07:00; dags/thinline_nightly.py). Its reference is when the run was queued: the
02:00 run must publish within the hours from 02:00 to the deadline. The scheduler notices a
run that has not succeeded by then, whether it is still running or has failed, and the
triggerer calls :func:`not_published`, which sends one message with the run and each of its
steps that is not done (running, failed, waiting) to the failure-alert channels.
"""

from __future__ import annotations

import logging
from typing import Any

from thinline.dag_support import DEFAULT_DEADLINE

log = logging.getLogger(__name__)

_DONE = {"success", "skipped"}


def run_id_of(dag_run: dict[str, Any]) -> str | None:
    """The run id of the scheduler's DAG-run document (``dag_run_id`` in the REST model)."""
    return dag_run.get("dag_run_id") or dag_run.get("run_id")


def deadline_message(
    dag_run: dict[str, Any], deadline: str, states: dict[str, str | None]
) -> tuple[str, str]:
    """Subject and body: the run, its state, and every step not done with its state."""
    run_id, state = run_id_of(dag_run), dag_run.get("state")
    subject = f"Thinline: analytics not published by {deadline} UTC ({run_id})"
    pending = {task: task_state or "not started" for task, task_state in states.items()}
    pending = {task: task_state for task, task_state in pending.items() if task_state not in _DONE}
    steps = [f"  {task}: {task_state}" for task, task_state in sorted(pending.items())]
    body = "\n".join(
        [
            f"DAG run {dag_run.get('dag_id')} / {run_id} is {state} at the publish deadline "
            f"({deadline} UTC); analytics still holds the previous night's tables.",
            "Steps not done:" if steps else "Every step is done; the run has not finished.",
            *steps,
            "Logs: the run in Airflow's UI (Dags > thinline_nightly).",
        ]
    )
    return subject, body


def task_states(dag_id: str, run_id: str) -> dict[str, str | None]:
    """Each task's state in the run, asked of Airflow through the Task SDK (the triggerer
    that runs the callback answers it)."""
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    found = RuntimeTaskInstance.get_task_states(dag_id=dag_id, run_ids=[run_id])
    return dict(found.get(run_id, {}))


async def not_published(context: dict[str, Any], deadline: str = DEFAULT_DEADLINE) -> None:
    """The deadline's callback (run by the triggerer): one message to the alert channels."""
    from asgiref.sync import sync_to_async

    from thinline.alerts import send
    from thinline.settings import load_settings

    dag_run = context["dag_run"]
    run_id = run_id_of(dag_run)
    try:
        states = await sync_to_async(task_states)(dag_run["dag_id"], run_id)
    except Exception as error:  # the alert matters more than its detail
        log.warning("deadline | task states unavailable: %s", type(error).__name__)
        states = {}
    subject, body = deadline_message(dag_run, deadline, states)
    settings = load_settings()
    reached = await sync_to_async(send)(subject, body, settings)
    log.info("deadline | %s reported to %s", subject, ", ".join(reached) or "no channel")
