"""Exchange rates as the stand-ins serve them, for tests that redo a conversion: Salesforce's
dated ranges (units per 1 corporate USD), HubSpot's monthly rates (USD per unit) and the ECB's
reference rates the nightly loaded (units per euro)."""

from __future__ import annotations

import functools
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from extract.ecb import EcbSettings
from sandbox import World
from sandbox.clock import EPOCH
from sandbox.ecb_rates import published
from sandbox.hubspot_data import exchange_rates
from tests.integration.conftest import DAY

TEN_PLACES = Decimal("1e-10")


def salesforce_range(world: World, currency: str, day: date) -> tuple[Decimal, date]:
    """The org's ConversionRate for ``currency`` in the dated range holding ``day``, and the
    range's start."""
    for r in world.truth()["salesforce_rates"]["dated_conversion_rates"]:
        start, end = date.fromisoformat(r["start_date"]), r["next_start_date"] or "9999-12-31"
        if r["iso_code"] == currency and start <= day < date.fromisoformat(end):
            return Decimal(r["conversion_rate"]), start
    raise AssertionError(f"the org has no {currency} range for {day}")


def salesforce_rate(world: World, currency: str, day: date) -> tuple[Decimal, date]:
    """USD per unit on ``day`` as Thinline keeps it: 1 / ConversionRate (Salesforce divides
    by it) to 10 places; and the day the range starts."""
    rate, start = salesforce_range(world, currency, day)
    return (1 / rate).quantize(TEN_PLACES, ROUND_HALF_UP), start


def hubspot_rate(world: World, currency: str, day: date) -> tuple[Decimal, date] | None:
    """The portal's rate in effect on ``day`` (USD per unit), and the day it took effect;
    None before the portal's first rate."""
    rates = {
        (EPOCH + timedelta(milliseconds=r.effective_ms)).date(): r.conversion_rate
        for r in exchange_rates(world.config)
        if r.from_currency == currency
    }
    effective = max((d for d in rates if d <= day), default=None)
    return (rates[effective], effective) if effective else None


@functools.cache
def ecb_newest(currency: str, day: date) -> tuple[date, Decimal] | None:
    """The ECB's newest (day, units per euro) of ``currency`` on or before ``day`` among the
    days the nightly loaded (THINLINE_ECB__HISTORY_START to the run's day); the euro is 1 on
    the ECB's newest publishing day."""
    loaded = published(EcbSettings().history_start, min(day, DAY))
    days = [o for o in loaded if o.currency == (currency if currency != "EUR" else "USD")]
    if not days:
        return None
    newest = max(days, key=lambda o: o.day)
    return newest.day, Decimal(1) if currency == "EUR" else Decimal(newest.value)


def ecb_usd_rate(day: date, currency: str) -> Decimal | None:
    """US dollars per unit of ``currency`` from the ECB's newest loaded rates on or before
    ``day``, as int_fx_rates_daily rounds it; None when the ECB had published none by then."""
    base, target = ecb_newest(currency, day), ecb_newest("USD", day)
    if base is None or target is None:
        return None
    return (target[1] / base[1]).quantize(TEN_PLACES, ROUND_HALF_UP)
