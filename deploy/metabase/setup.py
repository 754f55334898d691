"""Point a fresh Metabase at the Thinline warehouse as ``bi_reader`` (docker-compose service
``metabase-setup``; safe to run again).

Metabase's open-source edition has no config file for databases, so this uses its API: the
first admin from the setup token (``GET /api/session/properties``, ``POST /api/setup``), then
the warehouse as a PostgreSQL database limited to schema ``analytics`` (``POST
/api/database``) unless one of that name exists. Everything comes from the environment:
METABASE_URL, METABASE_ADMIN_EMAIL, METABASE_ADMIN_PASSWORD, WAREHOUSE_HOST, WAREHOUSE_PORT,
WAREHOUSE_DB and THINLINE_BI_READER_PASSWORD. Secrets are never printed.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import httpx

DATABASE_NAME = "Thinline analytics"
PUBLISHED_SCHEMA = "analytics"


def warehouse_database(env: dict[str, str]) -> dict[str, Any]:
    """The ``POST /api/database`` body: the warehouse, as bi_reader, schema analytics only."""
    return {
        "engine": "postgres",
        "name": DATABASE_NAME,
        "details": {
            "host": env.get("WAREHOUSE_HOST", "warehouse"),
            "port": int(env.get("WAREHOUSE_PORT", "5432")),
            "dbname": env.get("WAREHOUSE_DB", "thinline"),
            "user": "bi_reader",
            "password": env["THINLINE_BI_READER_PASSWORD"],
            "ssl": False,
            "schema-filters-type": "inclusion",
            "schema-filters-patterns": PUBLISHED_SCHEMA,
        },
    }


def wait_until_up(client: httpx.Client, timeout_seconds: float = 600) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            if client.get("/api/health").json().get("status") == "ok":
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(5)
    raise SystemExit(f"error: Metabase at {client.base_url} did not come up")


def session(client: httpx.Client, env: dict[str, str]) -> str:
    """Create the first admin on a fresh Metabase, else log in as that admin."""
    email, password = env["METABASE_ADMIN_EMAIL"], env["METABASE_ADMIN_PASSWORD"]
    properties = client.get("/api/session/properties").json()
    if properties.get("setup-token") and not properties.get("has-user-setup"):
        response = client.post(
            "/api/setup",
            json={
                "token": properties["setup-token"],
                "user": {
                    "email": email,
                    "password": password,
                    "first_name": "Thinline",
                    "last_name": "Admin",
                    "site_name": "Thinline",
                },
                "prefs": {"site_name": "Thinline", "allow_tracking": False},
            },
        )
    else:
        response = client.post("/api/session", json={"username": email, "password": password})
    if response.status_code >= 400:
        raise SystemExit(f"error: Metabase refused the admin login ({response.status_code})")
    return str(response.json()["id"])


def main() -> int:
    env = dict(os.environ)
    with httpx.Client(
        base_url=env.get("METABASE_URL", "http://metabase:3000"), timeout=60
    ) as client:
        wait_until_up(client)
        client.headers["X-Metabase-Session"] = session(client, env)
        existing = client.get("/api/database").json()
        databases = existing.get("data", existing) if isinstance(existing, dict) else existing
        if any(database["name"] == DATABASE_NAME for database in databases):
            print(f"Metabase already has database {DATABASE_NAME!r}")
            return 0
        response = client.post("/api/database", json=warehouse_database(env))
        if response.status_code >= 400:
            print(f"error: Metabase could not add the warehouse: {response.text[:300]}")
            return 1
    print(f"Metabase database {DATABASE_NAME!r} added (bi_reader, schema {PUBLISHED_SCHEMA})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
