"""The euro reference rates the ECB stand-in serves: the ECB's real history, then a marked
synthetic continuation.

* ``data/ecb_eurofxref.csv``: the ECB's own ``eurofxref-hist.csv`` (wide: ``Date,USD,JPY,…``,
  ``N/A`` where a currency has no rate) from 2023-01-02 to 2026-10-30, values exactly as the
  ECB wrote them. Provenance and how to regenerate: ``data/README.md``.
* After the history's last day, every currency still quoted on that day continues as a seeded
  random walk (at most ±0.3 % a day) on TARGET business days, rounded to the decimals the ECB
  publishes it with. These rates are invented: each carries :data:`SYNTHETIC_COMMENT`.
  The walk is a function of the currency and the day alone (not the world's seed: the ECB's
  rates are the same for every company), so any two servers agree on it.
"""

from __future__ import annotations

import csv
import functools
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

DATA = Path(__file__).parent / "data" / "ecb_eurofxref.csv"
MISSING = "N/A"
SYNTHETIC_COMMENT = "Thinline stand-in: synthetic, after the shipped ECB history"
DAILY_STEP = 0.003  # largest relative move of a synthetic day
WALK_SEED = "thinline-ecb-walk"


@dataclass(frozen=True)
class Observation:
    currency: str
    day: date
    value: str  # OBS_VALUE as written: the ECB's string, trailing zeros dropped as it does
    synthetic: bool = False


@dataclass(frozen=True)
class History:
    currencies: tuple[str, ...]  # in the ECB's column order
    series: dict[str, tuple[tuple[date, str], ...]]  # currency -> (day, value), oldest first
    decimals: dict[str, int]  # places the ECB publishes a currency with
    last_day: date  # the shipped history's last day

    def continued(self) -> tuple[str, ...]:
        """Currencies still quoted on the last day: the ones the synthetic walk extends."""
        return tuple(c for c in self.currencies if self.series[c][-1][0] == self.last_day)


@functools.cache
def history() -> History:
    with DATA.open(newline="") as handle:
        header, *rows = csv.reader(handle)
    currencies = tuple(header[1:])
    series = {
        currency: tuple((date.fromisoformat(row[0]), row[i]) for row in rows if row[i] != MISSING)
        for i, currency in enumerate(currencies, start=1)
    }
    # The file drops trailing zeros ("0.8338" for 0.83380): the longest tail is the precision.
    decimals = {c: max(_places(value) for _, value in series[c]) for c in currencies}
    return History(currencies, series, decimals, date.fromisoformat(rows[-1][0]))


def published(
    day_from: date, day_to: date, currencies: Iterable[str] | None = None
) -> list[Observation]:
    """Every observation from ``day_from`` to ``day_to`` (inclusive) of ``currencies`` (all
    when None, unknown codes ignored), by currency then day: real ones, then synthetic ones."""
    known = history()
    wanted = sorted(known.currencies if currencies is None else set(currencies))
    found: list[Observation] = []
    for currency in wanted:
        if currency not in known.series:
            continue
        found += [
            Observation(currency, day, value)
            for day, value in known.series[currency]
            if day_from <= day <= day_to
        ]
        if day_to > known.last_day and currency in known.continued():
            found += [
                Observation(currency, day, value, synthetic=True)
                for day, value in _walk(currency, day_to)
                if day >= day_from
            ]
    return found


def is_target_day(day: date) -> bool:
    """A TARGET business day: not a weekend, 1 January, Good Friday, Easter Monday, 1 May,
    25 or 26 December (https://www.ecb.europa.eu/press/pr/date/2000/html/pr001214_4.en.html;
    exactly the days of the shipped history, 2023-2026)."""
    if day.weekday() >= 5 or (day.month, day.day) in {(1, 1), (5, 1), (12, 25), (12, 26)}:
        return False
    easter = _easter(day.year)
    return day not in (easter - timedelta(days=2), easter + timedelta(days=1))


@functools.lru_cache(maxsize=256)
def _walk(currency: str, until: date) -> tuple[tuple[date, str], ...]:
    """The synthetic days after the history up to ``until``: each step drawn from its own
    (currency, day) generator, so a later ``until`` only appends."""
    known = history()
    places = Decimal(1).scaleb(-known.decimals[currency])
    value = Decimal(known.series[currency][-1][1])
    steps = []
    day = known.last_day
    while (day := day + timedelta(days=1)) <= until:
        if not is_target_day(day):
            continue
        move = random.Random(f"{WALK_SEED}|{currency}|{day}").uniform(-DAILY_STEP, DAILY_STEP)
        value = (value * (1 + Decimal(f"{move:.6f}"))).quantize(places, ROUND_HALF_EVEN)
        steps.append((day, _text(value)))
    return tuple(steps)


def _text(value: Decimal) -> str:
    """As the ECB writes a rate: no exponent, no trailing zeros (``136`` for 136.00)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _places(value: str) -> int:
    return len(value.partition(".")[2])


def _easter(year: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)
