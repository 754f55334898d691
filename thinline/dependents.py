"""What users build on ``analytics``: their views and grants, kept through every swap.

PostgreSQL binds a view to the tables it reads, not to their names: when publish renames
``analytics`` to ``analytics_previous``, a user's view follows the old tables (stale numbers)
and the next publish's ``drop schema analytics_previous cascade`` drops it. No swap method
keeps dependents bound to *names*, and copying rows into the published tables instead of
renaming them would give up the one-transaction swap. So the swap re-creates them from a
registry, ``ops.published_views`` (the owner's alone: bi_reader has no privilege in ``ops``):

* :func:`save`, before the renames: every view and materialized view, in any schema, that
  reads ``analytics`` (directly or through another such view) is recorded there with its
  definition (names schema-qualified), options, owner, grants, comments and indexes; so are
  the grants other roles hold on ``analytics`` and its tables.
* :func:`restore`, after the renames, in the same transaction: the grants are put on the
  tables of the same names; each view is re-created on the version now in place (``CREATE
  OR REPLACE`` where it exists, so its identity, grants and dependents stay; otherwise
  created and given back its grants, comments, indexes and owner). A materialized view is
  created empty and filled after the commit (:func:`refresh`), so the swap stays short.
* What cannot follow is named, one line each, in publish's log and result: a view the new
  version cannot serve (a column it reads is gone) is dropped rather than left reading the
  previous version, and keeps its registry row (definition and the error), so each later
  swap tries again (a rollback to a version that has the column brings it back). A view the
  warehouse role may not replace (another role's, when that role is not superuser), and any
  other object on ``analytics`` (a foreign key, a function body), stay on the previous version
  and are named until the next publish drops them with it (:func:`dropped_with`).

A registry row goes when its view is gone by the user's hand, or reads ``analytics`` no
longer: the user's latest definition always wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from extract.shared_ddl import run_shared_ddl

REGISTRY = "ops.published_views"
REGISTRY_DDL = """
create schema if not exists ops;
create table if not exists ops.published_views (
    view_schema text not null,
    view_name text not null,
    kind text not null,
    depth integer not null,
    definition text not null,
    options text[] not null,
    extras text[] not null,
    saved_at timestamptz not null,
    problem text,
    primary key (view_schema, view_name)
);
"""

# Views and materialized views reading a schema's relations, directly or through another
# view, outside that schema or in it; depth orders creation (a view after those it reads).
VIEWS_ON = """
with recursive reading(oid, depth) as (
    select rule.ev_class, 1
    from pg_depend as dep
    join pg_rewrite as rule on rule.oid = dep.objid
    join pg_class as base on base.oid = dep.refobjid
    where dep.classid = 'pg_rewrite'::regclass and dep.refclassid = 'pg_class'::regclass
        and base.relnamespace = to_regnamespace(%(schema)s) and rule.ev_class <> dep.refobjid
    union
    select rule.ev_class, reading.depth + 1
    from reading
    join pg_depend as dep on dep.refclassid = 'pg_class'::regclass and dep.refobjid = reading.oid
    join pg_rewrite as rule on dep.classid = 'pg_rewrite'::regclass and rule.oid = dep.objid
    where rule.ev_class <> dep.refobjid and reading.depth < 100
)
select reading.oid, max(reading.depth)
from reading
join pg_class as view on view.oid = reading.oid
where view.relkind in ('v', 'm')
group by reading.oid
"""

# Everything a re-created view needs besides its definition, as statements, in order.
EXTRAS = """
select
    array(
        select format('GRANT %%s ON %%s TO %%s%%s', acl.privilege_type, v.oid::regclass,
            case acl.grantee when 0 then 'PUBLIC' else quote_ident(pg_get_userbyid(acl.grantee))
            end, case when acl.is_grantable then ' WITH GRANT OPTION' else '' end)
        from aclexplode(v.relacl) as acl
        where acl.grantee <> v.relowner
    )
    || array(
        select format('COMMENT ON %%s %%s IS %%L', kind.word, v.oid::regclass, d.description)
        from pg_description as d
        where d.objoid = v.oid and d.classoid = 'pg_class'::regclass and d.objsubid = 0
    )
    || array(
        select format('COMMENT ON COLUMN %%s.%%I IS %%L', v.oid::regclass, a.attname,
            d.description)
        from pg_description as d
        join pg_attribute as a on a.attrelid = v.oid and a.attnum = d.objsubid
        where d.objoid = v.oid and d.classoid = 'pg_class'::regclass and d.objsubid > 0
    )
    || array(select pg_get_indexdef(i.indexrelid) from pg_index as i where i.indrelid = v.oid)
    || format('ALTER %%s %%s OWNER TO %%I', kind.word, v.oid::regclass,
        pg_get_userbyid(v.relowner)),
    pg_get_viewdef(v.oid), coalesce(v.reloptions, '{}'), v.relkind = 'm', n.nspname, v.relname
from pg_class as v
join pg_namespace as n on n.oid = v.relnamespace
cross join lateral (
    select case v.relkind when 'm' then 'MATERIALIZED VIEW' else 'VIEW' end as word
) as kind
where v.oid = %(oid)s
"""

# What else depends on a schema's relations or their row types: foreign keys, function
# bodies, column types... (views are VIEWS_ON's), outside that schema.
OTHER_DEPENDENTS = """
select distinct pg_describe_object(dep.classid, dep.objid, dep.objsubid)
from pg_depend as dep
join pg_class as base on base.relnamespace = to_regnamespace(%(schema)s)
    and ((dep.refclassid = 'pg_class'::regclass and dep.refobjid = base.oid)
        or (dep.refclassid = 'pg_type'::regclass and dep.refobjid = base.reltype))
where dep.deptype = 'n' and dep.classid <> 'pg_rewrite'::regclass
    and not (dep.classid = 'pg_class'::regclass
        and dep.objid in (select oid from pg_class where relnamespace = base.relnamespace))
    and not (dep.classid = 'pg_constraint'::regclass and dep.objid in (
        select oid from pg_constraint where conrelid in (
            select oid from pg_class where relnamespace = base.relnamespace)))
order by 1
"""


@dataclass
class Saved:
    """What :func:`save` found: other roles' grants, and lines for what cannot follow."""

    schema_grants: list[tuple[str, str, bool]] = field(default_factory=list)
    table_grants: dict[str, list[tuple[str, str, bool]]] = field(default_factory=dict)
    not_kept: list[str] = field(default_factory=list)


@dataclass
class Restored:
    not_kept: list[str] = field(default_factory=list)
    to_refresh: list[str] = field(default_factory=list)


def ensure_registry(conn: psycopg.Connection) -> None:
    run_shared_ddl(conn, "ops", REGISTRY_DDL)


def views_on(conn: psycopg.Connection, schema: str) -> list[tuple[int, int]]:
    """(oid, depth) of the views reading ``schema``, deepest (outermost) first."""
    rows = conn.execute(VIEWS_ON, {"schema": schema}).fetchall()
    return sorted(((row[0], row[1]) for row in rows), key=lambda row: -row[1])


def save(conn: psycopg.Connection, schema: str, reader: str) -> Saved:
    """Record what users built on ``schema`` (module docstring); run before the renames,
    with ``search_path`` set to ``pg_catalog`` so every saved name is schema-qualified."""
    saved = Saved()
    saved_views: list[tuple[str, str]] = []
    for oid, depth in views_on(conn, schema):
        extras, definition, options, is_materialized, view_schema, view_name = conn.execute(
            EXTRAS, {"oid": oid}
        ).fetchone()
        conn.execute(
            f"insert into {REGISTRY} (view_schema, view_name, kind, depth, definition, "
            "options, extras, saved_at, problem) values (%s, %s, %s, %s, %s, %s, %s, now(), null) "
            "on conflict (view_schema, view_name) do update set kind = excluded.kind, "
            "depth = excluded.depth, definition = excluded.definition, "
            "options = excluded.options, extras = excluded.extras, saved_at = now(), "
            "problem = null",
            (
                view_schema,
                view_name,
                "materialized view" if is_materialized else "view",
                depth,
                definition,
                options,
                extras,
            ),
        )
        saved_views.append((view_schema, view_name))
    # Gone by the user's hand, or no longer reading the schema: the user's choice wins. A
    # row that failed last time stays (it is retried) while its name is free.
    conn.execute(
        f"delete from {REGISTRY} where (view_schema, view_name) not in "
        "(select * from unnest(%s::text[], %s::text[])) "
        "and (problem is null or exists (select from pg_class as c join pg_namespace as n "
        "on n.oid = c.relnamespace where n.nspname = view_schema and c.relname = view_name))",
        ([s for s, _ in saved_views], [n for _, n in saved_views]),
    )
    saved.schema_grants = _schema_grants(conn, schema, reader)
    for name, *grant in _relation_grants(conn, schema, reader):
        if (schema, name) not in saved_views:  # a saved view's grants are in its extras
            saved.table_grants.setdefault(name, []).append((grant[0], grant[1], grant[2]))
    for thing in conn.execute(OTHER_DEPENDENTS, {"schema": schema}).fetchall():
        saved.not_kept.append(
            f"{thing[0]}: depends on {schema} tables, so stays on the previous version "
            "(and goes with it at the next publish); re-create it on the new one"
        )
    return saved


def restore(
    conn: psycopg.Connection, schema: str, saved: Saved, reader: str, after_publish: bool
) -> Restored:
    """Put back on the version now in ``schema`` what :func:`save` recorded. After a
    publish, every relation in ``schema`` is the new version's; after a rollback, the user's
    views in ``schema`` came back with it and are replaced by their latest definition."""
    restored = Restored()
    views = {
        (row[0], row[1])
        for row in conn.execute(f"select view_schema, view_name from {REGISTRY}").fetchall()
    }
    restored.not_kept += _put_grants(conn, schema, saved, reader, views)
    rows = conn.execute(
        f"select view_schema, view_name, kind, definition, options, extras from {REGISTRY} "
        "order by depth, view_schema, view_name"
    ).fetchall()
    for view_schema, view_name, kind, definition, options, extras in rows:
        target = sql.Identifier(view_schema, view_name)
        problem = _recreate(
            conn,
            (view_schema, view_name),
            kind,
            definition,
            options,
            extras,
            taken=after_publish and view_schema == schema,
        )
        conn.execute(
            f"update {REGISTRY} set problem = %s where view_schema = %s and view_name = %s",
            (problem, view_schema, view_name),
        )
        label = f"{kind} {view_schema}.{view_name}"
        if problem:
            restored.not_kept.append(f"{label}: {problem} (definition kept in {REGISTRY})")
        elif kind == "materialized view":
            restored.to_refresh.append(target.as_string(conn))
    return restored


def refresh(warehouse_url: str, materialized_views: list[str]) -> list[str]:
    """Fill the materialized views the swap re-created empty; lines for those that fail."""
    failed = []
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        for name in materialized_views:
            try:
                conn.execute(sql.SQL("REFRESH MATERIALIZED VIEW {}").format(sql.SQL(name)))
            except psycopg.Error as error:
                failed.append(f"materialized view {name}: not refreshed: {_first_line(error)}")
    return failed


def dropped_with(conn: psycopg.Connection, schema: str) -> list[str]:
    """Lines for what ``drop schema <schema> cascade`` would drop outside it."""
    lines = []
    for oid, _ in views_on(conn, schema):
        name, kind, inside = conn.execute(
            "select c.oid::regclass::text, case c.relkind when 'm' then 'materialized view' "
            "else 'view' end, c.relnamespace = to_regnamespace(%s) from pg_class as c "
            "where c.oid = %s",
            (schema, oid),
        ).fetchone()
        if not inside:
            lines.append(f"{kind} {name}: read {schema}, dropped with it")
    for thing in conn.execute(OTHER_DEPENDENTS, {"schema": schema}).fetchall():
        lines.append(f"{thing[0]}: depended on {schema}, dropped with it")
    return lines


def _schema_grants(
    conn: psycopg.Connection, schema: str, reader: str
) -> list[tuple[str, str, bool]]:
    """(privilege, grantee, grantable) on ``schema`` for roles other than its owner and
    bi_reader (whose grants publish manages)."""
    rows = conn.execute(
        "select a.privilege_type, coalesce(pg_get_userbyid(nullif(a.grantee, 0)), 'PUBLIC'), "
        "a.is_grantable from pg_namespace as n, aclexplode(n.nspacl) as a "
        "where n.nspname = %s and a.grantee <> n.nspowner "
        "and a.grantee <> coalesce(to_regrole(%s), 0)",
        (schema, reader),
    ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


def _relation_grants(
    conn: psycopg.Connection, schema: str, reader: str
) -> list[tuple[str, str, str, bool]]:
    """(relation, privilege, grantee, grantable) on the relations of ``schema``, likewise."""
    rows = conn.execute(
        "select c.relname, a.privilege_type, "
        "coalesce(pg_get_userbyid(nullif(a.grantee, 0)), 'PUBLIC'), a.is_grantable "
        "from pg_class as c, aclexplode(c.relacl) as a "
        "where c.relnamespace = to_regnamespace(%s) and a.grantee <> c.relowner "
        "and a.grantee <> coalesce(to_regrole(%s), 0)",
        (schema, reader),
    ).fetchall()
    return [(row[0], row[1], row[2], row[3]) for row in rows]


def _put_grants(
    conn: psycopg.Connection,
    schema: str,
    saved: Saved,
    reader: str,
    views: set[tuple[str, str]],
) -> list[str]:
    """Make other roles' grants on ``schema`` and its tables what they were on the version
    just replaced: revoke what the incoming version carries, grant what was saved."""
    not_kept = []
    current = {
        name: sql.Identifier(schema, name)
        for (name,) in conn.execute(
            "select relname from pg_class where relnamespace = to_regnamespace(%s) "
            "and relkind not in ('i', 'I', 'S', 't', 'c')",
            (schema,),
        ).fetchall()
        if (schema, name) not in views
    }
    schema_target = sql.SQL("SCHEMA {}").format(sql.Identifier(schema))
    for _, grantee, _ in _schema_grants(conn, schema, reader):
        _execute(conn, sql.SQL("REVOKE ALL ON {} FROM {}").format(schema_target, _role(grantee)))
    for name, _, grantee, _ in _relation_grants(conn, schema, reader):
        if name in current:
            _execute(
                conn, sql.SQL("REVOKE ALL ON {} FROM {}").format(current[name], _role(grantee))
            )
    grants = [(schema_target, f"schema {schema}", grant) for grant in saved.schema_grants]
    for name, table_grants in saved.table_grants.items():
        if name not in current:
            for privilege, grantee, _ in table_grants:
                not_kept.append(
                    f"grant {privilege} on {schema}.{name} to {grantee}: "
                    f"{schema}.{name} is not in the version now in place"
                )
            continue
        target = sql.SQL("TABLE {}").format(current[name])
        grants += [(target, f"{schema}.{name}", grant) for grant in table_grants]
    for target, label, (privilege, grantee, grantable) in grants:
        statement = sql.SQL("GRANT {} ON {} TO {}{}").format(
            sql.SQL(privilege),
            target,
            _role(grantee),
            sql.SQL(" WITH GRANT OPTION" if grantable else ""),
        )
        error = _execute(conn, statement)
        if error:
            not_kept.append(f"grant {privilege} on {label} to {grantee}: {error}")
    return not_kept


def _recreate(
    conn: psycopg.Connection,
    name: tuple[str, str],
    kind: str,
    definition: str,
    options: list[str],
    extras: list[str],
    taken: bool,
) -> str | None:
    """Put one saved view, ``name`` (schema, relation), in place; None, or why it could not."""
    target = sql.Identifier(*name)
    existing = conn.execute(  # by the catalog: to_regclass needs USAGE on the schema
        "select c.relkind from pg_class as c join pg_namespace as n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relname = %s",
        name,
    ).fetchone()
    if existing and (taken or existing[0] not in ("v", "m")):
        return f"{target.as_string(conn)} is now a table of the version in place"
    with_options = (
        sql.SQL(" WITH ({})").format(sql.SQL(", ").join(sql.SQL(o) for o in options))
        if options
        else sql.SQL("")
    )
    body = definition.strip().rstrip(";")
    not_replaced = None
    if existing and existing[0] == "v" and kind == "view":
        replace = sql.SQL("CREATE OR REPLACE VIEW {}{} AS {}").format(
            target, with_options, sql.SQL(body)
        )
        not_replaced = _execute(conn, replace)
        if not_replaced is None:
            return None  # same identity: grants, comments and the views on it stay
    if existing:  # re-created rather: its dependents are saved views too, re-created next
        drop = sql.SQL("DROP {} {} CASCADE").format(
            sql.SQL("MATERIALIZED VIEW" if existing[0] == "m" else "VIEW"), target
        )
        not_dropped = _execute(conn, drop)
        if not_dropped:
            return (
                f"{not_replaced or not_dropped}; it still reads the version swapped out, "
                "until that one is dropped"
            )
    create = sql.SQL("CREATE {} {}{} AS {}{}").format(
        sql.SQL(kind.upper()),
        target,
        with_options,
        sql.SQL(body),
        sql.SQL(" WITH NO DATA" if kind == "materialized view" else ""),
    )
    try:
        with conn.transaction():
            conn.execute(create)
            for extra in extras:
                conn.execute(sql.SQL(extra))
    except psycopg.Error as error:
        return _first_line(error)
    return None


def _execute(conn: psycopg.Connection, statement: sql.Composable) -> str | None:
    """Run ``statement`` in a savepoint; None, or the first line of its error."""
    try:
        with conn.transaction():
            conn.execute(statement)
    except psycopg.Error as error:
        return _first_line(error)
    return None


def _role(name: str) -> sql.Composable:
    return sql.SQL("PUBLIC") if name == "PUBLIC" else sql.Identifier(name)


def _first_line(error: psycopg.Error) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
