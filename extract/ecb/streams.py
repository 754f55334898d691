"""ECB streams: one, ``reference_rates`` (replace_days on ``rate_date``).

A first load reads from ``THINLINE_ECB__HISTORY_START`` (or ``THINLINE_START_DATE`` when
earlier): deals, quotas and spend convert on days long before the other sources' history start,
and each needs the rate in force on it. Each night reads the window's days of the EXR key
(``THINLINE_ECB__CURRENCIES`` against the euro), re-reading ``lookback_days`` before the
watermark: the ECB corrects a published rate rarely and soon. One request per
``days_per_request`` days. Only TARGET business days have rates; the days between are filled
by dbt (``int_fx_rates_daily``), which says so in a column. ``record`` is the CSV row as the
ECB wrote it, column name to text.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from datetime import date, timedelta

from extract.base import LoadMode, RawRow, Stream, Window, day_ranges
from extract.ecb.client import EcbClient
from extract.ecb.settings import EcbSettings
from extract.http import Sleep


def build_streams(settings: EcbSettings, *, sleep: Sleep = time.sleep) -> list[Stream]:
    return [
        Stream(
            "reference_rates",
            {"currency_code": "text", "rate_date": "date"},
            LoadMode.REPLACE_DAYS,
            functools.partial(fetch_rates, settings, sleep),
            day_column="rate_date",
            lookback=timedelta(days=settings.lookback_days),
            history_start=settings.history_start,
        )
    ]


def fetch_rates(settings: EcbSettings, sleep: Sleep, window: Window) -> Iterator[RawRow]:
    days = window.days()
    with EcbClient(settings, sleep=sleep) as api:
        for first, last in day_ranges(days, settings.days_per_request):
            rows = api.observations(first, last)
            api.log.info("ecb: %s..%s: %d rates", first, last, len(rows))
            for row in rows:
                yield RawRow((row.get("CURRENCY"), rate_day(row)), row)


def rate_day(row: dict[str, str]) -> date | None:
    try:
        return date.fromisoformat(row.get("TIME_PERIOD") or "")
    except ValueError:
        return None  # the quality gate reports the NULL key
