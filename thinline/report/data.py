"""Query results for the report: a small table type, its CSV, and table-existence checks."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg


@dataclass(frozen=True)
class Result:
    """The rows of one chart's query, with their column names."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def column(self, name: str) -> list[Any]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows([cell_text(value) for value in row] for row in self.rows)
        return out.getvalue()


def cell_text(value: Any) -> str:
    """A value as the report shows it: ISO dates, plain decimals, empty for null."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def fetch(conn: psycopg.Connection, query: str, params: dict[str, Any]) -> Result:
    """Run one report query; SQL errors propagate (a broken query must fail the report)."""
    cursor = conn.execute(query, params)
    columns = tuple(column.name for column in cursor.description or ())
    return Result(columns, tuple(cursor.fetchall()))


def missing_tables(conn: psycopg.Connection, tables: tuple[str, ...]) -> list[str]:
    """Which of ``schema.table`` names do not exist (a run over a subset of sources)."""
    return [
        name
        for name in tables
        if conn.execute("select to_regclass(%s)", (name,)).fetchone()[0] is None
    ]
