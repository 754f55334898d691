"""Send the published conversions that are due, once each, and record every answer.

What is due: a row of ``analytics.fct_offline_conversions`` for a platform whose uploads are
enabled (``THINLINE_<PLATFORM>__UPLOAD_CONVERSIONS``) that the ledger has never seen, or that
it holds in ``retry`` (or ``pending``, left by a crash mid-send) with its next attempt due.
Everything else was answered for good, so reruns, retries of the task and backfills send
nothing twice; a row left ``pending`` is sent again under the same event id, which every
platform de-duplicates on.

Order of work for one night:
1. rows without marketing consent, and rows the platform would refuse (its windows, counted
   from ``now``: the run's interval end, never the wall clock), are recorded ``skipped`` with
   the reason and never sent;
2. the rest go out per platform and account in the uploader's batches; each row is recorded
   ``pending`` (attempts + 1) and committed *before* its request, then updated with the answer;
3. rows the platform answered with a transient error are sent again in this run, up to
   ``conversions_attempts_per_run`` times with a doubling wait; a row still failing after
   ``conversions_max_attempts`` attempts in all is ``failed`` with the platform's last
   message; otherwise it waits in ``retry`` for a later night (``next_attempt_at``).

A platform that refuses a whole request for a reason no retry fixes (credentials, an unknown
conversion action) leaves its rows in ``retry`` with that message, the other platforms still
send, and the run then fails with the message (:class:`UploadFailed`).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from extract.base import SourceError
from extract.registry import manifests
from thinline.conversions.ledger import ensure_ledger
from thinline.conversions.model import Conversion, Outcome, Status, Uploader

log = logging.getLogger(__name__)

FACT = "analytics.fct_offline_conversions"
NO_CONSENT = "no marketing consent"
CONVERSION_FIELDS = tuple(item.name for item in fields(Conversion))
# a retry waits this long before a later night may send it again (doubling per attempt)
NEXT_NIGHT = timedelta(hours=12)


class UploadFailed(SourceError):
    """A platform refused a whole upload for a reason no retry fixes (one line)."""


@dataclass(frozen=True)
class Policy:
    """How hard to try: the settings ``conversions_*``."""

    max_attempts: int = 5
    attempts_per_run: int = 3
    retry_wait_seconds: float = 30.0


@dataclass
class Due:
    """One ledger-bound row of the fact, with what the ledger already knows of it."""

    conversion: Conversion
    has_consent: bool
    attempts: int  # attempts recorded before tonight


@dataclass
class SendReport:
    """What one night's send did, per platform: counts by final status of tonight's rows."""

    enabled: list[str]
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, platform: str, status: Status | str, n: int = 1) -> None:
        self.counts.setdefault(platform, Counter())[str(status)] += n

    def to_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "counts": {platform: dict(counts) for platform, counts in self.counts.items()},
            "errors": self.errors,
        }

    def summary_line(self) -> str:
        if not self.enabled:
            return "conversions: uploads off (THINLINE_<PLATFORM>__UPLOAD_CONVERSIONS)"
        parts = []
        for platform in self.enabled:
            counts = self.counts.get(platform, Counter())
            described = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
            parts.append(f"{platform}: {described or 'nothing due'}")
        return "conversions: " + "; ".join(parts)


def uploader_platforms() -> list[str]:
    """The sources that take offline conversions (their manifest names an uploader)."""
    return [found.name for found in manifests() if found.conversion_uploader]


def enabled_platforms(settings: Any) -> list[str]:
    """Enabled sources whose uploads are switched on."""
    names = set(settings.source_names())
    return [
        name
        for name in uploader_platforms()
        if name in names and getattr(settings.source_settings(name), "upload_conversions", False)
    ]


def build_uploaders(settings: Any, platforms: Iterable[str]) -> dict[str, Uploader]:
    """Each platform's uploader, from the ``module:function`` its manifest names."""
    built = {}
    for found in manifests():
        if found.name in platforms and found.conversion_uploader:
            module, name = found.conversion_uploader.split(":")
            factory = getattr(importlib.import_module(module), name)
            built[found.name] = factory(settings.source_settings(found.name))
    return built


def policy_of(settings: Any) -> Policy:
    return Policy(
        max_attempts=settings.conversions_max_attempts,
        attempts_per_run=settings.conversions_attempts_per_run,
        retry_wait_seconds=settings.conversions_retry_wait_seconds,
    )


def read_due(conn: psycopg.Connection, platforms: Sequence[str], now: datetime) -> list[Due]:
    """The fact's rows of ``platforms`` the ledger has not answered for good."""
    columns = ", ".join(f"fact.{name}" for name in CONVERSION_FIELDS)
    rows = (
        conn.cursor(row_factory=dict_row)
        .execute(
            f"select {columns}, fact.has_marketing_consent,"
            " coalesce(ledger.attempts, 0) as attempts"
            f" from {FACT} as fact"
            " left join ops.conversion_uploads as ledger"
            " on ledger.platform = fact.platform and ledger.destination = fact.destination"
            " and ledger.event_id = fact.event_id"
            " where fact.platform = any(%s)"
            " and (ledger.status is null or (ledger.status in ('retry', 'pending')"
            " and coalesce(ledger.next_attempt_at, ledger.updated_at) <= %s))"
            " order by fact.platform, fact.account_id, fact.occurred_at, fact.event_id",
            (list(platforms), now),
        )
        .fetchall()
    )
    return [
        Due(
            Conversion(**{name: row[name] for name in CONVERSION_FIELDS}),
            bool(row["has_marketing_consent"]),
            int(row["attempts"]),
        )
        for row in rows
    ]


def payload_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class Ledger:
    """Writes to ``ops.conversion_uploads``, each call its own committed transaction.

    ``recorded_at``, ``updated_at`` and ``next_attempt_at`` are in the run's time (``now``, its
    interval's end), like every decision of the night, so a rerun decides as the run did;
    ``last_attempt_at`` is the wall clock's, when the request really went out."""

    def __init__(self, conn: psycopg.Connection, now: datetime) -> None:
        self.conn = conn
        self.now = now

    def record(
        self,
        conversion: Conversion,
        status: Status,
        *,
        reason: str | None = None,
        response: dict[str, Any] | None = None,
        payload_sha256: str | None = None,
        attempted: bool = False,
        next_attempt_at: datetime | None = None,
    ) -> None:
        """Insert or update the conversion's row; ``attempted`` counts one more attempt."""
        c = conversion
        with self.conn.transaction():
            self.conn.execute(
                """
                insert into ops.conversion_uploads as ledger (
                    platform, destination, event_id, account_id, conversion_id,
                    conversion_type, occurred_at, value, currency, status, reason, response,
                    payload_sha256, attempts, recorded_at, updated_at, last_attempt_at,
                    next_attempt_at
                ) values (
                    %(platform)s, %(destination)s, %(event_id)s, %(account_id)s,
                    %(conversion_id)s, %(conversion_type)s, %(occurred_at)s, %(value)s,
                    %(currency)s, %(status)s, %(reason)s, %(response)s, %(payload_sha256)s,
                    %(attempts)s, %(now)s, %(now)s, %(last_attempt_at)s, %(next_attempt_at)s
                )
                on conflict (platform, destination, event_id) do update set
                    status = excluded.status,
                    reason = coalesce(excluded.reason, ledger.reason),
                    response = coalesce(excluded.response, ledger.response),
                    payload_sha256 = coalesce(excluded.payload_sha256, ledger.payload_sha256),
                    attempts = ledger.attempts + excluded.attempts,
                    updated_at = excluded.updated_at,
                    last_attempt_at = coalesce(excluded.last_attempt_at, ledger.last_attempt_at),
                    next_attempt_at = excluded.next_attempt_at
                """,
                {
                    "platform": c.platform,
                    "destination": c.destination,
                    "event_id": c.event_id,
                    "account_id": c.account_id,
                    "conversion_id": c.conversion_id,
                    "conversion_type": c.conversion_type,
                    "occurred_at": c.occurred_at,
                    "value": c.value,
                    "currency": c.currency,
                    "status": str(status),
                    "reason": reason,
                    "response": Jsonb(response) if response is not None else None,
                    "payload_sha256": payload_sha256,
                    "attempts": 1 if attempted else 0,
                    "now": self.now,
                    # the wall clock: when the request really went out
                    "last_attempt_at": datetime.now(UTC) if attempted else None,
                    "next_attempt_at": next_attempt_at,
                },
            )


def send_conversions(
    url: str,
    settings: Any,
    now: datetime,
    *,
    uploaders: dict[str, Uploader] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendReport:
    """Send what is due to every enabled platform (module docstring); ``uploaders`` and
    ``sleep`` are injectable for tests."""
    platforms = enabled_platforms(settings)
    report = SendReport(platforms)
    if not platforms:
        return report
    policy = policy_of(settings)
    uploaders = uploaders if uploaders is not None else build_uploaders(settings, platforms)
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_ledger(conn)
        due = read_due(conn, platforms, now)
        ledger = Ledger(conn, now)
        by_account: dict[tuple[str, str], list[Due]] = defaultdict(list)
        for item in due:
            reason = (
                NO_CONSENT
                if not item.has_consent
                else uploaders[item.conversion.platform].skip_reason(item.conversion, now)
            )
            if reason:
                ledger.record(item.conversion, Status.SKIPPED, reason=reason)
                report.add(item.conversion.platform, Status.SKIPPED)
            else:
                by_account[(item.conversion.platform, item.conversion.account_id)].append(item)
        for (platform, account_id), items in by_account.items():
            try:
                _send_account(uploaders[platform], account_id, items, ledger, policy, report, sleep)
            except SourceError as error:
                report.errors.append(f"{platform}: {error}")
                log.error("thinline | conversions: %s: %s", platform, error)
    log.info("thinline | %s", report.summary_line())
    return report


def _send_account(
    uploader: Uploader,
    account_id: str,
    items: list[Due],
    ledger: Ledger,
    policy: Policy,
    report: SendReport,
    sleep: Callable[[float], None],
) -> None:
    """Send one account's due rows, retrying transient failures within this run."""
    attempts = {item.conversion.event_id: item.attempts for item in items}
    waiting = [item.conversion for item in items]
    for round_no in range(policy.attempts_per_run):
        if round_no:
            sleep(policy.retry_wait_seconds * 2 ** (round_no - 1))
        retry: list[Conversion] = []
        for start in range(0, len(waiting), uploader.batch_size):
            batch = waiting[start : start + uploader.batch_size]
            for outcome, conversion in _upload(uploader, account_id, batch, ledger):
                attempts[conversion.event_id] += 1
                final = _record(outcome, conversion, attempts[conversion.event_id], ledger, policy)
                if final is Status.RETRY:
                    retry.append(conversion)
                else:
                    report.add(uploader.platform, final)
        waiting = retry
        if not waiting:
            return
    # still transient after this run's attempts: a later night
    report.add(uploader.platform, Status.RETRY, len(waiting))


def _upload(
    uploader: Uploader, account_id: str, batch: list[Conversion], ledger: Ledger
) -> list[tuple[Outcome, Conversion]]:
    """Record the batch pending, send it, and pair each answer with its conversion."""
    for conversion in batch:
        ledger.record(
            conversion,
            Status.PENDING,
            payload_sha256=payload_hash(uploader.payload(conversion)),
            attempted=True,
        )
    try:
        outcomes = {outcome.event_id: outcome for outcome in uploader.upload(account_id, batch)}
    except SourceError as error:
        message = str(error)
        for conversion in batch:
            ledger.record(conversion, Status.RETRY, reason=message, next_attempt_at=ledger.now)
        raise UploadFailed(message) from error
    missing = Outcome("", Status.RETRY, "the platform's answer did not mention this conversion")
    return [(outcomes.get(c.event_id, missing), c) for c in batch]


def _record(
    outcome: Outcome, conversion: Conversion, attempts: int, ledger: Ledger, policy: Policy
) -> Status:
    """Write one answer to the ledger; the row's status after it."""
    status = outcome.status
    next_attempt_at = None
    if status is Status.RETRY:
        if attempts >= policy.max_attempts:
            status = Status.FAILED
        else:
            next_attempt_at = ledger.now + NEXT_NIGHT * 2 ** (attempts - 1)
    ledger.record(
        conversion,
        status,
        reason=outcome.message,
        response=outcome.response,
        next_attempt_at=next_attempt_at,
    )
    return status
