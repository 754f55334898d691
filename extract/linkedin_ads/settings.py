"""LinkedIn Ads settings: ``THINLINE_LINKEDIN_ADS__*``."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, SecretStr, field_validator

from extract.api_versions import default_version
from extract.base import ConfigError
from extract.settings import SourceSettings

ACCOUNT_URN = "urn:li:sponsoredAccount:"
POST_CLICK_WINDOWS = (1, 7, 30, 90, 365)  # a conversion rule's postClickAttributionWindowSize


class LinkedInAdsSettings(SourceSettings):
    """An access token (optionally refreshable) and the sponsored ad accounts to read."""

    source: ClassVar[str] = "linkedin_ads"
    connection_password: ClassVar[str] = "access_token"  # an Airflow connection's password
    account_setting: ClassVar[str | None] = "account_ids"
    credentials: ClassVar[tuple[str, ...]] = ("access_token", "account_ids")

    base_url: str = "https://api.linkedin.com"
    token_url: str = "https://www.linkedin.com/oauth/v2/accessToken"
    # Monthly, each sunset a year or so after release: extract/linkedin_ads/versions.toml.
    linkedin_version: str = Field(default_factory=lambda: default_version("linkedin_ads"))
    access_token: SecretStr | None = None
    # Refresh tokens exist for approved partners only; with all three, a 401 refreshes once.
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    account_ids: str | None = None  # comma list; "507123456" or "urn:li:sponsoredAccount:507123456"
    lookback_days: int = Field(default=7, ge=0)  # LinkedIn restates about a week
    days_per_request: int = Field(default=14, ge=1)  # halved while a response hits element_cap
    element_cap: int = Field(default=15_000, ge=1)  # adAnalytics truncates silently at this
    # Entity finders: LinkedIn's documented default; capped per finder (creatives take 100).
    page_size: int = Field(default=100, ge=1, le=1000)
    # Offline conversions (extract/linkedin_ads/conversions.py): off unless set; the token then
    # also needs rw_conversions, and each conversion rule conversionMethod CONVERSIONS_API.
    upload_conversions: bool = False
    # The rules' postClickAttributionWindowSize (1, 7, 30, 90 or 365 days; LinkedIn's default
    # 30): a conversion later than this after its click, with no hashed email, is not sent.
    post_click_window_days: int = 90

    @field_validator("account_ids", mode="before")
    @classmethod
    def _strip_urns(cls, value: Any) -> Any:
        if isinstance(value, int):
            value = str(value)
        if isinstance(value, str):
            parts = (part.strip().removeprefix(ACCOUNT_URN) for part in value.split(","))
            return ",".join(part for part in parts if part) or None
        return value

    @field_validator("post_click_window_days")
    @classmethod
    def _window(cls, value: int) -> int:
        if value not in POST_CLICK_WINDOWS:
            raise ValueError(
                f"THINLINE_LINKEDIN_ADS__POST_CLICK_WINDOW_DAYS must be one of "
                f"{', '.join(map(str, POST_CLICK_WINDOWS))} (a rule's window); got {value}"
            )
        return value

    def can_refresh(self) -> bool:
        secret = self.client_secret.get_secret_value() if self.client_secret else ""
        refresh = self.refresh_token.get_secret_value() if self.refresh_token else ""
        return bool(self.client_id and secret and refresh)

    def account_id_list(self) -> list[int]:
        """The sponsored accounts as ints; a one-line :class:`ConfigError` if malformed."""
        ids = [part for part in (self.account_ids or "").split(",") if part]
        if not ids or not all(part.isdigit() for part in ids):
            raise ConfigError(
                "linkedin_ads: THINLINE_LINKEDIN_ADS__ACCOUNT_IDS must list sponsored account ids "
                f"like 507123456, comma-separated; got {self.account_ids!r}"
            )
        return [int(part) for part in ids]

    def accounts(self) -> list[str]:
        return [str(account) for account in self.account_id_list()]
