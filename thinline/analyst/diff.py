"""``thinline diff <model>``: what a change does to a table, before it ships.

Compares the dev build (``dev_<name>.<model>``) with the published table
(``analytics.<model>``, or the model's shared schema): row counts, rows only on one side by
primary key, and per column the number of differing values among matched rows, null counts
and, for numbers, the sums.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from extract.base import ConfigError
from thinline.analyst.dbt_cli import DbtContext
from thinline.analyst.state import MANIFEST
from thinline.publish import PUBLISHED

NUMERIC_TYPES = {"smallint", "integer", "bigint", "numeric", "real", "double precision"}
PRESENT = "__thinline_present"  # marks a side's row in the full join; no real column name


@dataclass
class ColumnDiff:
    name: str
    status: str  # "both", "only in dev", "only in published"
    differing: int | None = None
    nulls_published: int | None = None
    nulls_dev: int | None = None
    sum_published: Decimal | None = None
    sum_dev: Decimal | None = None


@dataclass
class TableDiff:
    published: str
    dev: str
    key: list[str]
    rows_published: int
    rows_dev: int
    only_published: int
    only_dev: int
    matched: int
    columns: list[ColumnDiff] = field(default_factory=list)


def relations(ctx: DbtContext, model: str, state: Path | None) -> tuple[str, str]:
    """(published schema, dev schema) of ``model``: marts in analytics vs the dev schema; a
    staging/intermediate model in its shared schema vs ``<dev schema>_<that schema>``."""
    schema = PUBLISHED
    if state is not None and (state / MANIFEST).exists():
        manifest = json.loads((state / MANIFEST).read_text())
        for node in manifest["nodes"].values():
            name = node.get("alias") or node["name"]
            if node.get("resource_type") == "model" and name == model:
                schema = node["schema"]
    return schema, ctx.schema if schema == PUBLISHED else f"{ctx.schema}_{schema}"


def _columns(conn: psycopg.Connection, schema: str, table: str) -> dict[str, str]:
    rows = conn.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = %s and table_name = %s order by ordinal_position",
        (schema, table),
    ).fetchall()
    return dict(rows)


def _primary_key(conn: psycopg.Connection, schema: str, table: str) -> list[str]:
    rows = conn.execute(
        "select attribute.attname from pg_index as index_info "
        "join pg_attribute as attribute on attribute.attrelid = index_info.indrelid "
        "and attribute.attnum = any(index_info.indkey) "
        "where index_info.indisprimary and index_info.indrelid = %s::regclass",
        (f'"{schema}"."{table}"',),
    ).fetchall()
    return [row[0] for row in rows]


def diff_table(
    ctx: DbtContext, model: str, key: list[str] | None = None, state: Path | None = None
) -> TableDiff:
    published_schema, dev_schema = relations(ctx, model, state)
    with psycopg.connect(ctx.url) as conn:
        published_columns = _columns(conn, published_schema, model)
        dev_columns = _columns(conn, dev_schema, model)
        if not published_columns:
            raise ConfigError(f"{published_schema}.{model} does not exist (nothing published)")
        if not dev_columns:
            raise ConfigError(
                f"{dev_schema}.{model} does not exist: build it first "
                f"(thinline dbt build -s {model}, or make dbt-check)"
            )
        key = key or _primary_key(conn, published_schema, model)
        if not key:
            raise ConfigError(f"{published_schema}.{model} has no primary key; pass --key COLUMN")
        missing = [name for name in key if name not in published_columns or name not in dev_columns]
        if missing:
            raise ConfigError(f"key column(s) {', '.join(missing)} not on both sides")
        published_table = sql.Identifier(published_schema, model)
        dev_table = sql.Identifier(dev_schema, model)
        shared = [name for name in published_columns if name in dev_columns]

        def differs(name: str) -> sql.Composable:
            same_type = published_columns[name] == dev_columns[name]
            left = sql.SQL("published.{}").format(sql.Identifier(name))
            right = sql.SQL("dev.{}").format(sql.Identifier(name))
            if not same_type or published_columns[name] == "json":
                left, right = sql.SQL("{}::text").format(left), sql.SQL("{}::text").format(right)
            return sql.SQL(
                "count(*) filter (where published.{p} and dev.{p} and {l} is distinct from {r})"
            ).format(p=sql.Identifier(PRESENT), l=left, r=right)

        join_on = sql.SQL(" and ").join(
            sql.SQL("published.{k} = dev.{k}").format(k=sql.Identifier(name)) for name in key
        )
        present = sql.Identifier(PRESENT)
        query = sql.SQL(
            "select count(*) filter (where published.{p} and dev.{p} is null), "
            "count(*) filter (where dev.{p} and published.{p} is null), "
            "count(*) filter (where published.{p} and dev.{p}), {diffs} "
            "from (select true as {p}, * from {pt}) as published "
            "full outer join (select true as {p}, * from {dt}) as dev on {on}"
        ).format(
            p=present,
            diffs=sql.SQL(", ").join(differs(name) for name in shared),
            pt=published_table,
            dt=dev_table,
            on=join_on,
        )
        only_published, only_dev, matched, *differing = conn.execute(query).fetchone()
        published_stats = _stats(conn, published_table, published_columns)
        dev_stats = _stats(conn, dev_table, dev_columns)

    result = TableDiff(
        published=f"{published_schema}.{model}",
        dev=f"{dev_schema}.{model}",
        key=key,
        rows_published=published_stats["__rows"][0],
        rows_dev=dev_stats["__rows"][0],
        only_published=only_published,
        only_dev=only_dev,
        matched=matched,
    )
    counts = dict(zip(shared, differing, strict=True))
    for name in [*published_columns, *(n for n in dev_columns if n not in published_columns)]:
        status = (
            "both"
            if name in counts
            else ("only in published" if name in published_columns else "only in dev")
        )
        nulls_p, sum_p = published_stats.get(name, (None, None))
        nulls_d, sum_d = dev_stats.get(name, (None, None))
        result.columns.append(
            ColumnDiff(name, status, counts.get(name), nulls_p, nulls_d, sum_p, sum_d)
        )
    return result


def _stats(
    conn: psycopg.Connection, table: sql.Composable, columns: dict[str, str]
) -> dict[str, Any]:
    """Row count, and per column its null count and (numbers only) its sum."""
    parts: list[sql.Composable] = [sql.SQL("count(*)")]
    for name, data_type in columns.items():
        column = sql.Identifier(name)
        parts.append(sql.SQL("count(*) filter (where {} is null)").format(column))
        parts.append(
            sql.SQL("sum({})::numeric").format(column)
            if data_type in NUMERIC_TYPES
            else sql.SQL("null::numeric")
        )
    row = conn.execute(sql.SQL("select {} from {}").format(sql.SQL(", ").join(parts), table))
    values = row.fetchone()
    stats: dict[str, Any] = {"__rows": (values[0], None)}
    for index, name in enumerate(columns):
        stats[name] = (values[1 + 2 * index], values[2 + 2 * index])
    return stats


def _show(value: int | Decimal | None) -> str:
    """Counts as they are; sums to at most 6 decimals, without trailing zeros."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        if value.as_tuple().exponent < -6:  # type: ignore[operator]
            value = value.quantize(Decimal("0.000001"))
        return format(value.normalize(), "f")
    return str(value)


def render(result: TableDiff, say: Callable[[str], None] = print) -> None:
    """Print the diff as a readable table."""
    say(f"{result.dev} (dev) vs {result.published} (published), key: {', '.join(result.key)}")
    say(
        f"  rows: published {result.rows_published}, dev {result.rows_dev}; "
        f"only in published {result.only_published}, only in dev {result.only_dev}, "
        f"in both {result.matched}"
    )
    header = ("column", "status", "differing", "nulls pub", "nulls dev", "sum pub", "sum dev")
    rows = [header] + [
        (
            column.name,
            column.status,
            *(
                _show(value)
                for value in (
                    column.differing,
                    column.nulls_published,
                    column.nulls_dev,
                    column.sum_published,
                    column.sum_dev,
                )
            ),
        )
        for column in result.columns
    ]
    widths = [max(len(row[index]) for row in rows) for index in range(len(header))]
    for row in rows:
        cells = (value.ljust(width) for value, width in zip(row, widths, strict=True))
        say(("  " + "  ".join(cells)).rstrip())
    changed = [c.name for c in result.columns if c.status != "both" or c.differing]
    say(f"  changed columns: {', '.join(changed) or 'none'}")
