"""Meta Ads settings: ``THINLINE_META_ADS__*``."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, SecretStr, field_validator

from extract.api_versions import default_version
from extract.base import ConfigError
from extract.settings import SourceSettings


class MetaAdsSettings(SourceSettings):
    """A system user's access token (``ads_read``) and the ad accounts to read; the app secret
    too when the app has "Require App Secret" on (then every call carries ``appsecret_proof``)."""

    source: ClassVar[str] = "meta_ads"
    connection_password: ClassVar[str] = "access_token"  # an Airflow connection's password
    account_setting: ClassVar[str | None] = "account_ids"
    credentials: ClassVar[tuple[str, ...]] = ("access_token", "account_ids")

    base_url: str = "https://graph.facebook.com"
    api_version: str = Field(default_factory=lambda: default_version("meta_ads"))
    access_token: SecretStr | None = None
    app_secret: SecretStr | None = None  # App settings > Basic; optional
    account_ids: str | None = None  # comma list; "act_1234567890" or "1234567890"
    lookback_days: int = Field(default=28, ge=0)  # Meta restates insights for 28 days
    days_per_request: int = Field(default=7, ge=1)  # halved further when Meta says "too much"
    page_size: int = Field(default=500, ge=1, le=5000)  # a smaller limit means more throttling
    # Offline conversions (extract/meta_ads/conversions.py): sent through the Conversions API
    # only when true (the sender asks every platform whose uploads are on).
    upload_conversions: bool = False
    # The dataset (pixel) id the conversions go to; when set, a conversion for another dataset
    # is refused before anything is sent. Events Manager > Data sources > the dataset's id.
    conversions_dataset_id: str | None = None
    # A token that may send events to that dataset: generated in Events Manager (dataset >
    # Settings > Conversions API > Generate access token) or a system user's token with
    # ads_management that is assigned to the dataset. Unset: access_token is used.
    conversions_access_token: SecretStr | None = None
    # Events Manager > Test events: when set, events go to the Test Events tool only.
    test_event_code: str | None = None

    @field_validator("account_ids", mode="before")
    @classmethod
    def _strip_prefix(cls, value: Any) -> Any:
        if isinstance(value, int):
            value = str(value)
        if isinstance(value, str):
            parts = (part.strip().removeprefix("act_") for part in value.split(","))
            return ",".join(part for part in parts if part) or None
        return value

    def account_id_list(self) -> list[str]:
        """The ad accounts as bare digits; a one-line :class:`ConfigError` if malformed."""
        ids = [part for part in (self.account_ids or "").split(",") if part]
        if not ids or not all(part.isdigit() for part in ids):
            raise ConfigError(
                "meta_ads: THINLINE_META_ADS__ACCOUNT_IDS must list ad account ids like "
                f"act_1234567890, comma-separated; got {self.account_ids!r}"
            )
        return ids

    def accounts(self) -> list[str]:
        return self.account_id_list()
