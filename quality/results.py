"""What a quality run produces: one :class:`RuleResult` per expectation, the report, the gate
error, and the rows written to ``ops.quality_results`` for BI to chart data health.

This module does not import Great Expectations, so callers can catch :class:`QualityGateError`
or read a :class:`QualityReport` without paying for the GX import.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg.types.json import Jsonb

from extract.shared_ddl import run_shared_ddl

CRITICAL = "critical"
WARNING = "warning"
SAMPLE_SIZE = 10  # bad values kept per failed expectation

RESULTS_DDL = """
create schema if not exists ops;
create table if not exists ops.quality_results (
    result_id bigserial primary key,
    run_id text not null,
    checked_at timestamptz not null,
    suite text not null,
    table_name text not null,
    rule text not null,
    expectation text not null,
    description text,
    severity text not null,
    passed boolean not null,
    observed_value text,
    unexpected_count bigint,
    sample_bad_values jsonb
);
create index if not exists quality_results_run_idx on ops.quality_results (run_id, suite);
"""


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one expectation on one table."""

    suite: str
    table_name: str
    rule: str
    expectation: str
    severity: str
    passed: bool
    description: str = ""
    observed_value: str | None = None
    unexpected_count: int | None = None
    sample_bad_values: list[Any] = field(default_factory=list)

    def line(self) -> str:
        """One line for logs and the gate error: table, rule, expectation, sample."""
        about = f" ({self.description})" if self.description else ""
        return (
            f"{self.table_name} {self.rule} [{self.severity}] {self.expectation}{about}: "
            f"{self.observed_value}; sample {_compact(self.sample_bad_values)}"
        )


@dataclass
class QualityReport:
    """All results of one run of the raw or marts suites.

    ``failed`` counts failed critical expectations, ``warnings`` failed warning ones, so
    ``passed + failed + warnings`` is the number of expectations checked.
    """

    results: list[RuleResult]
    passed: int
    failed: int
    warnings: int

    @classmethod
    def of(cls, results: list[RuleResult]) -> QualityReport:
        return cls(
            results=results,
            passed=sum(result.passed for result in results),
            failed=sum(not r.passed and r.severity == CRITICAL for r in results),
            warnings=sum(not r.passed and r.severity != CRITICAL for r in results),
        )

    @property
    def critical_failures(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed and r.severity == CRITICAL]

    @property
    def warning_failures(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed and r.severity != CRITICAL]

    def summary_line(self) -> str:
        tables = len({result.table_name for result in self.results})
        line = (
            f"{len(self.results)} checks on {tables} tables: {self.passed} passed, "
            f"{self.failed} failed, {self.warnings} warnings"
        )
        failing = sorted({r.rule for r in self.critical_failures + self.warning_failures})
        return f"{line} ({', '.join(failing)})" if failing else line


class QualityGateError(Exception):
    """A critical expectation failed: nothing downstream may run on this data.

    The message's first line is a summary; each further line names one failed critical
    expectation (table, rule code, expectation, sample of bad values).
    """

    def __init__(self, report: QualityReport, run_id: str) -> None:
        self.report = report
        failures = report.critical_failures
        tables = sorted({failure.table_name for failure in failures})
        head = (
            f"quality gate failed for run {run_id}: {len(failures)} critical "
            f"check(s) failed in {', '.join(tables)} — {report.summary_line()}"
        )
        super().__init__("\n".join([head, *(failure.line() for failure in failures)]))


def write_results(
    conninfo: str, run_id: str, checked_at: datetime, results: Iterable[RuleResult]
) -> None:
    """Replace this run's rows for the suites in ``results`` (a retried task writes once)."""
    rows = list(results)
    suites = sorted({result.suite for result in rows})
    with psycopg.connect(conninfo) as conn, conn.transaction():
        run_shared_ddl(conn, "ops", RESULTS_DDL)
        conn.execute(
            "delete from ops.quality_results where run_id = %s and suite = any(%s)",
            (run_id, suites),
        )
        with conn.cursor() as cursor:
            cursor.executemany(
                """
                insert into ops.quality_results
                    (run_id, checked_at, suite, table_name, rule, expectation, description,
                     severity, passed, observed_value, unexpected_count, sample_bad_values)
                values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                """,
                [
                    (
                        run_id,
                        checked_at,
                        r.suite,
                        r.table_name,
                        r.rule,
                        r.expectation,
                        r.description or None,
                        r.severity,
                        r.passed,
                        r.observed_value,
                        r.unexpected_count,
                        None if r.passed else Jsonb(r.sample_bad_values, dumps=to_json),
                    )
                    for r in rows
                ],
            )


def to_json(value: Any) -> str:
    """JSON for samples: dates, decimals and the like become their text (exact, not float)."""
    return json.dumps(value, default=str)


def redact(text: str, url: str) -> str:
    """``text`` with the warehouse URL and its password masked, for messages and stored rows."""
    secrets = {url}
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        secrets |= {password, unquote(password)}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _compact(values: list[Any], limit: int = 300) -> str:
    text = to_json(values)
    return text if len(text) <= limit else text[: limit - 1] + "…"
