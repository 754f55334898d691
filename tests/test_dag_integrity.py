"""The DAG file: imports cleanly, does no I/O at import, and is wired as documented."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parent.parent / "dags"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_dags_import_without_errors_or_cycles(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dags) == {"thinline_nightly", "thinline_report"}
    for dag in dagbag.dags.values():
        dag.check_cycle()  # raises on a cycle


def test_nightly_schedule_retries_and_tags(dagbag) -> None:
    dag = dagbag.dags["thinline_nightly"]
    assert dag.max_active_runs == 1
    assert type(dag.timetable).__name__ == "CronDataIntervalTimetable"
    assert dag.timetable.expression == "0 2 * * *"
    assert {"thinline", "nightly"} <= set(dag.tags)
    assert dag.doc_md


def test_every_task_retries_with_backoff_and_alerts_when_it_fails(dagbag) -> None:
    for task in itertools.chain.from_iterable(dag.tasks for dag in dagbag.dags.values()):
        callbacks = task.on_failure_callback
        callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
        names = [type(callback).__name__ for callback in callbacks]
        assert "FailureAlert" in names, task.task_id  # thinline/dag_support.py's notifier
        assert task.retries >= 1, task.task_id
        assert task.retry_exponential_backoff > 1.0, task.task_id  # a real multiplier in 3.3


def test_nightly_runs_its_gates_in_order(dagbag) -> None:
    dag = dagbag.dags["thinline_nightly"]
    ids = set(dag.task_ids)
    assert {"extract.extract_hubspot", "extract.extract_google_ads"} <= ids
    chain = ["validate_raw", "transform", "validate_marts", "publish", "digest"]
    assert "publish" in dag.get_task("send_conversions").upstream_task_ids
    for upstream, downstream in itertools.pairwise(chain):
        assert upstream in dag.get_task(downstream).upstream_task_ids
    for task_id in ("extract.extract_hubspot", "extract.extract_google_ads"):
        assert task_id in dag.get_task("validate_raw").upstream_task_ids
    # Nothing reaches publish except through both quality gates: its other inputs (the
    # extracts' and the raw gate's results, for the run summary) are upstream of them.
    gate = dag.get_task("validate_marts")
    gated = {task.task_id for task in gate.get_flat_relatives(upstream=True)} | {gate.task_id}
    publish_inputs = dag.get_task("publish").upstream_task_ids
    assert "validate_marts" in publish_inputs and publish_inputs <= gated
    assert dag.get_task("transform").upstream_task_ids == {"validate_raw"}


def test_publish_emits_the_asset_the_report_is_scheduled_on(dagbag) -> None:
    nightly, report = dagbag.dags["thinline_nightly"], dagbag.dags["thinline_report"]
    (published,) = nightly.get_task("publish").outlets
    assert published.name == "thinline_analytics"
    assert report.timetable.asset_condition.objects == (published,)
    assert report.get_task("report").inlets == [published]


def test_each_source_extract_is_mapped_over_its_accounts(monkeypatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("THINLINE_SOURCES", "hubspot,meta_ads")
    monkeypatch.setenv("THINLINE_META_ADS__PARALLEL_ACCOUNTS", "2")
    dag = DagBag(dag_folder=str(DAGS)).dags["thinline_nightly"]
    assert [t for t in dag.task_ids if t.startswith("extract.")] == [
        "extract.accounts_hubspot",
        "extract.extract_hubspot",
        "extract.accounts_meta_ads",
        "extract.extract_meta_ads",
    ]
    meta = dag.get_task("extract.extract_meta_ads")
    assert meta.is_mapped and meta.upstream_task_ids == {"extract.accounts_meta_ads"}
    assert meta.partial_kwargs["max_active_tis_per_dag"] == 2
    assert dag.get_task("extract.extract_hubspot").partial_kwargs["max_active_tis_per_dag"] == 4
    assert meta.partial_kwargs["pool"] == "default_pool"  # pools are opt-in
    assert dag.get_task("validate_raw").upstream_task_ids == {
        "extract.extract_hubspot",
        "extract.extract_meta_ads",
    }

    monkeypatch.setenv("THINLINE_USE_POOLS", "true")
    dag = DagBag(dag_folder=str(DAGS)).dags["thinline_nightly"]
    assert dag.get_task("extract.extract_meta_ads").partial_kwargs["pool"] == "thinline_meta_ads"


def test_a_malformed_parallel_accounts_is_an_import_error_naming_the_setting(monkeypatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("THINLINE_SOURCES", "google_ads")
    monkeypatch.setenv("THINLINE_GOOGLE_ADS__PARALLEL_ACCOUNTS", "0")
    errors = DagBag(dag_folder=str(DAGS)).import_errors
    assert any("THINLINE_GOOGLE_ADS__PARALLEL_ACCOUNTS must be" in text for text in errors.values())


@pytest.mark.parametrize("dag_file", ["thinline_nightly.py", "thinline_report.py"])
def test_importing_a_dag_file_does_no_network_or_process_io(dag_file: str) -> None:
    # An audit hook records sockets and subprocesses opened while the DAG module imports.
    probe = textwrap.dedent(
        f"""
        import importlib.util, sys
        # The framework's own imports are not the DAG's doing (croniter shells out to `file`).
        import airflow.sdk, croniter, pendulum
        before = set(sys.modules)
        events = []
        def hook(event, args):
            if event in ("socket.connect", "subprocess.Popen", "os.system", "os.exec"):
                events.append(event)
        sys.addaudithook(hook)
        path = {str(DAGS / dag_file)!r}
        spec = importlib.util.spec_from_file_location("nightly", path)
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
        # what DAG files share (airflow.sdk only), and the deadline's callback, which Airflow
        # imports to check it (its own imports wait for the call)
        # and the registry, which lists the sources' folders without importing them
        light = {{"thinline", "thinline.dag_support", "thinline.deadline", "extract",
                  "extract.registry"}}
        heavy = sorted({{m.split(".")[0] for m in set(sys.modules) - before - light}}
                       & {{"dbt", "great_expectations", "psycopg", "httpx", "thinline", "extract"}})
        print(events, heavy)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[] []"


def test_the_nightly_alerts_when_not_published_by_the_deadline(monkeypatch) -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk.definitions.deadline import DeadlineReference

    for setting, hours in ((None, 5.0), ("06:30", 4.5), ("01:00", 23.0)):
        if setting:
            monkeypatch.setenv("THINLINE_PUBLISH_DEADLINE", setting)
        (alert,) = DagBag(dag_folder=str(DAGS)).dags["thinline_nightly"].deadline
        assert alert.reference == DeadlineReference.DAGRUN_QUEUED_AT
        assert alert.interval.total_seconds() == hours * 3600
        assert alert.callback.path == "thinline.deadline.not_published"
        assert alert.callback.kwargs == {"deadline": setting or "07:00"}
    monkeypatch.setenv("THINLINE_PUBLISH_DEADLINE", "off")  # what `thinline run` sets
    assert not DagBag(dag_folder=str(DAGS)).dags["thinline_nightly"].deadline


def test_a_malformed_deadline_is_an_import_error_naming_the_setting(monkeypatch) -> None:
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("THINLINE_PUBLISH_DEADLINE", "7am")
    errors = DagBag(dag_folder=str(DAGS)).import_errors
    assert any("THINLINE_PUBLISH_DEADLINE must be HH:MM" in text for text in errors.values())
