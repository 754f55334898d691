"""The ``bi_reader`` role: what BI tools log in as. SELECT on ``analytics`` only.

It gets no grant on ``raw_*``, ``ops`` (personal data, quarantined payloads), staging or the
build schemas, and no write anywhere; publish and rollback grant it the schema they put in
place as ``analytics`` (thinline/publish.py). Its password comes from
``THINLINE_BI_READER_PASSWORD``, or for the embedded warehouse is generated once and kept in
``<state folder>/warehouse/bi_reader_password`` next to the owner's.

Locked down by privileges, not by a setting (:func:`lock_down`, run by every warehouse start,
publish and rollback). ``default_transaction_read_only`` is only a session default a client
may turn off, so what refuses is privileges: PUBLIC and bi_reader lose TEMPORARY and CREATE on
the warehouse database, CREATE in its schemas (PostgreSQL 15 already keeps ``public`` closed;
an upgraded database may not) and EXECUTE on the large-object functions; PUBLIC loses CONNECT
on the server's other databases (``postgres``, ``airflow``, ...). Every other login role keeps
the CONNECT, TEMPORARY and CREATE it had through PUBLIC by an explicit grant, so nothing it
does breaks (a role created later needs its own ``GRANT``); the warehouse has no use for large
objects, so those functions go for every role but superusers. bi_reader gets an explicit
CONNECT on each warehouse database that locks it down (two warehouses on one server share the
role, as roles are the server's), and no other.

The role also carries limits: ``statement_timeout`` and ``idle_in_transaction_session_timeout``
(USERSET: a session may lift them, and PostgreSQL 15's ``GRANT SET ON PARAMETER`` only governs
SUSET parameters, so publish never relies on them: it ends the bi_reader sessions that hold
it up, which the owner must be allowed to do, see thinline/publish.py) and ``temp_file_limit``
(SUSET: a session may not lift it). A limit an administrator set on the role is kept;
Thinline only fills in a missing or unlimited one.

Where the owner role may not do one of these (not superuser, not the database's owner, no
CREATEROLE, no SET privilege on ``temp_file_limit``), the run goes on and one warning lists
the statements a DBA should run.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from extract.base import ConfigError

log = logging.getLogger(__name__)

BI_READER = "bi_reader"
PASSWORD_ENV = "THINLINE_BI_READER_PASSWORD"
PASSWORD_FILE = "bi_reader_password"
# Put on the role where it has none (or an unlimited one): see the module docstring.
SESSION_LIMITS = {
    "statement_timeout": "10min",
    "idle_in_transaction_session_timeout": "10min",
    "temp_file_limit": "1GB",
}
UNLIMITED = {"0", "-1"}


def stored_password(warehouse_folder: Path, create: bool = False) -> str | None:
    """The embedded warehouse's bi_reader password (generated on first use if ``create``)."""
    path = warehouse_folder / PASSWORD_FILE
    if path.exists():
        return path.read_text().strip()
    if not create:
        return None
    path.write_text(secrets.token_urlsafe(24))
    path.chmod(0o600)
    return path.read_text().strip()


def bi_reader_password(home: Path) -> str | None:
    """``THINLINE_BI_READER_PASSWORD`` if set, else the embedded warehouse's stored one
    (created when the embedded warehouse exists), else None."""
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    folder = home.resolve() / "warehouse"
    return stored_password(folder, create=(folder / "password").exists())


def ensure_bi_reader(conn: psycopg.Connection, password: str | None, role: str = BI_READER) -> None:
    """Create ``bi_reader`` (``role``: another name, for tests) if missing (idempotent), set its
    password when one is given, and lock it down (:func:`lock_down`).

    Runs inside the caller's transaction (savepoints around what may be refused). Without a
    password a missing role is created NOLOGIN, so grants work and a DBA can set one later.
    """
    exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
    login = (
        sql.SQL("login password {}").format(sql.Literal(password))
        if password
        else sql.SQL("nologin")
    )
    try:
        with conn.transaction():  # a savepoint inside the caller's transaction
            if not exists:
                conn.execute(sql.SQL("create role {} {}").format(sql.Identifier(role), login))
            elif password:
                conn.execute(sql.SQL("alter role {} {}").format(sql.Identifier(role), login))
    # created meanwhile by a concurrent start or publish: committed before our look
    # (DuplicateObject), or still uncommitted then (UniqueViolation on pg_authid, once it commits)
    except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
        pass
    except psycopg.errors.InsufficientPrivilege:
        if not exists:
            raise ConfigError(
                f"the warehouse role may not create role {role}; ask an administrator to "
                f"`create role {role} login password '…'` and set {PASSWORD_ENV}"
            ) from None
        log.warning("roles | may not change %s's password; keeping the existing one", role)
    lock_down(conn)


def lock_down(conn: psycopg.Connection) -> list[str]:
    """Take from bi_reader what it may do beyond reading ``analytics`` (module docstring).

    Idempotent: it looks first and changes only what is still open. Returns the statements
    still needed, which this role may not run (logged once, as one warning for a DBA).
    """
    statements = _gaps(conn)
    for statement in statements:
        try:
            with conn.transaction():  # a savepoint: one refusal does not stop the others
                conn.execute(statement)
        except psycopg.Error:
            pass  # judged by the second look below (a REVOKE may only warn)
    remaining = [statement.as_string(conn) + ";" for statement in _gaps(conn)]
    if remaining:
        user = conn.execute("select current_user").fetchone()[0]
        log.warning(
            "roles | %s is not fully locked down: role %s may not do it; a DBA should run: %s",
            BI_READER,
            user,
            " ".join(remaining),
        )
    return remaining


def _gaps(conn: psycopg.Connection) -> list[sql.Composable]:
    """The statements that would close what bi_reader may still do (none: all closed)."""
    reader = conn.execute("select oid from pg_roles where rolname = %s", (BI_READER,)).fetchone()
    if reader is None:
        return []
    return [*_role_settings(conn), *_privileges(conn, reader[0]), *_ending_its_sessions(conn)]


def _role_settings(conn: psycopg.Connection) -> list[sql.Composable]:
    row = conn.execute(
        "select setconfig from pg_db_role_setting as s join pg_roles as r on r.oid = s.setrole "
        "where r.rolname = %s and s.setdatabase = 0",
        (BI_READER,),
    ).fetchone()
    current = dict(item.split("=", 1) for item in (row[0] if row else []))
    missing = {
        name: value for name, value in SESSION_LIMITS.items() if current.get(name, "0") in UNLIMITED
    }
    if current.get("default_transaction_read_only") != "on":
        missing["default_transaction_read_only"] = "on"  # a convenience, not the guard
    return [
        sql.SQL("ALTER ROLE {} SET {} = {}").format(
            sql.Identifier(BI_READER), sql.Identifier(name), sql.Literal(value)
        )
        for name, value in missing.items()
    ]


# Who may hold what, object by object. Rules: NOBODY (taken from PUBLIC and from bi_reader;
# the other login roles keep it by an explicit grant), NOBODY_AT_ALL (the same, but nobody
# keeps it: the warehouse has no use for large objects), NOT_PUBLIC (taken from PUBLIC only:
# bi_reader's own CONNECT to another database is another warehouse's on the same server),
# READER_NEEDS (granted to bi_reader, so another warehouse's lock-down of the server does not
# shut BI out of this database).
PRIVILEGES = r"""
with objects(kind, name, acl, privilege, rule) as (
    select 'DATABASE', quote_ident(d.datname), coalesce(d.datacl, acldefault('d', d.datdba)),
        p.privilege, case when d.datname = current_database() then p.ours else p.others end
    from pg_database as d, (values
        ('CONNECT', 'READER_NEEDS', 'NOT_PUBLIC'),
        ('TEMPORARY', 'NOBODY', null),
        ('CREATE', 'NOBODY', null)
    ) as p(privilege, ours, others)
    where d.datallowconn
    union all
    select 'SCHEMA', quote_ident(n.nspname), coalesce(n.nspacl, acldefault('n', n.nspowner)),
        'CREATE', 'NOBODY'
    from pg_namespace as n
    where n.nspname not like 'pg\_%' and n.nspname <> 'information_schema'
    union all
    select 'FUNCTION', format('pg_catalog.%I(%s)', f.proname,
        pg_get_function_identity_arguments(f.oid)),
        coalesce(f.proacl, acldefault('f', f.proowner)), 'EXECUTE', 'NOBODY_AT_ALL'
    from pg_proc as f
    where f.pronamespace = 'pg_catalog'::regnamespace
        and (f.proname like 'lo\_%' or f.proname in ('loread', 'lowrite'))
)
select kind, name, privilege, rule,
    array(select a.grantee from aclexplode(acl) as a where a.privilege_type = privilege)
from objects
where rule is not null
order by kind, name
"""


def _privileges(conn: psycopg.Connection, reader: int) -> list[sql.Composable]:
    """GRANTs and REVOKEs that leave bi_reader only CONNECT to its warehouse database."""
    keepers = conn.execute(  # they keep, by an explicit grant, what PUBLIC loses
        "select oid, rolname from pg_roles where rolcanlogin and not rolsuper "
        "and rolname <> %s order by rolname",
        (BI_READER,),
    ).fetchall()
    # One statement per shape, many objects each: a DBA reads a short list.
    shapes: dict[tuple[str, str, str, tuple[str, ...]], list[str]] = defaultdict(list)
    for kind, name, privilege, rule, holders in conn.execute(PRIVILEGES).fetchall():
        if rule == "READER_NEEDS":
            if reader not in holders:
                shapes[("GRANT", privilege, kind, (BI_READER,))].append(name)
            continue
        if 0 in holders:  # PUBLIC
            lacking = tuple(role for oid, role in keepers if oid not in holders)
            if lacking and rule != "NOBODY_AT_ALL":
                shapes[("GRANT", privilege, kind, lacking)].append(name)
            shapes[("REVOKE", privilege, kind, ("PUBLIC",))].append(name)
        if rule != "NOT_PUBLIC" and reader in holders:
            shapes[("REVOKE", privilege, kind, (BI_READER,))].append(name)
    statements = []
    for (action, privilege, kind, roles), names in sorted(shapes.items()):  # GRANTs first
        grantees = sql.SQL(", ").join(
            sql.SQL("PUBLIC") if role == "PUBLIC" else sql.Identifier(role) for role in roles
        )
        statements.append(
            sql.SQL("{} {} ON {} {} {} {}").format(
                sql.SQL(action),
                sql.SQL(privilege),
                sql.SQL(kind),
                sql.SQL(", ").join(sql.SQL(name) for name in names),
                sql.SQL("TO" if action == "GRANT" else "FROM"),
                grantees,
            )
        )
    return statements


def _ending_its_sessions(conn: psycopg.Connection) -> list[sql.Composable]:
    """The owner must be able to end bi_reader's sessions (publish does, when they hold it
    up): a superuser may, or a member of bi_reader (or of pg_signal_backend)."""
    user, may = conn.execute(
        "select rolname, rolsuper or pg_has_role(current_user, %s, 'USAGE') "
        "or pg_has_role(current_user, 'pg_signal_backend', 'USAGE') "
        "from pg_roles where rolname = current_user",
        (BI_READER,),
    ).fetchone()
    if may:
        return []
    return [sql.SQL("GRANT {} TO {}").format(sql.Identifier(BI_READER), sql.Identifier(user))]


def grant_reader(conn: psycopg.Connection, schema: str) -> None:
    """Let bi_reader read every table and view of ``schema``, now and later (default
    privileges live on the schema, so they follow it through a rename)."""
    ident = sql.Identifier(schema)
    reader = sql.Identifier(BI_READER)
    conn.execute(sql.SQL("grant usage on schema {} to {}").format(ident, reader))
    conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(ident, reader))
    conn.execute(
        sql.SQL("alter default privileges in schema {} grant select on tables to {}").format(
            ident, reader
        )
    )


def revoke_reader(conn: psycopg.Connection, schema: str) -> None:
    """bi_reader loses access to ``schema`` (the version kept for rollback)."""
    ident = sql.Identifier(schema)
    reader = sql.Identifier(BI_READER)
    conn.execute(sql.SQL("revoke all on schema {} from {}").format(ident, reader))
    conn.execute(sql.SQL("revoke all on all tables in schema {} from {}").format(ident, reader))
    conn.execute(
        sql.SQL("alter default privileges in schema {} revoke all on tables from {}").format(
            ident, reader
        )
    )


def reader_url(owner_url: str, password: str | None) -> str:
    """The owner's URL with bi_reader's name and password in place of the owner's."""
    if not password:
        raise ConfigError(
            f"no password for {BI_READER}: set {PASSWORD_ENV} (the role's password on "
            "THINLINE_WAREHOUSE_URL's server)"
        )
    parts = urlsplit(owner_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    netloc = f"{BI_READER}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))
