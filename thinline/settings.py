"""Thinline's settings, read from the environment (``THINLINE_*``) with pydantic-settings.

Per-source settings nest under ``THINLINE_<SOURCE>__<FIELD>``, e.g.
``THINLINE_HUBSPOT__TOKEN`` or ``THINLINE_GOOGLE_ADS__CUSTOMER_IDS``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from extract.base import ConfigError
from extract.google_ads import GoogleAdsSettings
from extract.hubspot import HubSpotSettings
from extract.linkedin_ads import LinkedInAdsSettings
from extract.meta_ads import MetaAdsSettings
from extract.registry import SOURCES
from extract.salesforce import SalesforceSettings
from extract.settings import SourceSettings

DEMO_SOURCES = tuple(SOURCES)  # the sandbox serves every source


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="THINLINE_", env_nested_delimiter="__", extra="ignore"
    )

    home: Path = Field(default=Path(".thinline"), description="State folder (warehouse, logs).")
    warehouse_url: SecretStr | None = Field(
        default=None, description="Use this PostgreSQL instead of the embedded warehouse."
    )
    sources: str | None = Field(
        default=None, description="Comma list of enabled sources; unset means the demo sources."
    )
    start_date: date = Field(
        default=date(2025, 1, 1), description="History start for a stream's first load."
    )
    demo_scale: float = Field(default=5.0, description="Size of the demo synthetic company.")
    demo_seed: int = Field(default=7, description="Seed of the demo synthetic company.")
    demo_history_days: int = Field(default=120, description="Days of demo history.")
    dbt_vars: str | None = Field(
        default=None,
        description="dbt vars (a YAML mapping) for every dbt command Thinline runs.",
    )

    hubspot: HubSpotSettings = Field(default_factory=HubSpotSettings)
    salesforce: SalesforceSettings = Field(default_factory=SalesforceSettings)
    google_ads: GoogleAdsSettings = Field(default_factory=GoogleAdsSettings)
    meta_ads: MetaAdsSettings = Field(default_factory=MetaAdsSettings)
    linkedin_ads: LinkedInAdsSettings = Field(default_factory=LinkedInAdsSettings)

    @property
    def is_demo(self) -> bool:
        return self.sources is None

    def source_names(self) -> list[str]:
        """Enabled sources, validated against the registry."""
        if self.sources is None:
            return list(DEMO_SOURCES)
        names = [name.strip() for name in self.sources.split(",") if name.strip()]
        if not names:
            raise ConfigError("THINLINE_SOURCES is empty; name at least one source")
        for name in names:
            if name not in SOURCES:
                known = ", ".join(sorted(SOURCES))
                raise ConfigError(f"unknown source '{name}' in THINLINE_SOURCES (known: {known})")
        return names

    def source_settings(self, name: str) -> SourceSettings:
        return getattr(self, name)


def load_settings() -> Settings:
    """Read settings, turning validation errors into one-line :class:`ConfigError`."""
    try:
        settings = Settings()
    except ValidationError as error:
        first = error.errors()[0]
        field = "__".join(str(part) for part in first["loc"]).upper()
        raise ConfigError(f"invalid setting THINLINE_{field}: {first['msg']}") from None
    check_dbt_vars(settings.dbt_vars)
    return settings


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
