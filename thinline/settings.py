"""Thinline's settings, read from the environment (``THINLINE_*``) with pydantic-settings.

Per-source settings nest under ``THINLINE_<SOURCE>__<FIELD>``, e.g.
``THINLINE_HUBSPOT__TOKEN`` or ``THINLINE_GOOGLE_ADS__CUSTOMER_IDS``.

Settings are strict: a ``THINLINE_*`` variable Thinline does not know is an error naming the
closest one it does (``THINLINE_SOURCE`` -> ``THINLINE_SOURCES``), and no configured source is
an error, never the demo (the demo is ``--demo``).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from extract.base import ConfigError
from extract.registry import ALL, expand, manifests, source_names
from extract.settings import SourceSettings
from thinline.connections import (
    WAREHOUSE_CONNECTION,
    airflow_connection,
    might_have_connections,
    source_connection_id,
    source_values,
    warehouse_url_of,
)

# the sources the sandbox serves: those whose manifest names a stand-in
DEMO_SOURCES = tuple(found.name for found in manifests() if found.stand_in is not None)
PREFIX = "THINLINE_"
# Set by Thinline for its own child processes (dbt's profile, GX's datasource), and the test
# suite's servers: known names, never user settings.
INTERNAL = frozenset(
    {
        "THINLINE_PG_HOST",
        "THINLINE_PG_PORT",
        "THINLINE_PG_USER",
        "THINLINE_PG_PASSWORD",
        "THINLINE_PG_DATABASE",
        "THINLINE_PG_SSLMODE",
        "THINLINE_DBT_SCHEMA",
        "THINLINE_DBT_TARGET",
        "THINLINE_DBT_DEV_SCHEMA",
        "THINLINE_DBT_DEV_ONLY",
        "THINLINE_GX_WAREHOUSE_URL",
        "THINLINE_RUN_LOCK_TOKEN",
    }
)
INTERNAL_PREFIXES = ("THINLINE_TEST_",)
MAX_DEMO_SCALE = 200.0  # about 40x the default company; larger ones are the benchmark's job


class CoreSettings(BaseSettings):
    """Every setting but the sources' own (``Settings`` adds one field per registered source)."""

    # An empty variable is an unset one: the compose file passes every setting as
    # ${THINLINE_X:-}, so a deployment that leaves one out gets its default.
    model_config = SettingsConfigDict(
        env_prefix="THINLINE_", env_nested_delimiter="__", extra="ignore", env_ignore_empty=True
    )

    home: Path = Field(default=Path(".thinline"), description="State folder (warehouse, logs).")
    warehouse_url: SecretStr | None = Field(
        default=None, description="Use this PostgreSQL instead of the embedded warehouse."
    )
    sources: str | None = Field(
        default=None,
        description=f"Comma list of enabled sources, or {ALL} (the demo: --demo).",
    )
    start_date: date = Field(
        default=date(2025, 1, 1), description="History start for a stream's first load."
    )
    demo_scale: float = Field(
        default=5.0,
        gt=0,
        le=MAX_DEMO_SCALE,
        allow_inf_nan=False,
        description="Size of the demo synthetic company.",
    )
    demo_seed: int = Field(default=7, description="Seed of the demo synthetic company.")
    demo_history_days: int = Field(default=120, ge=1, le=3650, description="Days of demo history.")
    dbt_vars: str | None = Field(
        default=None,
        description="dbt vars (a YAML mapping) for every dbt command Thinline runs.",
    )
    fx_max_rate_age_days: int = Field(
        default=5,
        ge=0,
        description="A converting rate older than this many days is a marts-gate warning.",
    )
    full_checks: bool = Field(
        default=False,
        description="Raw checks read every row tonight (else only tonight's; Sundays: all).",
    )
    alert_webhook_url: SecretStr | None = Field(
        default=None, description="Slack-compatible webhook a failed task is reported to."
    )
    alert_smtp_url: SecretStr | None = Field(
        default=None,
        description="smtp://[user:password@]host[:port] (smtps:// for TLS) for failure e-mail.",
    )
    alert_email_to: str | None = Field(
        default=None, description="Comma list of addresses failure e-mail goes to."
    )
    alert_email_from: str = Field(
        default="thinline@localhost", description="Sender of failure e-mail."
    )
    publish_deadline: str = Field(
        default="07:00",
        pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|off)$",
        description="UTC time (HH:MM) by which analytics must be published, else an alert.",
    )
    full_refresh: bool = Field(
        default=False,
        description="Rebuild tonight's incremental models from scratch (dbt --full-refresh).",
    )
    dbt_work_mem: str | None = Field(
        default=None,
        pattern=r"^[0-9]+(kB|MB|GB)$",
        description="work_mem of dbt's connections (default: sized for the machine).",
    )
    conversions_max_attempts: int = Field(
        default=5, ge=1, description="Attempts before an offline conversion is recorded failed."
    )
    conversions_attempts_per_run: int = Field(
        default=3, ge=1, description="Attempts per night for a conversion a platform refused."
    )
    conversions_retry_wait_seconds: float = Field(
        default=30.0, ge=0, description="Wait before a night's second attempt (then doubles)."
    )
    # Read where they are used (thinline.roles, the DAG file, the analyst's tools); declared
    # here so they are known settings with their documentation in one place.
    bi_reader_password: SecretStr | None = Field(
        default=None, description="bi_reader's password on a THINLINE_WAREHOUSE_URL server."
    )
    task_retries: int | None = Field(default=None, ge=0, description="Airflow task retries.")
    use_pools: bool = Field(
        default=False,
        description="Extract tasks run in the Airflow pools thinline_<source> (create them first).",
    )
    task_retry_delay_seconds: int | None = Field(
        default=None, ge=1, description="First retry's delay in seconds (default 120; doubles)."
    )
    dev_schema: str | None = Field(default=None, description="An analyst's dev schema.")
    analyst: str | None = Field(default=None, description="The analyst's name (dev_<name>).")
    dbt_project_dir: Path | None = Field(default=None, description="Another dbt project copy.")
    published_state: Path | None = Field(
        default=None, description="Folder of the published dbt manifest."
    )

    def source_names(self) -> list[str]:
        """Enabled sources, validated against the registry; none configured is an error."""
        if self.sources is None:
            raise ConfigError(
                "no sources configured: set THINLINE_SOURCES (e.g. hubspot,google_ads) with "
                "their credentials, or use --demo for the synthetic company"
            )
        names = expand(self.sources)
        if not names:
            raise ConfigError("THINLINE_SOURCES is empty; name at least one source")
        for name in names:
            if name not in source_names():
                known = ", ".join(source_names())
                raise ConfigError(f"unknown source '{name}' in THINLINE_SOURCES (known: {known})")
        return names

    def source_settings(self, name: str) -> SourceSettings:
        return getattr(self, name)


def _source_fields() -> dict[str, Any]:
    """One field per registered source, its manifest's settings model (THINLINE_<SOURCE>__*)."""
    return {
        found.name: (found.settings, Field(default_factory=found.settings)) for found in manifests()
    }


Settings = create_model("Settings", __base__=CoreSettings, __module__=__name__, **_source_fields())


def load_settings() -> Settings:
    """Read settings, turning validation errors into one-line :class:`ConfigError`."""
    check_names(os.environ)
    try:
        settings = Settings()
    except ValidationError as error:
        first = error.errors()[0]
        field = "__".join(str(part) for part in first["loc"]).upper()
        raise ConfigError(f"invalid setting THINLINE_{field}: {first['msg']}") from None
    if might_have_connections():
        settings = with_airflow_connections(settings)
    check_dbt_vars(settings.dbt_vars)
    check_alert_settings(settings)
    return settings


def with_airflow_connections(settings: Settings) -> Settings:
    """Fill what no non-empty ``THINLINE_*`` variable set from the Airflow connections
    ``warehouse`` and ``thinline_<source>`` of the enabled sources
    (thinline/connections.py)."""
    updates: dict[str, object] = {}
    if settings.warehouse_url is None and (found := airflow_connection(WAREHOUSE_CONNECTION)):
        updates["warehouse_url"] = SecretStr(warehouse_url_of(found))
    for name in (name for name in expand(settings.sources or "") if name in source_names()):
        current = settings.source_settings(name)
        if not (found := airflow_connection(source_connection_id(name))):
            continue
        from_env = {  # compose passes an unset variable on as empty: that says nothing
            name: value
            for name, value in current.model_dump(include=current.model_fields_set).items()
            if not _empty(value)
        }
        try:
            updates[name] = type(current).model_validate(
                {**source_values(found, type(current)), **from_env}
            )
        except ValidationError as error:
            first = error.errors()[0]
            raise ConfigError(
                f"invalid setting in Airflow connection {source_connection_id(name)}: "
                f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"
            ) from None
    return settings.model_copy(update=updates) if updates else settings


def _empty(value: object) -> bool:
    secret = value.get_secret_value() if isinstance(value, SecretStr) else value
    return secret is None or secret == ""


def check_alert_settings(settings: Settings) -> None:
    """One-line ConfigError for failure-alert settings that cannot work (thinline/alerts.py)."""
    if settings.alert_smtp_url is None:
        return
    if not settings.alert_email_to:
        raise ConfigError("THINLINE_ALERT_SMTP_URL is set but THINLINE_ALERT_EMAIL_TO is not")
    if urlsplit(settings.alert_smtp_url.get_secret_value()).scheme not in ("smtp", "smtps"):
        raise ConfigError("THINLINE_ALERT_SMTP_URL must start with smtp:// or smtps://")


def known_names() -> set[str]:
    """Every ``THINLINE_*`` variable a user may set."""
    sources = source_names()
    names = {f"{PREFIX}{name.upper()}" for name in Settings.model_fields if name not in sources}
    for source in sources:
        model = Settings.model_fields[source].annotation
        names |= {f"{PREFIX}{source.upper()}__{field.upper()}" for field in model.model_fields}
    return names


def check_names(environ: Mapping[str, str]) -> None:
    """An unknown ``THINLINE_*`` variable is a one-line error naming the closest known one
    (a misspelled setting must not be silently ignored)."""
    known = known_names()
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(PREFIX) or upper in known or upper in INTERNAL:
            continue
        if upper.startswith(INTERNAL_PREFIXES):
            continue
        close = difflib.get_close_matches(upper, sorted(known), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else " (README: Settings)"
        raise ConfigError(f"unknown setting {name}{hint}")


def check_dbt_vars(text: str | None) -> None:
    """``THINLINE_DBT_VARS`` must be a YAML mapping (what dbt's ``--vars`` takes)."""
    if text is None:
        return
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as error:
        problem = " ".join(str(error).split())[:120]
        raise ConfigError(f"invalid setting THINLINE_DBT_VARS: not YAML ({problem})") from None
    if not isinstance(value, dict):
        raise ConfigError(
            "invalid setting THINLINE_DBT_VARS: expected a YAML mapping such as "
            "'{custom_fields: {salesforce_opportunities: [Region__c]}}'"
        )
