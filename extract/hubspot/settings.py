"""HubSpot settings: ``THINLINE_HUBSPOT__*``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr

from extract.api_versions import default_version
from extract.settings import SourceSettings

ALL = "all"
PROPERTY_SETTINGS = {
    "contacts": "contact_properties",
    "companies": "company_properties",
    "deals": "deal_properties",
}


class HubSpotSettings(SourceSettings):
    """A HubSpot key, the API version, and which properties to read."""

    source: ClassVar[str] = "hubspot"
    connection_password: ClassVar[str] = "token"  # an Airflow connection's password
    credentials: ClassVar[tuple[str, ...]] = ("token",)

    base_url: str = "https://api.hubapi.com"
    # A service key (Development > Keys > Service keys), or an existing legacy private-app
    # token: both are Bearer tokens. New private apps can no longer be created.
    token: SecretStr | None = None
    # A date version ("2026-09", see versions.toml) or "legacy" (the /crm/v3 + /crm/v4 paths).
    api_version: str = Field(default_factory=lambda: default_version("hubspot"))
    page_size: int = Field(
        default=100, ge=1, le=200
    )  # search allows 200; list endpoints cap at 100
    search_cap: int = Field(default=10_000, ge=1)  # search refuses offsets past this: split windows
    lookback_minutes: int = Field(default=10, ge=0)  # search is eventually consistent: overlap runs
    # Properties read per object: "all" (every property the properties API lists, the portal's
    # custom ones included), or a comma list read on top of the ones Thinline's models use.
    contact_properties: str = ALL
    company_properties: str = ALL
    deal_properties: str = ALL

    def property_choice(self, object_type: str) -> tuple[str, ...] | None:
        """The configured property names of ``object_type``, or None for all of them."""
        if object_type not in PROPERTY_SETTINGS:  # engagements: every property
            return None
        text = getattr(self, PROPERTY_SETTINGS[object_type]).strip()
        if text.lower() == ALL:
            return None
        return tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))

    def property_env(self, object_type: str) -> str:
        """The environment variable that chooses ``object_type``'s properties."""
        return f"THINLINE_HUBSPOT__{PROPERTY_SETTINGS[object_type].upper()}"
