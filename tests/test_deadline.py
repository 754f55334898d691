"""The publish deadline's message (thinline/deadline.py); the scheduler and triggerer sending
it are checked in tests/integration/test_airflow_local.py."""

from __future__ import annotations

from thinline.deadline import deadline_message

RUN = {"dag_id": "thinline_nightly", "dag_run_id": "scheduled__2026-03-11T02:00:00+00:00"}


def test_the_message_names_the_run_and_every_step_not_done() -> None:
    states = {
        "extract.extract_hubspot": "success",
        "extract.extract_salesforce": "failed",
        "validate_raw": "upstream_failed",
        "publish": None,
        "digest": None,
    }
    subject, body = deadline_message({**RUN, "state": "failed"}, "07:00", states)
    assert subject == f"Thinline: analytics not published by 07:00 UTC ({RUN['dag_run_id']})"
    assert f"DAG run thinline_nightly / {RUN['dag_run_id']} is failed" in body
    lines = body.splitlines()
    assert "  extract.extract_salesforce: failed" in lines
    assert "  validate_raw: upstream_failed" in lines
    assert "  publish: not started" in lines and "  digest: not started" in lines
    assert not any("extract_hubspot" in line for line in lines)  # done steps are left out


def test_without_task_states_the_message_still_goes_out() -> None:
    subject, body = deadline_message({**RUN, "state": "running"}, "07:00", {})
    assert "not published by 07:00 UTC" in subject
    assert "is running at the publish deadline" in body
