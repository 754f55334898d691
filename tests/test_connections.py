"""Airflow connections as an alternative to THINLINE_* variables (thinline/connections.py).

Each case runs the real CLI, so Airflow's own connection lookup answers: ``AIRFLOW_CONN_*``
variables, and a configured secrets backend (Airflow's local-filesystem one, standing for
Vault or AWS Secrets Manager). Inside a task (where every backend Airflow has answers) the
published company's night reads its HubSpot and Salesforce credentials from connections
(tests/integration/conftest.py: published_company).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import psycopg
import pytest

from tests.conftest import one_error_line, run_cli

THINLINE = str(Path(sys.executable).parent / "thinline")
SERVER = "127.0.0.1:5432"  # the machine's PostgreSQL 15 (trust auth)


def reachable() -> bool:
    try:
        psycopg.connect(f"postgresql://postgres@{SERVER}/postgres", connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def hubspot_settings(tmp_path: Path, **env: str) -> list[str]:
    """HubSpot's token, base URL, page size and lookback as a process with ``env`` reads them."""
    probe = (
        "from thinline.settings import load_settings; s = load_settings().hubspot; "
        "print(s.token.get_secret_value(), s.base_url, s.page_size, s.lookback_minutes)"
    )
    result = run_cli(sys.executable, "-c", probe, home=tmp_path, THINLINE_SOURCES="hubspot", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1].split()  # Airflow may log before it


def test_the_warehouse_from_an_airflow_connection_variable(tmp_path: Path) -> None:
    if not reachable():
        pytest.skip(f"no PostgreSQL at {SERVER}")
    result = run_cli(
        THINLINE,
        "warehouse",
        "url",
        home=tmp_path,
        AIRFLOW_CONN_WAREHOUSE=f"postgres://postgres@{SERVER}/postgres?sslmode=disable",
    )
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    assert url == f"postgresql://postgres@{SERVER}/postgres?sslmode=disable"
    with psycopg.connect(url) as conn:  # the URL Thinline would use works
        assert conn.execute("select 1").fetchone() == (1,)


def test_a_thinline_variable_wins_over_the_connection(tmp_path: Path) -> None:
    result = run_cli(
        THINLINE,
        "warehouse",
        "url",
        home=tmp_path,
        AIRFLOW_CONN_WAREHOUSE=f"postgres://postgres@{SERVER}/postgres",
        THINLINE_WAREHOUSE_URL="postgresql://someone@127.0.0.1:1/elsewhere",
    )
    assert result.stdout.strip() == "postgresql://someone@127.0.0.1:1/elsewhere"


def test_a_secrets_backend_gives_source_settings_under_thinline_variables(
    tmp_path: Path,
) -> None:
    """Airflow's local-filesystem secrets backend holds ``thinline_hubspot``: the password is
    the token, the host the base URL, extras are settings; a THINLINE_* variable wins."""
    connections = tmp_path / "connections.json"
    connections.write_text(
        json.dumps(
            {
                "thinline_hubspot": {
                    "conn_type": "http",
                    "host": "http://127.0.0.1:9",
                    "password": "pat-from-the-backend",
                    "extra": {"page_size": 50, "lookback_minutes": 30},
                }
            }
        )
    )
    settings = hubspot_settings(
        tmp_path,
        THINLINE_HUBSPOT__LOOKBACK_MINUTES="5",
        AIRFLOW__SECRETS__BACKEND="airflow.secrets.local_filesystem.LocalFilesystemBackend",
        AIRFLOW__SECRETS__BACKEND_KWARGS=json.dumps({"connections_file_path": str(connections)}),
    )
    assert settings == ["pat-from-the-backend", "http://127.0.0.1:9", "50", "5"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"page_sise": 50},
            "Airflow connection thinline_hubspot: unknown setting 'page_sise'; did you mean "
            "page_size?",
        ),
        ({"page_size": -1}, "invalid setting in Airflow connection thinline_hubspot: page_size"),
    ],
)
def test_a_bad_setting_in_a_connection_is_one_line_naming_it(
    tmp_path: Path, extra: dict, message: str
) -> None:
    connection = {"conn_type": "http", "password": "s3cret-token", "extra": extra}
    result = run_cli(
        THINLINE,
        "doctor",
        home=tmp_path,
        THINLINE_SOURCES="hubspot",
        AIRFLOW_CONN_THINLINE_HUBSPOT=json.dumps(connection),
    )
    assert result.returncode == 2
    assert message in one_error_line(result)
    assert "s3cret-token" not in result.stdout + result.stderr


def test_an_empty_thinline_variable_leaves_the_connection_in_charge(tmp_path: Path) -> None:
    """docker-compose.yml passes every unset credential on as an empty variable."""
    connection = {"conn_type": "http", "password": "pat-from-airflow"}
    settings = hubspot_settings(
        tmp_path, THINLINE_HUBSPOT__TOKEN="", AIRFLOW_CONN_THINLINE_HUBSPOT=json.dumps(connection)
    )
    assert settings[0] == "pat-from-airflow"


def test_a_warehouse_connection_with_reserved_characters_makes_a_working_url() -> None:
    from airflow.sdk import Connection

    from thinline.connections import warehouse_url_of

    connection = Connection(
        conn_id="warehouse",
        conn_type="postgres",
        host="db.internal",
        port=6432,
        login="thin line",
        password="p@ss:w/rd?",
        schema="analytics_db",
        extra=json.dumps({"sslmode": "require"}),
    )
    url = warehouse_url_of(connection)
    assert url == (
        "postgresql://thin%20line:p%40ss%3Aw%2Frd%3F@db.internal:6432/analytics_db?sslmode=require"
    )
    parsed = psycopg.conninfo.conninfo_to_dict(url)
    assert (parsed["user"], parsed["password"]) == ("thin line", "p@ss:w/rd?")


def test_a_source_connection_maps_login_password_and_host() -> None:
    from airflow.sdk import Connection

    from extract.google_ads import GoogleAdsSettings
    from thinline.connections import source_values

    connection = Connection(
        conn_id="thinline_google_ads",
        conn_type="http",
        host="googleads.example.test",
        login="client-1",
        password="client-secret",
        extra=json.dumps({"refresh_token": "r-1", "customer_ids": "123-456-7890"}),
    )
    values = source_values(connection, GoogleAdsSettings)
    assert values == {
        "refresh_token": "r-1",
        "customer_ids": "123-456-7890",
        "client_secret": "client-secret",
        "client_id": "client-1",
        "base_url": "https://googleads.example.test",
    }
    settings = GoogleAdsSettings.model_validate(values)
    assert settings.customer_id_list() == ["1234567890"]


def test_a_secrets_backend_that_cannot_load_is_one_line(tmp_path: Path) -> None:
    result = run_cli(
        THINLINE,
        "doctor",
        home=tmp_path,
        THINLINE_SOURCES="hubspot",
        AIRFLOW__SECRETS__BACKEND="no.such.Backend",
    )
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]  # after Airflow's own log line about it
    assert line.startswith("error: Airflow connection warehouse could not be read: ")
    assert "AirflowConfigException" in line and "no.such.Backend" in line
