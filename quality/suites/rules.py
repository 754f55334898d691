"""Building blocks shared by the suites: rule metadata, the checks every raw table gets, and
SQL fragments for reading values out of the JSONB ``record``.

Every expectation carries ``meta={"rule": <code>, "severity": ...}``; codes are
``<PREFIX>-<NNN>`` where 000-009 are the raw-layout checks below and 010+ are per entity.

Queries for :class:`UnexpectedRowsExpectation` go through ``str.format`` (for ``{batch}``) and
SQLAlchemy ``text()``, so they avoid literal braces and ``:name`` tokens: regexes spell out
repetitions instead of using ``{n}``.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from quality.results import CRITICAL, WARNING

RAW_COLUMNS = ("record", "is_deleted", "_loaded_at", "_batch_id")
PG_TYPES = {"bigint": "BIGINT", "text": "TEXT", "date": "DATE"}

# A decimal number as HubSpot sends amounts ("12500", "12500.50", "1.2e4").
NUMBER = r"^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"
# An int64 as proto3 JSON sends it (a string of digits).
INTEGER = r"^-?[0-9]+$"
# ISO-8601 date or date-time, optionally with a UTC offset ("2024-05-02T09:12:44.120Z").
ISO_DATETIME = (
    r"^[0-9][0-9][0-9][0-9]-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?"
    r" ?([zZ]|[+-][0-9][0-9](:?[0-9][0-9])?)?)?$"
)
# Epoch milliseconds, which HubSpot's legacy endpoints send and the dbt staging also reads.
EPOCH_MS = "^" + "[0-9]" * 10 + "[0-9]?" * 3 + "$"
CURRENCY = r"^[A-Z][A-Z][A-Z]$"
# Content rules skip rows deleted at the source: they never reach the marts.
LIVE = "not coalesce(is_deleted, false)"
# ISO text sorts like the instant it names, so day-level "future" needs no cast (a cast of a
# malformed value would abort the whole query instead of failing one row).
TOMORROW_UTC = "to_char((now() at time zone 'utc')::date + 1, 'YYYY-MM-DD')"


def is_datetime(value: str) -> str:
    """SQL: ``value`` (text) is an ISO date-time or epoch milliseconds."""
    return f"({value} ~ '{ISO_DATETIME}' or {value} ~ '{EPOCH_MS}')"


def day_of(value: str) -> str:
    """SQL: the 'YYYY-MM-DD' day of a date-time text (ISO as written, epoch ms in UTC)."""
    return (
        f"case when {value} ~ '{EPOCH_MS}' then to_char(to_timestamp(({value})::numeric / 1000) "
        f"at time zone 'utc', 'YYYY-MM-DD') else left({value}, 10) end"
    )


def meta(rule: str, severity: str) -> dict[str, str]:
    if severity not in (CRITICAL, WARNING):
        raise ValueError(f"severity must be {CRITICAL!r} or {WARNING!r}, not {severity!r}")
    return {"rule": rule, "severity": severity}


def rows_check(
    rule: str, severity: str, description: str, query: str
) -> gxe.UnexpectedRowsExpectation:
    """A rule as a query returning the offending rows (their columns become the sample)."""
    return gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=query,
        description=description,
        meta=meta(rule, severity),
        severity=severity,
    )


def raw_table_expectations(
    prefix: str, keys: dict[str, str], key_sources: dict[str, str]
) -> list[gxe.Expectation]:
    """The checks every raw table gets (docs/raw_layout.md).

    ``keys`` maps key column to PostgreSQL type; ``key_sources`` maps key column to the SQL
    text expression in ``record`` it was parsed from.
    """
    columns = list(keys)
    critical = meta(f"{prefix}-000", CRITICAL)
    expectations: list[gxe.Expectation] = [
        gxe.ExpectTableColumnsToMatchSet(
            column_set=[*columns, *RAW_COLUMNS],
            exact_match=False,
            description="the raw layout columns are present",
            meta=critical,
        )
    ]
    for column in columns:
        expectations.append(
            gxe.ExpectColumnValuesToNotBeNull(
                column=column, description="key is present", meta=meta(f"{prefix}-001", CRITICAL)
            )
        )
    unique = meta(f"{prefix}-002", CRITICAL)
    if len(columns) == 1:
        expectations.append(
            gxe.ExpectColumnValuesToBeUnique(
                column=columns[0], description="key is unique", meta=unique
            )
        )
    else:
        expectations.append(
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=columns, description="compound key is unique", meta=unique
            )
        )
    for column, pg_type in keys.items():
        expectations.append(
            gxe.ExpectColumnValuesToBeOfType(
                column=column,
                type_=PG_TYPES[pg_type],
                description=f"key column is {pg_type}",
                meta=meta(f"{prefix}-003", CRITICAL),
            )
        )
    expectations += [
        gxe.ExpectColumnValuesToNotBeNull(
            column="record", description="record is present", meta=meta(f"{prefix}-004", CRITICAL)
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="_batch_id",
            description="load batch is recorded",
            meta=meta(f"{prefix}-005", CRITICAL),
        ),
    ]
    mismatch = " or ".join(
        f"({column} is not null and ({source}) is distinct from {_as_text(column, keys[column])})"
        for column, source in key_sources.items()
    )
    sources = ", ".join(f"{source} as record_{column}" for column, source in key_sources.items())
    expectations.append(
        rows_check(
            f"{prefix}-006",
            CRITICAL,
            "typed keys match the ids inside record",
            f"select {', '.join(columns)}, {sources} from {{batch}} where {mismatch}",
        )
    )
    return expectations


def _as_text(column: str, pg_type: str) -> str:
    if pg_type == "date":
        return f"to_char({column}, 'YYYY-MM-DD')"
    return f"{column}::text"
