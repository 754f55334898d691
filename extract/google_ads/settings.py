"""Google Ads settings: ``THINLINE_GOOGLE_ADS__*``."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from pydantic import Field, SecretStr, field_validator

from extract.api_versions import default_version
from extract.base import ConfigError
from extract.settings import SourceSettings

# Google ignores the developer-token header from this day on; API access belongs to the Cloud
# project (https://developers.google.com/google-ads/api/docs/api-policy/developer-token).
DEVELOPER_TOKEN_SUNSET = date(2026, 9, 9)


class GoogleAdsSettings(SourceSettings):
    """OAuth client + refresh token and the client accounts to read.

    No developer token is needed: Google sunset them (:data:`DEVELOPER_TOKEN_SUNSET`) and ignores
    the header since; API access (Test, Explorer, Basic, Standard) belongs to the Google Cloud
    project that owns the OAuth client. One that is set is still sent, as Google allows.
    """

    source: ClassVar[str] = "google_ads"
    connection_password: ClassVar[str] = "client_secret"  # an Airflow connection's password
    account_setting: ClassVar[str | None] = "customer_ids"
    credentials: ClassVar[tuple[str, ...]] = (
        "client_id",
        "client_secret",
        "refresh_token",
        "customer_ids",
    )

    base_url: str = "https://googleads.googleapis.com"
    api_version: str = Field(default_factory=lambda: default_version("google_ads"))
    token_url: str = "https://oauth2.googleapis.com/token"
    developer_token: SecretStr | None = None  # optional; ignored by Google since its sunset
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    customer_ids: str | None = None  # comma list; "123-456-7890" or "1234567890"
    login_customer_id: str | None = None  # the manager (MCC) account, when reading through one
    lookback_days: int = Field(default=30, ge=0)  # conversions restate inside this window
    days_per_request: int = Field(default=31, ge=1)  # bounds one searchStream response
    # Offline conversions (extract/google_ads/conversions.py): off unless set. Sends each click's
    # conversions to the conversion actions named in dbt_project/seeds/conversion_map.csv
    # (type UPLOAD_CLICKS) with the same OAuth client (scope .../auth/adwords).
    upload_conversions: bool = False
    # The account that owns the conversion actions when cross-account conversion tracking is
    # on (customer.conversion_tracking_setting.google_ads_conversion_customer, usually the
    # manager); unset: each conversion goes to its click's own account.
    conversion_customer_id: str | None = None
    # The conversion actions' click-through window (ConversionAction.
    # click_through_lookback_window_days, at most 90): older clicks are skipped, not sent.
    conversion_click_window_days: int = Field(default=90, ge=1, le=90)

    @field_validator("customer_ids", "login_customer_id", "conversion_customer_id", mode="before")
    @classmethod
    def _strip_hyphens(cls, value: Any) -> Any:
        if isinstance(value, int):
            value = str(value)
        if isinstance(value, str):
            value = ",".join(part.replace("-", "").strip() for part in value.split(","))
            return value.strip(",") or None
        return value

    def customer_id_list(self) -> list[str]:
        """The client accounts as bare digits; a one-line :class:`ConfigError` if malformed."""
        ids = [part for part in (self.customer_ids or "").split(",") if part]
        bad = [part for part in ids if not part.isdigit()]
        if bad or not ids:
            raise ConfigError(
                "google_ads: THINLINE_GOOGLE_ADS__CUSTOMER_IDS must list customer ids like "
                f"123-456-7890, comma-separated; got {self.customer_ids!r}"
            )
        return ids

    def accounts(self) -> list[str]:
        return self.customer_id_list()
