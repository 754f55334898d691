"""The Airflow processes Thinline starts: the console shows how each task ended, the run log
keeps every line written before a kill, SIGTERM stops what Ctrl-C stops, and what a killed
command left running is stopped by the next one (issue 14, finding 9).

Airflow itself is replaced by small scripts here (real processes, real signals, real
``kill -9``); tests/integration/test_airflow_local.py runs the real thing."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import psutil
import pytest

import thinline.airflow_runner as runner
from extract.base import ConfigError
from thinline.airflow_local import (
    LocalAirflow,
    local_env,
    serve_until_interrupted,
    stop_leftovers,
)
from thinline.airflow_runner import DAGS_TEST_RECORD, Progress, run_nightly
from thinline.processes import ProcessRecord

# Lines of a real `thinline run` log (`airflow dags test`) whose transform failed, shortened.
FAILED_TRANSFORM = """\
2026-12-05T17:19:07.527729Z [info     ] [DAG TEST] starting task_id=transform map_index=-1 [airflow.sdk.definitions.dag] loc=dag.py:1501
2026-12-05T17:19:07.537397Z [info     ] Task instance state updated    [airflow.api_fastapi.execution_api.routes.task_instances] correlation_id=01a24737-790a-7600-9819-fb2dd9feeccb loc=task_instances.py:254 rows_affected=1 ti_id=01a24737-409c-7fdb-85ba-209a7c6e052f
2026-12-05T17:19:07.567537Z [info     ] running dbt seed               [thinline.dbt] loc=dbt.py:93
2026-12-05T17:19:11.559088Z [error    ] Task failed with exception     [task] loc=task_runner.py:1676
Traceback (most recent call last):
  File "/work/main/thinline/dbt.py", line 103, in run_dbt
    raise DbtError(
thinline.dbt.DbtError: dbt seed failed: Compilation Error in model time_spine_daily (models/semantic/time_spine_daily.sql)
2026-12-05T17:19:11.561034Z [info     ] ::group::Post Execute          [task] loc=task_runner.py:1677
2026-12-05T17:19:11.577166Z [info     ] Task instance state updated    [airflow.api_fastapi.execution_api.routes.task_instances] correlation_id=01a24737-88cc-72cf-bccc-2a8e0e97bbf0 loc=task_instances.py:485 new_state=failed rows_affected=1 ti_id=01a24737-409c-7fdb-85ba-209a7c6e052f
2026-12-05T17:19:11.583987Z [info     ] [DAG TEST] end task task_id=transform map_index=-1 [airflow.sdk.definitions.dag] loc=dag.py:1563
"""  # noqa: E501

SUCCEEDED_RAW = """\
2026-12-05T17:18:59.245899Z [info     ] [DAG TEST] starting task_id=validate_raw map_index=-1 [airflow.sdk.definitions.dag] loc=dag.py:1501
2026-12-05T17:19:07.466331Z [info     ] thinline | raw quality: 440 checks on 31 tables: 439 passed, 0 failed, 1 warnings (HS-COMPANY-008) [thinline.pipeline] loc=pipeline.py:78
2026-12-05T17:19:07.513090Z [info     ] Task instance state updated    [airflow.api_fastapi.execution_api.routes.task_instances] correlation_id=01a24737-78f1-7b65-b69d-830c1aaa8ac9 loc=task_instances.py:485 new_state=success rows_affected=1 ti_id=01a24737-409b-7190-8371-860b7ab2c95a
2026-12-05T17:19:07.520716Z [info     ] [DAG TEST] end task task_id=validate_raw map_index=-1 [airflow.sdk.definitions.dag] loc=dag.py:1563
"""  # noqa: E501


def console(log: str) -> list[str]:
    progress = Progress()
    return [shown for line in log.splitlines() if (shown := progress.line(line))]


def test_the_console_marks_a_failed_task_failed() -> None:
    assert console(SUCCEEDED_RAW + FAILED_TRANSFORM) == [
        "  … validate_raw",
        "      raw quality: 440 checks on 31 tables: 439 passed, 0 failed, 1 warnings "
        "(HS-COMPANY-008)",
        "  ✓ validate_raw",
        "  … transform",
        "  ✗ DbtError: dbt seed failed: Compilation Error in model time_spine_daily "
        "(models/semantic/time_spine_daily.sql)",
        "  ✗ transform",
    ]


def test_the_console_names_each_account_of_a_mapped_extract() -> None:
    mapped = SUCCEEDED_RAW.replace(
        "validate_raw map_index=-1", "extract.extract_meta_ads map_index=2"
    )
    shown = console(mapped)
    assert shown[0] == "  … extract.extract_meta_ads[2]"
    assert shown[-1] == "  ✓ extract.extract_meta_ads[2]"


def test_a_task_that_ends_neither_succeeded_nor_failed_says_so() -> None:
    retried = FAILED_TRANSFORM.replace("new_state=failed", "new_state=up_for_retry")
    assert console(retried)[-1] == "  ↻ transform (up_for_retry)"
    unknown = "\n".join(line for line in FAILED_TRANSFORM.splitlines() if "new_state" not in line)
    assert console(unknown)[-1] == "  ? transform (state unknown, see the log)"


# -- run_nightly with a stand-in for `airflow dags test` -----------------------------------------

# A task process, in a process group of its own as Airflow's are.
TASK = "import os, time; os.setpgid(0, 0); time.sleep(600)"

FAKE_AIRFLOW = """\
#!{python}
import os, subprocess, sys, time

def say(text):
    print(text, flush=True)

say("[DAG TEST] starting task_id=extract.extract_hubspot map_index=-1")
say("thinline | extracted hubspot: 3 rows")
if os.environ.get("FAKE_AIRFLOW") == "hang":
    task = subprocess.Popen([sys.executable, "-c", {task!r}])
    say(f"thinline | processes {{os.getpid()}} {{task.pid}}")
    time.sleep(600)
say("Task instance state updated    [api] new_state=success rows_affected=1")
say("[DAG TEST] end task task_id=extract.extract_hubspot map_index=-1")
"""


@pytest.fixture
def fake_airflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """An Airflow home with a metadata DB in place and `airflow` replaced by FAKE_AIRFLOW."""
    script = tmp_path / "airflow"
    script.write_text(FAKE_AIRFLOW.format(python=sys.executable, task=TASK))
    script.chmod(0o755)
    monkeypatch.setattr(runner, "_airflow", lambda: str(script))
    home = tmp_path / "airflow-home"
    home.mkdir()
    (home / "airflow.db").touch()  # nothing to migrate
    env = {**os.environ, "AIRFLOW_HOME": str(home)}
    return {"script": script, "home": home, "env": env, "log": tmp_path / "run.log"}


def gone(proc: psutil.Process) -> bool:
    """Exited (a zombie left to a parent that does not reap it counts as exited)."""
    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def kill_all(processes: list[psutil.Process]) -> None:
    """Clean-up after a failure (psutil makes sure each pid is still that process)."""
    for proc in processes:
        with contextlib.suppress(psutil.Error):
            proc.kill()


def test_the_run_log_has_each_line_before_the_console_shows_it(fake_airflow: dict) -> None:
    log_file: Path = fake_airflow["log"]
    in_log_when_shown = {}

    def echo(shown: str) -> None:
        in_log_when_shown[shown] = log_file.read_text()

    assert run_nightly(date(2026, 3, 1), fake_airflow["env"], log_file, echo) == 0
    assert (
        "thinline | extracted hubspot: 3 rows"
        in in_log_when_shown["      extracted hubspot: 3 rows"]
    )
    assert (
        "end task task_id=extract.extract_hubspot"
        in in_log_when_shown["  ✓ extract.extract_hubspot"]
    )


def test_sigterm_stops_airflow_dags_test_and_its_task_processes(fake_airflow: dict) -> None:
    started: list[psutil.Process] = []

    def echo(shown: str) -> None:
        if "processes" in shown:
            started.extend(psutil.Process(int(pid)) for pid in shown.split()[1:])
            os.kill(os.getpid(), signal.SIGTERM)  # as `kill <pid of thinline run>` does

    handler = signal.getsignal(signal.SIGTERM)
    env = {**fake_airflow["env"], "FAKE_AIRFLOW": "hang"}
    with pytest.raises(KeyboardInterrupt):
        run_nightly(date(2026, 3, 1), env, fake_airflow["log"], echo)
    assert len(started) == 2
    assert all(gone(proc) for proc in started), started
    assert (
        fake_airflow["log"]
        .read_text()
        .endswith("thinline: interrupted; stopping airflow dags test\n")
    )
    assert signal.getsignal(signal.SIGTERM) is handler  # restored


RUN_IN_CHILD = """
import sys
from datetime import date
from pathlib import Path
import thinline.airflow_runner as runner
runner._airflow = lambda: sys.argv[1]
runner.run_nightly(date(2026, 3, 1), {**__import__("os").environ}, Path(sys.argv[2]), print)
"""


def wait_for_line(path: Path, text: str, process: subprocess.Popen[str]) -> str:
    """The first line of ``path`` containing ``text`` (while ``process`` runs)."""
    while process.poll() is None:
        found = [line for line in path.read_text().splitlines() if text in line]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"exited with {process.returncode} before writing {text!r}")


def test_what_a_killed_thinline_run_left_running_is_stopped_by_the_next(
    fake_airflow: dict,
) -> None:
    log_file: Path = fake_airflow["log"]
    log_file.touch()
    killed = subprocess.Popen(
        [sys.executable, "-c", RUN_IN_CHILD, str(fake_airflow["script"]), str(log_file)],
        env={**fake_airflow["env"], "FAKE_AIRFLOW": "hang"},
        stdout=subprocess.DEVNULL,
        text=True,
    )
    left: list[psutil.Process] = []
    try:
        line = wait_for_line(log_file, "thinline | processes", killed)
        killed.kill()  # kill -9: no handler, no finally
        killed.wait()
        left = [psutil.Process(int(pid)) for pid in line.split("processes", 1)[1].split()]
        assert not any(gone(proc) for proc in left)  # `airflow dags test` goes on alone

        shown: list[str] = []
        assert run_nightly(date(2026, 3, 2), fake_airflow["env"], log_file, shown.append) == 0
        dags_test = left[0].pid
        assert shown[0] == (
            f"stopping 1 Airflow process (pid {dags_test}) left running by a killed thinline run …"
        )
        assert shown[-1] == "  ✓ extract.extract_hubspot"
        assert all(gone(proc) for proc in left), left
    finally:
        kill_all(left)


def test_a_second_run_on_the_same_airflow_home_is_refused(fake_airflow: dict) -> None:
    with (
        ProcessRecord(fake_airflow["home"] / DAGS_TEST_RECORD, "thinline run"),
        pytest.raises(ConfigError) as refused,
    ):
        run_nightly(date(2026, 3, 1), fake_airflow["env"], fake_airflow["log"], print)
    assert str(refused.value) == (
        f"thinline run is already running for this state folder (pid {os.getpid()}); stop it first"
    )


@pytest.mark.parametrize(
    "content",
    ["", "{", "[]", '"abc"', '{"processes": []}', json.dumps({"processes": {"x": ["1", 2]}})],
)
def test_an_unreadable_record_lists_nothing(tmp_path: Path, content: str) -> None:
    path = tmp_path / "record.json"
    path.write_text(content)
    with ProcessRecord(path, "thinline run") as record:
        assert record.leftovers() == []


def test_a_recorded_pid_now_used_by_another_process_is_not_ours(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    started = psutil.Process().create_time()
    path.write_text(json.dumps({"pid": 1, "processes": {"scheduler": [os.getpid(), started - 60]}}))
    with ProcessRecord(path, "thinline airflow") as record:
        assert record.leftovers() == []


# -- thinline airflow with stand-in components ---------------------------------------------------

# A component that, like Airflow's scheduler, starts a task process in a group of its own.
FAKE_COMPONENT = (
    f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {TASK!r}]); "
    "time.sleep(600)"
)


class StandInAirflow(LocalAirflow):
    """LocalAirflow whose api-server and scheduler are FAKE_COMPONENT. Once they and their task
    processes run, ``wait_until_healthy`` notes their pids, prints them if ``announce``, and
    sends ``signum`` to this process if set."""

    signum: int | None = None
    announce = False
    started: list[psutil.Process]

    def _command(self, name: str) -> list[str]:
        return [sys.executable, "-c", FAKE_COMPONENT]

    def start(self, timeout_seconds: float = 180, echo: Any = print) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in ("api-server", "scheduler"):
            self._launch(name)

    def wait_until_healthy(self, timeout_seconds: float) -> None:
        while len(tree := self.tree()) < 4:
            time.sleep(0.1)
        self.started = tree
        if self.announce:
            print(*(proc.pid for proc in tree), flush=True)
        if self.signum is not None:
            os.kill(os.getpid(), self.signum)
            time.sleep(60)  # the signal interrupts this

    def tree(self) -> list[psutil.Process]:
        leaders = [psutil.Process(process.pid) for process in self.processes.values()]
        return [proc for leader in leaders for proc in [leader, *leader.children()]]


def stand_in(home: Path) -> StandInAirflow:
    return StandInAirflow({"AIRFLOW_HOME": str(home)}, home / "logs", port=0)


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda signum: signum.name
)
def test_ctrl_c_sigterm_and_sighup_stop_every_component_and_task_process(
    tmp_path: Path, signum: int
) -> None:
    airflow = stand_in(tmp_path)
    airflow.signum = signum
    shown: list[str] = []
    try:
        serve_until_interrupted(airflow, shown.append)  # returns: an interruption is no error
        assert shown == ["stopping Airflow …"]
        assert all(gone(proc) for proc in airflow.started), airflow.started
        assert json.loads(airflow.record_file.read_text())["processes"] == {}
    finally:
        kill_all(getattr(airflow, "started", []))


SERVE_IN_CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from test_airflow_runner import stand_in
from thinline.airflow_local import serve_until_interrupted
airflow = stand_in(Path(sys.argv[1]))
airflow.announce = True
serve_until_interrupted(airflow, print)
"""


@pytest.mark.parametrize("next_command", ["serve", "stop_leftovers"])
def test_what_a_killed_thinline_airflow_left_running_is_stopped_by_the_next(
    tmp_path: Path, next_command: str
) -> None:
    """``stop_leftovers`` is what the command runs before it checks its port (the api-server
    left running may hold it); ``serve_until_interrupted`` checks again under its lock."""
    killed = subprocess.Popen(
        [sys.executable, "-c", SERVE_IN_CHILD, str(tmp_path), str(Path(__file__).parent)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert killed.stdout is not None
    left = [psutil.Process(int(pid)) for pid in killed.stdout.readline().split()]
    try:
        recorded = json.loads(stand_in(tmp_path).record_file.read_text())["processes"]
        leaders = ", ".join(str(pid) for pid, _ in recorded.values())
        killed.kill()  # kill -9: no handler, no finally
        killed.wait()
        assert len(left) == 4 and not any(gone(proc) for proc in left)

        shown: list[str] = []
        if next_command == "serve":
            airflow = stand_in(tmp_path)
            airflow.signum = signal.SIGTERM
            serve_until_interrupted(airflow, shown.append)
        else:
            stop_leftovers(tmp_path, shown.append)
        assert shown[0] == (
            f"stopping 2 Airflow processes (pid {leaders}) left by a killed thinline airflow …"
        )
        assert all(gone(proc) for proc in left), left
    finally:
        kill_all(left)


def test_a_second_thinline_airflow_on_the_same_state_folder_is_refused(tmp_path: Path) -> None:
    refused = r"^thinline airflow is already running for this state folder \(pid \d+\)"
    with ProcessRecord(stand_in(tmp_path).record_file, "thinline airflow"):
        with pytest.raises(ConfigError, match=refused):
            serve_until_interrupted(stand_in(tmp_path), print)
        with pytest.raises(ConfigError, match=refused):
            stop_leftovers(tmp_path, print)


def test_every_airflow_listener_is_on_loopback(tmp_path: Path) -> None:
    env = local_env(tmp_path, 8080, {"THINLINE_WAREHOUSE_URL": "postgresql://x"}, "sqlite://")
    airflow = LocalAirflow(env, tmp_path / "logs", 8080)
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    log_server = airflow._command("log-server")
    assert log_server[log_server.index("--host") + 1] == "127.0.0.1"
    port = log_server[log_server.index("--port") + 1]
    # Task and trigger logs are fetched from it, at 127.0.0.1 whatever the machine is called.
    assert env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] == port
    assert env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"] == port
    module, name = env["AIRFLOW__CORE__HOSTNAME_CALLABLE"].rsplit(".", 1)
    assert getattr(importlib.import_module(module), name)() == "127.0.0.1"
    # Airflow's own log servers bind every interface: off.
    assert "--skip-serve-logs" in airflow._command("scheduler")
    assert "--skip-serve-logs" in airflow._command("triggerer")
