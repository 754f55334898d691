"""A throwaway PostgreSQL database per test session (a real server, never a mock).

The server is ``THINLINE_TEST_POSTGRES_URL`` (a maintenance database where the user may
create databases) if set, else the machine's PostgreSQL on 127.0.0.1:5432 (trust auth, user
postgres), else the embedded warehouse of the shared test fixtures.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.quality import quality_data as data

LOCAL_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SCHEMAS = ("raw_hubspot", "raw_google_ads", "raw_salesforce", "analytics_build", "ops")


def _server_url(request: pytest.FixtureRequest) -> str:
    if url := os.environ.get("THINLINE_TEST_POSTGRES_URL"):
        return url
    try:
        psycopg.connect(LOCAL_URL, connect_timeout=3).close()
    except psycopg.OperationalError:
        try:
            embedded = request.getfixturevalue("embedded_warehouse")
        except pytest.FixtureLookupError:
            pytest.skip("no PostgreSQL for quality tests; set THINLINE_TEST_POSTGRES_URL")
        return embedded.url().rsplit("/", 1)[0] + "/postgres"
    # Trust auth ignores a password: give the runner one it must never echo.
    return LOCAL_URL.replace("postgres@", f"postgres:{data.PASSWORD}@", 1)


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    server_url = _server_url(request)
    name = f"thinline_gx_test_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"create database {name}")
        try:
            yield server_url.rsplit("/", 1)[0] + f"/{name}"
        finally:
            admin.execute(f"drop database if exists {name} with (force)")


@pytest.fixture
def warehouse(database_url: str) -> Iterator[data.Database]:
    """The good raw data (and no marts), rebuilt for every test."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        for schema in SCHEMAS:
            conn.execute(f"drop schema if exists {schema} cascade")
        data.create_raw(conn, data.good_raw_data())
        yield data.Database(database_url, urlsplit(database_url).password or "", conn)
