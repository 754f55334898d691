"""Pure helpers the streams rely on: key parsing, time conversion, request chunking."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from extract.base import day_ranges
from extract.google_ads.streams import AD, METRIC_DATE
from extract.hubspot.streams import chunked, to_int, to_ms


def test_google_ads_keys_parse_int64_strings_and_dates_or_give_none() -> None:
    row = {"adGroupAd": {"ad": {"id": "690123456789"}}, "segments": {"date": "2026-01-02"}}
    assert AD.read(row) == 690123456789
    assert METRIC_DATE.read(row) == date(2026, 1, 2)
    assert AD.read({"adGroupAd": {}}) is None
    assert METRIC_DATE.read({"segments": {"date": "not a date"}}) is None


def test_day_ranges_are_consecutive_and_bounded() -> None:
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(70)]
    assert day_ranges(days, 31) == [
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 3, 3)),
        (date(2026, 3, 4), date(2026, 3, 11)),
    ]
    assert day_ranges([], 31) == []


def test_hubspot_ids_and_times() -> None:
    assert to_int("8078784221") == 8078784221
    assert to_int(51) == 51
    assert to_int(None) is None
    assert to_int("abc") is None
    assert to_ms(datetime(2024, 6, 1, tzinfo=UTC)) == 1717200000000
    assert to_ms(datetime(2024, 6, 1)) == 1717200000000  # naive means UTC
    assert list(chunked(range(5), 2)) == [[0, 1], [2, 3], [4]]
