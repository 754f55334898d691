"""Per-source settings: the base every source's settings model extends.

Values come from the environment as ``THINLINE_<SOURCE>__<FIELD>`` (pydantic-settings,
nested delimiter ``__``), composed in :mod:`thinline.settings`.
"""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import BaseModel, Field, SecretStr

from extract.base import ConfigError


class SourceSettings(BaseModel):
    """Settings every source has. Subclasses add credentials and mark them in ``credentials``."""

    source: ClassVar[str]
    credentials: ClassVar[tuple[str, ...]] = ()
    # The setting an Airflow connection's password fills (thinline/connections.py); None for
    # a keyless API.
    connection_password: ClassVar[str | None]
    # The comma list of accounts, for a source read account by account (ad platforms): each
    # account is extracted by its own task with its own watermarks (docs/raw_layout.md).
    account_setting: ClassVar[str | None] = None

    base_url: str
    timeout_seconds: float = 30.0
    max_retries: int = 5
    backoff_seconds: float = (
        1.0  # first retry delay; doubles each retry unless the API says otherwise
    )
    # Accounts of this source extracted at the same time (the nightly's mapped extract tasks;
    # with THINLINE_USE_POOLS, the slots of the Airflow pool thinline_<source>).
    parallel_accounts: int = Field(default=4, ge=1)

    def accounts(self) -> list[str]:
        """The accounts to extract, as bare ids; ``[""]`` (the whole source) for a source that
        is not read account by account."""
        return [""]

    def for_account(self, account: str) -> Self:
        """These settings narrowed to one account (``""``: unchanged)."""
        if not account or self.account_setting is None:
            return self
        return self.model_copy(update={self.account_setting: account})

    def check_credentials(self) -> None:
        """Raise a one-line :class:`ConfigError` naming the first unset credential."""
        for name in self.credentials:
            value = getattr(self, name)
            if value is None or (isinstance(value, SecretStr) and not value.get_secret_value()):
                env_name = f"THINLINE_{self.source.upper()}__{name.upper()}"
                raise ConfigError(f"{self.source}: credential {env_name} is not set")
