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
