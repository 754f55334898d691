"""Run the suites against the warehouse: what the Airflow tasks ``validate_raw`` and
``validate_marts`` call.

Each run uses an ephemeral GX context (nothing written to disk), one PostgreSQL data source
per schema whose connection string is only ever ``${THINLINE_GX_WAREHOUSE_URL}``, and one
whole-table batch per table. Every result goes to ``ops.quality_results``; any failed
``critical`` expectation then raises :class:`QualityGateError`.

Raw checks read either whole tables (``scope="full"``) or only the rows this run loaded
(``scope="batch"``, what the nightly run does on six nights of seven: a night's cost then
follows the night's data, not the table's history). A batch is a view
``quality_batch.<schema>__<table>`` over the table's rows whose ``_batch_id`` is one of the
run's load batches (``ops.load_batches``), so every rule reads it exactly as it reads a table.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# As in quality/__init__.py, for callers that import this module first.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx
import great_expectations.expectations as gxe
import psycopg
from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from psycopg import sql

from extract.shared_ddl import run_shared_ddl
from quality.docs import build_data_docs, merge
from quality.results import (
    CRITICAL,
    SAMPLE_SIZE,
    QualityGateError,
    QualityReport,
    RuleResult,
    redact,
    to_json,
    write_results,
)
from quality.suites import MART_SUITES, RAW_HEALTH, RAW_SUITES
from quality.suites.health import with_health
from quality.suites.quarantine import TABLE as QUARANTINE
from quality.suites.quarantine import build_quarantine_suite

log = logging.getLogger(__name__)
# GX logs several INFO lines per metric; keep task logs to our own lines unless configured.
if logging.getLogger("great_expectations").level == logging.NOTSET:
    logging.getLogger("great_expectations").setLevel(logging.WARNING)

URL_ENV = "THINLINE_GX_WAREHOUSE_URL"
BATCHES = "ops.load_batches"  # load history: volume and freshness rules need it
BATCH_SCHEMA = "quality_batch"  # views of the rows one run loaded (scope="batch")
SCOPES = ("full", "batch")
# Column checks: a bounded sample of bad values. Row checks (UnexpectedRowsExpectation) only
# return their rows under COMPLETE, which GX caps at 200 rows, so they run in a second pass.
SUMMARY = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
COMPLETE = {"result_format": "COMPLETE"}
ARGUMENTS = ("column", "column_list", "type_")


@dataclass(frozen=True)
class Check:
    """One suite to run on one table."""

    suite: gx.ExpectationSuite
    schema: str
    table: str
    relation: tuple[str, str] | None = None  # what GX reads, when not the table itself

    @property
    def table_name(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def read_from(self) -> tuple[str, str]:
        return self.relation or (self.schema, self.table)


def validate_raw(
    warehouse_url: str,
    run_id: str,
    tables: Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
    home: Path | None = None,
    scope: str = "full",
) -> QualityReport:
    """Run the raw suites on ``tables`` (``"raw_hubspot.deals"``; None = every raw table that
    exists and has a suite, of ``sources`` only if given). A requested table that does not
    exist fails every rule of its suite. ``scope``: ``full`` (every row) or ``batch`` (the
    rows ``run_id`` loaded)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r} (known: {', '.join(SCOPES)})")
    if tables is None:
        schemas = None if sources is None else {f"raw_{source}" for source in sources}
        names = sorted(
            name
            for name in _existing_tables(warehouse_url, RAW_SUITES)
            if schemas is None or name.split(".", 1)[0] in schemas
        )
    else:
        unknown = sorted(set(tables) - set(RAW_SUITES))
        if unknown:
            raise ValueError(
                f"no raw quality suite for {', '.join(unknown)}; "
                f"known tables: {', '.join(sorted(RAW_SUITES))}"
            )
        names = list(dict.fromkeys(tables))
    ops = _existing_tables(warehouse_url, {BATCHES, QUARANTINE})
    scoped = scope == "batch" and BATCHES in ops
    views = _batch_views(warehouse_url, run_id, names) if scoped else {}
    checks = [
        Check(
            with_health(
                name,
                RAW_SUITES[name](),
                RAW_HEALTH.get(name),
                BATCHES in ops,
                batch_scoped=scoped,
            ),
            *name.split(".", 1),
            relation=views.get(name),
        )
        for name in names
    ]
    if QUARANTINE in ops and tables is None:
        checks.append(Check(build_quarantine_suite(run_id, sources), "ops", "quarantine"))
    return _run(warehouse_url, run_id, checks, home)


def validate_marts(
    warehouse_url: str,
    run_id: str,
    schema: str = "analytics_build",
    sources: Sequence[str] | None = None,
    home: Path | None = None,
) -> QualityReport:
    """Reconcile the marts in ``schema`` against raw. Suites whose raw tables are not loaded,
    or belong to a source not in ``sources`` (when given; dbt leaves disabled sources out of
    the marts), are skipped; a mart table missing from ``schema`` fails every rule of its
    suite."""
    tables = {table for spec in MART_SUITES.values() for table in (*spec.sources, *spec.any_of)}
    loaded = _existing_tables(warehouse_url, tables)
    enabled = None if sources is None else {f"raw_{source}" for source in sources}

    def usable(table: str) -> bool:
        return table in loaded and (enabled is None or table.split(".", 1)[0] in enabled)

    checks: list[Check] = []
    for name, spec in MART_SUITES.items():
        missing = sorted(table for table in spec.sources if not usable(table))
        if spec.any_of and not any(usable(table) for table in spec.any_of):
            missing += list(spec.any_of)
        if missing:
            log.info("quality | skip %s: %s not loaded or not enabled", name, ", ".join(missing))
            continue
        checks.append(Check(spec.build(), schema, spec.table))
    return _run(warehouse_url, run_id, checks, home)


def _batch_views(warehouse_url: str, run_id: str, names: list[str]) -> dict[str, tuple[str, str]]:
    """One view per existing table: its rows loaded by ``run_id``'s batches."""
    existing = _existing_tables(warehouse_url, names)
    views: dict[str, tuple[str, str]] = {}
    with psycopg.connect(libpq_url(warehouse_url)) as conn, conn.transaction():
        run_shared_ddl(conn, BATCH_SCHEMA, f"create schema if not exists {BATCH_SCHEMA}")
        for name in sorted(existing):
            schema, table = name.split(".", 1)
            view = f"{schema}__{table}"
            conn.execute(
                sql.SQL(
                    "create or replace view {view} as select * from {table} where _batch_id in "
                    "(select batch_id from ops.load_batches where run_id = {run} "
                    "and source = {source} and entity = {entity})"
                ).format(
                    view=sql.Identifier(BATCH_SCHEMA, view),
                    table=sql.Identifier(schema, table),
                    run=sql.Literal(run_id),
                    source=sql.Literal(schema.removeprefix("raw_")),
                    entity=sql.Literal(table),
                )
            )
            views[name] = (BATCH_SCHEMA, view)
    return views


def driver_url(warehouse_url: str) -> str:
    """The SQLAlchemy form (``postgresql+psycopg2://``) of a ``postgresql://`` URL."""
    return f"postgresql+psycopg2://{_url_rest(warehouse_url)}"


def libpq_url(warehouse_url: str) -> str:
    """The libpq form (``postgresql://``) psycopg accepts, whatever driver the URL names."""
    return f"postgresql://{_url_rest(warehouse_url)}"


def _url_rest(warehouse_url: str) -> str:
    scheme, separator, rest = warehouse_url.partition("://")
    if not separator or not (
        scheme in ("postgres", "postgresql") or scheme.startswith("postgresql+")
    ):
        # Never echo the URL: it carries the password.
        raise ValueError(
            "warehouse URL must look like postgresql://user:password@host:port/database"
        )
    return rest


def _run(
    warehouse_url: str, run_id: str, checks: list[Check], home: Path | None = None
) -> QualityReport:
    """Validate, store results, build Data Docs under ``home`` (if given), then gate."""
    checked_at = datetime.now(UTC)
    existing = _existing_tables(warehouse_url, {check.table_name for check in checks})
    results: list[RuleResult] = []
    validated: list[tuple[gx.ExpectationSuite, ExpectationSuiteValidationResult]] = []
    with _gx_warehouse_url(warehouse_url):
        context = gx.get_context(mode="ephemeral", project_config=_context_config())
        data_sources: dict[str, Any] = {}
        try:
            for check in checks:
                if check.table_name in existing:
                    table_results, parts = _validate(context, data_sources, check, warehouse_url)
                    validated.append((check.suite, merge(parts)))
                else:
                    table_results = _missing_table(check)
                _log_table(check, table_results)
                results += table_results
        finally:
            for data_source in data_sources.values():
                data_source.get_engine().dispose()
    if results:
        write_results(libpq_url(warehouse_url), run_id, checked_at, results)
    if home is not None and validated:
        build_data_docs(home, run_id, validated)
    report = QualityReport.of(results)
    log.info("quality | %s", report.summary_line())
    if report.failed:
        raise QualityGateError(report, run_id)
    return report


def _context_config() -> DataContextConfig:
    return DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
    )


@contextmanager
def _gx_warehouse_url(warehouse_url: str) -> Iterator[None]:
    """Expose the URL to GX as ``${THINLINE_GX_WAREHOUSE_URL}`` for this run only."""
    previous = os.environ.get(URL_ENV)
    os.environ[URL_ENV] = driver_url(warehouse_url)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(URL_ENV, None)
        else:
            os.environ[URL_ENV] = previous


def _existing_tables(warehouse_url: str, names: Iterable[str]) -> set[str]:
    wanted = sorted(names)
    with psycopg.connect(libpq_url(warehouse_url)) as conn:
        rows = conn.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema || '.' || table_name = any(%s)",
            (wanted,),
        ).fetchall()
    return {row[0] for row in rows}


def _validate(
    context: Any, data_sources: dict[str, Any], check: Check, warehouse_url: str
) -> tuple[list[RuleResult], list[Any]]:
    schema, table = check.read_from
    if schema not in data_sources:
        # The schema goes in the connection's search_path (GX 1.x deprecates schema_name on
        # table assets); queries that reach other schemas name them.
        data_sources[schema] = context.data_sources.add_postgres(
            name=schema,
            connection_string="${" + URL_ENV + "}",
            kwargs={"connect_args": {"options": f"-csearch_path={schema}"}},
        )
    # Several suites may check one table (a mart per source): one asset per suite.
    asset = data_sources[schema].add_table_asset(name=check.suite.name, table_name=table)
    batch = asset.add_batch_definition_whole_table("whole_table").get_batch()
    expectations = check.suite.expectations
    rows = [e for e in expectations if isinstance(e, gxe.UnexpectedRowsExpectation)]
    columns = [e for e in expectations if not isinstance(e, gxe.UnexpectedRowsExpectation)]
    validations: list[ExpectationValidationResult] = []
    parts: list[ExpectationSuiteValidationResult] = []
    for part, result_format in ((columns, SUMMARY), (rows, COMPLETE)):
        if part:
            suite = gx.ExpectationSuite(name=check.suite.name, expectations=part)
            parts.append(batch.validate(suite, result_format=result_format))
            validations += parts[-1].results
    results = [_rule_result(check, validation, warehouse_url) for validation in validations]
    # stable sort: suite order within a rule
    return sorted(results, key=lambda result: result.rule), parts


def _rule_result(
    check: Check, validation: ExpectationValidationResult, warehouse_url: str
) -> RuleResult:
    config = validation.expectation_config
    meta = config.meta or {}
    result: dict[str, Any] = validation.result or {}
    error = _exception_message(validation.exception_info)
    passed = bool(validation.success) and error is None
    if error is not None:
        observed: str | None = redact(f"error: {error}", warehouse_url)
    elif "unexpected_count" in result and "element_count" in result:
        observed = f"{result['unexpected_count']} of {result['element_count']} rows unexpected"
    elif config.type == "unexpected_rows_expectation":
        observed = f"{result.get('observed_value')} unexpected rows"
    elif "observed_value" in result:
        observed = to_json(result["observed_value"])
    else:
        observed = None
    count = result.get("unexpected_count")
    if count is None and config.type == "unexpected_rows_expectation":
        count = result.get("observed_value")
    return RuleResult(
        suite=check.suite.name,
        table_name=check.table_name,
        rule=meta.get("rule", "UNCODED"),
        expectation=_label(config.type, config.kwargs),
        severity=meta.get("severity", CRITICAL),
        passed=passed,
        description=config.description or "",
        observed_value=observed,
        unexpected_count=count if isinstance(count, int) else None,
        sample_bad_values=[] if passed else _sample(result),
    )


def _label(expectation_type: str, kwargs: dict[str, Any]) -> str:
    arguments = [
        f"{name}={', '.join(kwargs[name]) if isinstance(kwargs[name], list) else kwargs[name]}"
        for name in ARGUMENTS
        if name in kwargs
    ]
    return f"{expectation_type}({'; '.join(arguments)})" if arguments else expectation_type


def _sample(result: dict[str, Any]) -> list[Any]:
    """At most SAMPLE_SIZE distinct bad values, as plain JSON values."""
    details = result.get("details") or {}
    if "partial_unexpected_list" in result:
        values = result["partial_unexpected_list"]
    elif "unexpected_rows" in details:
        values = details["unexpected_rows"]
    elif "mismatched" in details:
        values = (details["mismatched"] or {}).get("missing") or []
    elif "observed_value" in result:
        values = [result["observed_value"]]
    else:
        values = []
    distinct = {to_json(value): value for value in values}
    return [_plain(value) for value in list(distinct.values())[:SAMPLE_SIZE]]


def _plain(value: Any) -> Any:
    return json.loads(to_json(value))


def _exception_message(info: dict[str, Any] | None) -> str | None:
    """The first exception GX caught, from either shape of ``exception_info``."""
    if not info:
        return None
    candidates = [info] if "raised_exception" in info else list(info.values())
    for candidate in candidates:
        if isinstance(candidate, dict) and candidate.get("raised_exception"):
            message = str(candidate.get("exception_message") or "unknown error")
            return message.strip().splitlines()[0]
    return None


def _missing_table(check: Check) -> list[RuleResult]:
    return [
        RuleResult(
            suite=check.suite.name,
            table_name=check.table_name,
            rule=(expectation.meta or {}).get("rule", "UNCODED"),
            expectation=_label(expectation.expectation_type, expectation.configuration.kwargs),
            severity=(expectation.meta or {}).get("severity", CRITICAL),
            passed=False,
            description=expectation.description or "",
            observed_value="table does not exist",
        )
        for expectation in check.suite.expectations
    ]


def _log_table(check: Check, results: list[RuleResult]) -> None:
    failed = [result for result in results if not result.passed]
    log.info(
        "quality | %s: %d checks, %d not passed",
        check.table_name,
        len(results),
        len(failed),
    )
    for result in failed:
        level = logging.ERROR if result.severity == CRITICAL else logging.WARNING
        log.log(level, "quality | %s", result.line())
