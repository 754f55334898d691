"""Per-source settings: the base every source's settings model extends.

Values come from the environment as ``THINLINE_<SOURCE>__<FIELD>`` (pydantic-settings,
nested delimiter ``__``), composed in :mod:`thinline.settings`.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, SecretStr

from extract.base import ConfigError


class SourceSettings(BaseModel):
    """Settings every source has. Subclasses add credentials and mark them in ``credentials``."""

    source: ClassVar[str]
    credentials: ClassVar[tuple[str, ...]] = ()
    # The setting an Airflow connection's password fills (thinline/connections.py).
    connection_password: ClassVar[str]

    base_url: str
    timeout_seconds: float = 30.0
    max_retries: int = 5
    backoff_seconds: float = (
        1.0  # first retry delay; doubles each retry unless the API says otherwise
    )

    def check_credentials(self) -> None:
        """Raise a one-line :class:`ConfigError` naming the first unset credential."""
        for name in self.credentials:
            value = getattr(self, name)
            if value is None or (isinstance(value, SecretStr) and not value.get_secret_value()):
                env_name = f"THINLINE_{self.source.upper()}__{name.upper()}"
                raise ConfigError(f"{self.source}: credential {env_name} is not set")
