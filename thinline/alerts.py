"""Failure alerts: one message per failed task of Thinline's DAGs (their notifier,
``FailureAlert`` in thinline/dag_support.py, calls :func:`alert_failure`), to a Slack-compatible
webhook and/or by e-mail (THINLINE_ALERT_WEBHOOK_URL, THINLINE_ALERT_SMTP_URL with
THINLINE_ALERT_EMAIL_TO; docs/production.md).

A message names the DAG run, the task and why it failed: for a stopped quality gate, the gate
and each failed rule code with its table, never the sample of bad values the gate logs (it may
hold personal data); for any other error, its first line with credentials in URLs masked. It
ends with where the task's log is. Airflow calls the notifier once a task has failed for good
(after its retries), so a retried failure does not alert. Quality warnings, which stop
nothing, go out once per run as a digest from the `digest` task (:func:`send_warning_digest`).

Sending never raises: an alert that cannot go out is logged, and the task's own failure stays
what the run reports.
"""

from __future__ import annotations

import json
import logging
import re
import smtplib
import urllib.request
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg

from quality.results import CRITICAL, QualityGateError
from thinline.settings import Settings, load_settings

log = logging.getLogger(__name__)

MAX_REASON = 300  # characters of an error's first line
_URL_CREDENTIALS = re.compile(r"(\w+://)[^/\s:@]+:[^/\s@]+@")
_TIMEOUT_S = 10


def reason(error: BaseException | None) -> str:
    """Why the task failed, in lines safe to send."""
    if isinstance(error, QualityGateError):
        failures = error.report.critical_failures
        rules = ", ".join(sorted({f"{f.table_name} {f.rule}" for f in failures}))
        return f"quality gate stopped the run: {len(failures)} critical check(s) failed: {rules}"
    if error is None:
        return "failed (no error was recorded)"
    first = (str(error).strip().splitlines() or [""])[0]
    line = _URL_CREDENTIALS.sub(r"\1***@", f"{type(error).__name__}: {first}")
    return line if len(line) <= MAX_REASON else line[: MAX_REASON - 1] + "…"


def failure_message(context: dict[str, Any]) -> tuple[str, str]:
    """The subject and body of the alert for a failed task's Airflow context."""
    ti = context["ti"]
    task = task_label(context)
    subject = f"Thinline: {ti.dag_id}.{task} failed ({context.get('run_id', ti.run_id)})"
    body = "\n".join(
        [
            f"DAG run {ti.dag_id} / {ti.run_id}: task {task} failed (try {ti.try_number}).",
            reason(context.get("exception")),
            f"Log: {getattr(ti, 'log_url', None) or 'the task log in Airflow'}",
        ]
    )
    return subject, body


def task_label(context: dict[str, Any]) -> str:
    """The task's id; one instance of a mapped task (an account's extract) adds its name:
    ``extract.extract_meta_ads[123]``."""
    ti = context["ti"]
    index = getattr(ti, "map_index", -1)
    if index is None or index < 0:
        return ti.task_id
    name = getattr(ti, "rendered_map_index", None) or context.get("account_label") or index
    return f"{ti.task_id}[{name}]"


def configured(settings: Settings) -> bool:
    """Some alert channel is set."""
    return settings.alert_webhook_url is not None or settings.alert_smtp_url is not None


def send(subject: str, body: str, settings: Settings) -> list[str]:
    """Send to every configured channel; returns the channels it reached."""
    reached = []
    if settings.alert_webhook_url is not None:
        try:
            _post_webhook(settings.alert_webhook_url.get_secret_value(), f"{subject}\n{body}")
            reached.append("webhook")
        except Exception as error:  # an alert must not mask the failure it reports
            log.warning("alerts | the webhook refused the alert: %s", type(error).__name__)
    if settings.alert_smtp_url is not None:
        try:
            _send_mail(settings, subject, body)
            reached.append("email")
        except Exception as error:
            log.warning("alerts | the e-mail alert was not sent: %s", type(error).__name__)
    return reached


def _post_webhook(url: str, text: str) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
        response.read()


def _send_mail(settings: Settings, subject: str, body: str) -> None:
    assert settings.alert_smtp_url is not None
    url = urlsplit(settings.alert_smtp_url.get_secret_value())
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.alert_email_from
    message["To"] = settings.alert_email_to or ""
    message.set_content(body)
    server = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    default_port = 465 if url.scheme == "smtps" else 25
    with server(url.hostname or "localhost", url.port or default_port, timeout=_TIMEOUT_S) as smtp:
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        smtp.send_message(message)


def warning_digest(warehouse_url: str, run_id: str) -> tuple[str, str] | None:
    """The subject and body of the run's quality-warning digest (every failed check that is
    not critical, by table and rule code with its count of bad rows, never their values), or
    None when the run has no warning."""
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            "select table_name, rule, sum(coalesce(unexpected_count, 0)) "
            "from ops.quality_results where run_id = %s and not passed and severity <> %s "
            "group by table_name, rule order by table_name, rule",
            (run_id, CRITICAL),
        ).fetchall()
    if not rows:
        return None
    subject = f"Thinline: {len(rows)} quality warning(s) in run {run_id}"
    lines = [f"{table} {rule}: {count} row(s)" for table, rule, count in rows]
    return subject, "\n".join(["Quality warnings of the night (nothing was stopped):", *lines])


def send_warning_digest(settings: Settings, warehouse_url: str, run_id: str) -> list[str]:
    """Send the run's warning digest, once, to the configured channels; the channels reached."""
    if not configured(settings):
        return []
    digest = warning_digest(warehouse_url, run_id)
    return send(*digest, settings) if digest else []


def alert_failure(context: Any) -> list[str]:
    """Report a failed task (its Airflow context) to the configured channels; returns the
    channels reached (none when no alert setting is set)."""
    settings = load_settings()
    if not configured(settings):
        return []
    subject, body = failure_message(context)
    reached = send(subject, body, settings)
    log.info("alerts | %s reported to %s", subject, ", ".join(reached) or "no channel")
    return reached
