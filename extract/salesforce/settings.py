"""Salesforce settings: ``THINLINE_SALESFORCE__*``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr

from extract.settings import SourceSettings


class SalesforceSettings(SourceSettings):
    """A connected app's OAuth client and refresh token, and how to read the org."""

    source: ClassVar[str] = "salesforce"
    credentials: ClassVar[tuple[str, ...]] = ("client_id", "client_secret", "refresh_token")

    # Where requests go until the token response names the org's instance_url.
    base_url: str = "https://login.salesforce.com"
    token_url: str = "https://login.salesforce.com/services/oauth2/token"  # test.… for sandboxes
    api_version: str = "v62.0"
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    # Records arrive late with an earlier SystemModstamp: re-read this much before the watermark.
    lookback_minutes: int = Field(default=10, ge=0)
    # De-duplicating by Id holds one query's records; a window with more is split in halves.
    max_window_records: int = Field(default=50_000, ge=1)
