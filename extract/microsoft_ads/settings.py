"""Microsoft Advertising settings: ``THINLINE_MICROSOFT_ADS__*``."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, SecretStr, field_validator

from extract.api_versions import default_version
from extract.base import ConfigError
from extract.settings import SourceSettings


class MicrosoftAdsSettings(SourceSettings):
    """A developer token, an Entra ID app (client id and secret) with a user's refresh token,
    the manager customer id and the ad accounts to read.

    The three base URLs are Microsoft's production service hosts
    (https://learn.microsoft.com/en-us/advertising/guides/web-service-addresses); the stand-in
    serves all three from one address.
    """

    source: ClassVar[str] = "microsoft_ads"
    connection_password: ClassVar[str] = "refresh_token"  # an Airflow connection's password
    account_setting: ClassVar[str | None] = "account_ids"
    credentials: ClassVar[tuple[str, ...]] = (
        "developer_token",
        "client_id",
        "refresh_token",
        "customer_id",
        "account_ids",
    )

    base_url: str = "https://reporting.api.bingads.microsoft.com"  # the Reporting service
    campaign_url: str = "https://campaign.api.bingads.microsoft.com"
    customer_url: str = "https://clientcenter.api.bingads.microsoft.com"
    token_url: str = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
    scope: str = "https://ads.microsoft.com/msads.manage offline_access"
    api_version: str = Field(default_factory=lambda: default_version("microsoft_ads"))
    developer_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None  # a public (desktop) app has none
    refresh_token: SecretStr | None = None
    customer_id: str | None = None  # the manager customer the accounts belong to
    account_ids: str | None = None  # comma list of account ids (not account numbers)
    # Conversions are credited to the click's day for the conversion goal's window (30 days
    # by default), so recent days are restated: re-read that much.
    lookback_days: int = Field(default=30, ge=0)
    poll_seconds: float = Field(default=5.0, gt=0)  # first wait for a report; doubles to 60 s
    max_polls: int = Field(default=40, ge=1)  # about half an hour of polling per report

    @field_validator("account_ids", "customer_id", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        if isinstance(value, int):
            value = str(value)
        if isinstance(value, str):
            return ",".join(part.strip() for part in value.split(",") if part.strip()) or None
        return value

    def account_id_list(self) -> list[int]:
        """The ad accounts as ints; a one-line :class:`ConfigError` if malformed."""
        ids = [part for part in (self.account_ids or "").split(",") if part]
        if not ids or not all(part.isdigit() for part in ids):
            raise ConfigError(
                "microsoft_ads: THINLINE_MICROSOFT_ADS__ACCOUNT_IDS must list account ids like "
                f"149123456 (the id, not the account number), comma-separated; got "
                f"{self.account_ids!r}"
            )
        return [int(part) for part in ids]

    def accounts(self) -> list[str]:
        return [str(account) for account in self.account_id_list()]
