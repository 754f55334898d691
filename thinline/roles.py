"""The ``bi_reader`` role: what BI tools log in as. SELECT on ``analytics`` only.

It gets no grant on ``raw_*``, ``ops`` (personal data, quarantined payloads), staging or the
build schemas, and no write anywhere; publish and rollback grant it the schema they put in
place as ``analytics`` (thinline/publish.py). Its password comes from
``THINLINE_BI_READER_PASSWORD``, or for the embedded warehouse is generated once and kept in
``<state folder>/warehouse/bi_reader_password`` next to the owner's.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from extract.base import ConfigError

log = logging.getLogger(__name__)

BI_READER = "bi_reader"
PASSWORD_ENV = "THINLINE_BI_READER_PASSWORD"
PASSWORD_FILE = "bi_reader_password"


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


def ensure_bi_reader(conn: psycopg.Connection, password: str | None) -> None:
    """Create ``bi_reader`` if missing (idempotent); set its password when one is given.

    Runs inside the caller's transaction (savepoints around what may be refused). Without a
    password a missing role is created NOLOGIN, so grants work and a DBA can set one later.
    """
    exists = conn.execute("select 1 from pg_roles where rolname = %s", (BI_READER,)).fetchone()
    login = (
        sql.SQL("login password {}").format(sql.Literal(password))
        if password
        else sql.SQL("nologin")
    )
    try:
        with conn.transaction():  # a savepoint inside the caller's transaction
            if not exists:
                conn.execute(sql.SQL("create role {} {}").format(sql.Identifier(BI_READER), login))
            elif password:
                conn.execute(sql.SQL("alter role {} {}").format(sql.Identifier(BI_READER), login))
    except psycopg.errors.DuplicateObject:
        pass  # created meanwhile by a concurrent start or publish
    except psycopg.errors.InsufficientPrivilege:
        if not exists:
            raise ConfigError(
                f"the warehouse role may not create role {BI_READER}; ask an administrator to "
                f"`create role {BI_READER} login password '…'` and set {PASSWORD_ENV}"
            ) from None
        log.warning("roles | may not change %s's password; keeping the existing one", BI_READER)
    try:
        with conn.transaction():
            # Defence in depth: its sessions start read-only (it has no write grant anyway).
            conn.execute(
                sql.SQL("alter role {} set default_transaction_read_only = on").format(
                    sql.Identifier(BI_READER)
                )
            )
    except psycopg.errors.InsufficientPrivilege:
        log.warning("roles | may not set %s's sessions read-only; its grants still are", BI_READER)


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
