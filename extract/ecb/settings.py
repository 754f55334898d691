"""ECB reference-rate settings: ``THINLINE_ECB__*``. The ECB's data API is public and keyless."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from pydantic import Field, field_validator

from extract.base import ConfigError
from extract.settings import SourceSettings

EURO = "EUR"


class EcbSettings(SourceSettings):
    """Which currencies to read against the euro, and how far back a night re-reads."""

    source: ClassVar[str] = "ecb"
    connection_password: ClassVar[str | None] = None  # keyless

    base_url: str = "https://data-api.ecb.europa.eu/service"
    # comma list of ISO 4217 codes, e.g. "USD,GBP"; empty: every currency the ECB publishes
    # (about 30; the euro itself is always 1 and never asked for)
    currencies: str = ""
    # The ECB corrects a published rate only rarely, within days; a night re-reads this many.
    lookback_days: int = Field(default=5, ge=0)
    days_per_request: int = Field(default=366, ge=1)  # a year of ~30 series is ~8,000 rows
    # A first load reads rates from here (or THINLINE_START_DATE, if earlier): ten days before
    # dbt's calendar_start (2024-01-01), so its first day already has the rate in force (the
    # longest gap, 24 December to the first working day of January, is under a week).
    history_start: date = date(2023, 12, 22)

    @field_validator("currencies", mode="before")
    @classmethod
    def _normalise(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = (part.strip().upper() for part in value.split(","))
            return ",".join(part for part in parts if part and part != EURO)
        return value

    def currency_list(self) -> list[str]:
        """The configured codes; a one-line :class:`ConfigError` if one is not 3 letters."""
        codes = [code for code in self.currencies.split(",") if code]
        bad = [code for code in codes if not (len(code) == 3 and code.isalpha())]
        if bad:
            raise ConfigError(
                f"ecb: THINLINE_ECB__CURRENCIES must list ISO 4217 codes like USD,GBP; "
                f"got {', '.join(bad)}"
            )
        return codes

    def series_key(self) -> str:
        """The EXR key: daily spot reference rates of the currencies against the euro
        (``D.USD+GBP.EUR.SP00.A``; an empty currency dimension is every currency)."""
        return f"D.{'+'.join(self.currency_list())}.EUR.SP00.A"
