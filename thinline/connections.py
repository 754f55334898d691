"""Airflow connections as an alternative to ``THINLINE_*`` variables for credentials.

A deployment that keeps secrets in Airflow (``AIRFLOW_CONN_*`` variables, the metadata
database, or a secrets backend such as Vault or AWS Secrets Manager) names them:

* ``warehouse``: the warehouse, a Postgres connection (host, port, login, password,
  schema = the database; extras such as ``sslmode`` become URL parameters).
* ``thinline_<source>`` (``thinline_hubspot`` …): a source's settings. Extras are the
  source's setting names (``{"account_ids": "act_1", "page_size": 200}``); the password is
  the source's main secret (:attr:`SourceSettings.connection_password`); the login is its
  ``client_id`` where it has one; the host, when set, its ``base_url``.

Precedence, per setting: a non-empty ``THINLINE_*`` variable wins, then the connection,
then the default. Connections are looked up with Airflow's own ``BaseHook.get_connection``:
inside a task every backend Airflow has (the execution API included), elsewhere the
``AIRFLOW_CONN_*`` variables and the configured secrets backend.
"""

from __future__ import annotations

import difflib
import os
import sys
from typing import Any
from urllib.parse import quote, urlencode

from extract.base import ConfigError
from extract.settings import SourceSettings

WAREHOUSE_CONNECTION = "warehouse"  # the name DESIGN.md gives it
_IN_A_TASK = "airflow.sdk.execution_time.task_runner"
_CONNECTION_VARIABLES = ("AIRFLOW_CONN_THINLINE_", f"AIRFLOW_CONN_{WAREHOUSE_CONNECTION.upper()}")


def source_connection_id(source: str) -> str:
    return f"thinline_{source}"


def might_have_connections(environ: dict[str, str] | None = None) -> bool:
    """Whether asking Airflow can find a connection: in a task, or with ``AIRFLOW_CONN_*``
    variables or a secrets backend configured (importing Airflow costs a second: not for
    every command of a machine that uses none)."""
    environ = os.environ if environ is None else environ
    return (
        _IN_A_TASK in sys.modules
        or any(name.upper().startswith(_CONNECTION_VARIABLES) for name in environ)
        or bool(environ.get("AIRFLOW__SECRETS__BACKEND"))
    )


def airflow_connection(conn_id: str) -> Any | None:
    """The connection ``conn_id`` from Airflow, or None when no backend defines it; a one-line
    :class:`ConfigError` when a configured secrets backend cannot load or answer."""
    try:
        from airflow.sdk import BaseHook  # importing Airflow loads the secrets backend
        from airflow.sdk.exceptions import AirflowNotFoundException
    except Exception as error:
        raise _unreadable(conn_id, error) from None
    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None
    except Exception as error:
        raise _unreadable(conn_id, error) from None


def _unreadable(conn_id: str, error: Exception) -> ConfigError:
    first = (str(error).strip().splitlines() or [""])[0]
    return ConfigError(
        f"Airflow connection {conn_id} could not be read: {type(error).__name__}: {first}"
    )


def warehouse_url_of(connection: Any) -> str:
    """A PostgreSQL URL from a Postgres connection."""
    if not connection.host:
        raise ConfigError(f"Airflow connection {WAREHOUSE_CONNECTION} has no host")
    user = quote(connection.login or "", safe="")
    password = f":{quote(connection.password, safe='')}" if connection.password else ""
    credentials = f"{user}{password}@" if user or password else ""
    port = f":{connection.port}" if connection.port else ""
    query = f"?{urlencode(connection.extra_dejson)}" if connection.extra_dejson else ""
    return f"postgresql://{credentials}{connection.host}{port}/{connection.schema or ''}{query}"


def source_values(connection: Any, model: type[SourceSettings]) -> dict[str, Any]:
    """The settings a ``thinline_<source>`` connection gives, by setting name; an extra that
    names no setting is a one-line error naming the closest one."""
    values: dict[str, Any] = dict(connection.extra_dejson)
    for name in values:
        if name not in model.model_fields:
            close = difflib.get_close_matches(name, list(model.model_fields), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ConfigError(
                f"Airflow connection {connection.conn_id}: unknown setting '{name}'{hint}"
            )
    if connection.password:
        if model.connection_password is None:
            raise ConfigError(
                f"Airflow connection {connection.conn_id}: {model.source} takes no password "
                "(its API is keyless); clear it"
            )
        values[model.connection_password] = connection.password
    if connection.login and "client_id" in model.model_fields:
        values["client_id"] = connection.login
    if connection.host:
        host = connection.host
        values["base_url"] = host if "://" in host else f"https://{host}"
    return values
