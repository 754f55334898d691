"""Failure alerts (thinline/alerts.py) through real Airflow: a DAG whose gate task stops on a
failed quality check and whose extract task fails on an HTTP error, run by `airflow dags test`
with the nightly DAG's notifier, sends exactly one message per failed task to a local webhook
receiver and to a local SMTP server, with the rule code or the error line and no secret or
sample of personal data. A night's quality warnings go out as one digest."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quality.results import CRITICAL, WARNING, RuleResult, write_results
from tests.alert_receivers import Received, alert_receivers
from thinline.airflow_runner import airflow_env, ensure_metadata_db
from thinline.alerts import send_warning_digest
from thinline.settings import ConfigError, load_settings

AIRFLOW = str(Path(sys.executable).parent / "airflow")
REPO = Path(__file__).resolve().parent.parent
SECRET = "s3cret-token"
PERSONAL = "alice@example.com"

PROBE_DAG = f'''
import pendulum
from airflow.sdk import dag, task

from quality.results import QualityGateError, QualityReport, RuleResult
from thinline.dag_support import FailureAlert


@dag(
    dag_id="alert_probe",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    default_args={{"retries": 0, "on_failure_callback": FailureAlert()}},
)
def alert_probe():
    @task
    def validate_raw():
        failed = RuleResult(
            suite="raw_meta_ads", table_name="raw_meta_ads.ad_daily_insights",
            rule="SPEND_NEGATIVE", expectation="expect_column_values_to_be_between",
            severity="critical", passed=False, unexpected_count=1,
            sample_bad_values=["{PERSONAL}"],
        )
        raise QualityGateError(QualityReport.of([failed]), "probe")

    @task(map_index_template="{{{{ account_label }}}}")  # mapped, as the nightly's extracts
    def extract_hubspot(account):
        from airflow.sdk import get_current_context

        get_current_context()["account_label"] = account
        if account == "222":
            raise RuntimeError(
                "HTTP 500 from https://thinline:{SECRET}@api.hubapi.example/crm/v3 after 3 tries"
            )

    @task
    def fine():
        return 1

    validate_raw()
    extract_hubspot.expand(account=["111", "222"])
    fine()


alert_probe()
'''


@pytest.fixture
def receivers() -> Iterator[tuple[Received, dict[str, str]]]:
    with alert_receivers(SECRET) as receiving:
        yield receiving


def test_each_failed_task_sends_one_alert_per_channel(
    receivers: tuple[Received, dict[str, str]], tmp_path: Path
) -> None:
    received, alert_env = receivers
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "alert_probe.py").write_text(PROBE_DAG)
    env = {
        **airflow_env(tmp_path, alert_env),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        # the repository (thinline, quality) and its dags/ (the nightly DAG's notifier)
        "PYTHONPATH": f"{REPO}:{REPO / 'dags'}",
    }
    ensure_metadata_db(env, tmp_path / "migrate.log")
    result = subprocess.run(
        [AIRFLOW, "dags", "test", "alert_probe", "2026-03-10"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "extract_hubspot" in result.stdout + result.stderr

    assert len(received.webhook) == 2, received.webhook
    assert len(received.mail) == 2, [mail["Subject"] for mail in received.mail]
    gate = [text for text in received.webhook if "validate_raw" in text]
    failed = [text for text in received.webhook if "extract_hubspot" in text]
    assert len(gate) == len(failed) == 1
    assert "raw_meta_ads.ad_daily_insights SPEND_NEGATIVE" in gate[0]
    assert "RuntimeError: HTTP 500 from https://***@api.hubapi.example" in failed[0]
    assert "task extract_hubspot[222] failed" in failed[0]  # the one account that failed
    subjects = sorted(mail["Subject"] for mail in received.mail)
    assert [("extract_hubspot" in s, "validate_raw" in s) for s in subjects] == [
        (True, False),
        (False, True),
    ]
    mails = [mail.get_payload() for mail in received.mail]
    for text in received.webhook + mails:
        assert SECRET not in text and PERSONAL not in text, text
        assert "Log: " in text


def test_mail_without_a_recipient_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THINLINE_ALERT_SMTP_URL", "smtp://127.0.0.1:25")
    monkeypatch.delenv("THINLINE_ALERT_EMAIL_TO", raising=False)
    with pytest.raises(ConfigError, match="THINLINE_ALERT_EMAIL_TO"):
        load_settings()
    monkeypatch.setenv("THINLINE_ALERT_EMAIL_TO", "oncall@example.com")
    monkeypatch.setenv("THINLINE_ALERT_SMTP_URL", "http://127.0.0.1:25")
    with pytest.raises(ConfigError, match="smtp://"):
        load_settings()


def test_quality_warnings_go_out_once_a_night_as_a_digest(
    receivers: tuple[Received, dict[str, str]],
    fresh_database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    received, alert_env = receivers
    for name, value in alert_env.items():
        monkeypatch.setenv(name, value)

    def result(run_rule: str, severity: str, passed: bool, bad: int) -> RuleResult:
        return RuleResult(
            suite="raw_hubspot",
            table_name="raw_hubspot.contacts",
            rule=run_rule,
            expectation="expect_column_values_to_match_regex",
            severity=severity,
            passed=passed,
            unexpected_count=bad,
            sample_bad_values=[PERSONAL] if bad else [],
        )

    now = datetime.now(UTC)
    write_results(
        fresh_database,
        "night-1",
        now,
        [
            result("EMAIL_FORMAT", WARNING, False, 3),
            result("STALE_CONTACT", WARNING, False, 2),
            result("KEY_UNIQUE", CRITICAL, True, 0),
        ],
    )
    write_results(fresh_database, "night-0", now, [result("OLD_RULE", WARNING, False, 5)])

    assert send_warning_digest(load_settings(), fresh_database, "night-1") == ["webhook", "email"]
    assert len(received.webhook) == len(received.mail) == 1
    text = received.webhook[0]
    assert "raw_hubspot.contacts EMAIL_FORMAT: 3 row(s)" in text
    assert "raw_hubspot.contacts STALE_CONTACT: 2 row(s)" in text
    assert "KEY_UNIQUE" not in text and "OLD_RULE" not in text and PERSONAL not in text
    # a night without warnings sends nothing
    write_results(fresh_database, "night-2", now, [result("KEY_UNIQUE", CRITICAL, True, 0)])
    assert send_warning_digest(load_settings(), fresh_database, "night-2") == []
    assert len(received.webhook) == 1
