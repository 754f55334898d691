"""Salesforce settings: ``THINLINE_SALESFORCE__*``."""

from __future__ import annotations

from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr

from extract.api_versions import default_version
from extract.base import ConfigError
from extract.settings import SourceSettings

# Salesforce's shared login hosts answer the client-credentials grant with "request not supported
# on this domain": that flow needs the org's own My Domain token URL.
SHARED_LOGIN_HOSTS = frozenset({"login.salesforce.com", "test.salesforce.com"})


class SalesforceSettings(SourceSettings):
    """An External Client App's (or connected app's) OAuth client, and how to read the org.

    ``auth_flow`` picks the grant: ``client_credentials`` (an integration user the app runs as;
    Salesforce's recommended server-to-server flow, no refresh token to rotate; ``token_url`` must
    be the org's My Domain, ``https://<MyDomain>.my.salesforce.com/services/oauth2/token``) or
    ``refresh_token`` (a refresh token from a one-time authorization; works with login.salesforce
    .com).
    """

    source: ClassVar[str] = "salesforce"
    connection_password: ClassVar[str] = "client_secret"  # an Airflow connection's password
    credentials: ClassVar[tuple[str, ...]] = ("client_id", "client_secret", "refresh_token")

    # Where requests go until the token response names the org's instance_url.
    base_url: str = "https://login.salesforce.com"
    token_url: str = "https://login.salesforce.com/services/oauth2/token"  # test.… for sandboxes
    auth_flow: Literal["refresh_token", "client_credentials"] = "refresh_token"
    api_version: str = Field(default_factory=lambda: default_version("salesforce"))
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    # Records arrive late with an earlier SystemModstamp: re-read this much before the watermark.
    lookback_minutes: int = Field(default=10, ge=0)
    # De-duplicating by Id holds one query's records; a window with more is split in halves.
    max_window_records: int = Field(default=50_000, ge=1)

    def check_credentials(self) -> None:
        """The settings the chosen ``auth_flow`` needs, as one-line :class:`ConfigError`\\ s."""
        if self.auth_flow == "refresh_token":
            super().check_credentials()
            return
        for name in ("client_id", "client_secret"):
            value = getattr(self, name)
            if not value or (isinstance(value, SecretStr) and not value.get_secret_value()):
                raise ConfigError(
                    f"salesforce: credential THINLINE_SALESFORCE__{name.upper()} is not set"
                )
        if urlsplit(self.token_url).hostname in SHARED_LOGIN_HOSTS:
            raise ConfigError(
                "salesforce: the client-credentials flow needs the org's My Domain token URL — "
                "set THINLINE_SALESFORCE__TOKEN_URL to "
                "https://<MyDomain>.my.salesforce.com/services/oauth2/token"
            )
