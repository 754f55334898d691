"""HubSpot settings: ``THINLINE_HUBSPOT__*``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr

from extract.settings import SourceSettings


class HubSpotSettings(SourceSettings):
    """A HubSpot private-app token and how to page the CRM."""

    source: ClassVar[str] = "hubspot"
    credentials: ClassVar[tuple[str, ...]] = ("token",)

    base_url: str = "https://api.hubapi.com"
    token: SecretStr | None = None
    page_size: int = Field(
        default=100, ge=1, le=200
    )  # search allows 200; list endpoints cap at 100
    search_cap: int = Field(default=10_000, ge=1)  # search refuses offsets past this: split windows
    lookback_minutes: int = Field(default=10, ge=0)  # search is eventually consistent: overlap runs
    # Portal-specific custom properties (comma lists), read when the portal has them: HubSpot
    # has no standard LinkedIn click id (``li_fat_id`` is the usual custom one) and no ``utm_*``
    # contact properties; ``list_amount`` is the price before discount on this portal's deals.
    contact_custom_properties: str = "li_fat_id,utm_source,utm_medium,utm_campaign"
    deal_custom_properties: str = "list_amount"

    def custom_properties(self, object_type: str) -> tuple[str, ...]:
        """The custom property names configured for ``contacts`` or ``deals`` (else none)."""
        text = {
            "contacts": self.contact_custom_properties,
            "deals": self.deal_custom_properties,
        }.get(object_type, "")
        return tuple(name.strip() for name in text.split(",") if name.strip())
