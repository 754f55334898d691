"""Timestamps as the sources write them: epoch milliseconds inside, ISO-8601 ``…Z`` on the wire.

:func:`utc_today` is the one wall-clock read in the sandbox: a stand-in API's own calendar
(which versions a vendor serves today), never the world's data, which has its own as-of day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

DAY_MS = 86_400_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL = EPOCH.toordinal()


def day_start_ms(day: date) -> int:
    """Epoch ms of midnight UTC starting ``day``."""
    return (day.toordinal() - EPOCH_ORDINAL) * DAY_MS


def iso(ms: int) -> str:
    """HubSpot's datetime form, e.g. ``2026-01-03T13:55:47.572Z``."""
    return (EPOCH + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds")[:-6] + "Z"


def parse_ms(value: str) -> int:
    """Epoch ms from an epoch-ms string, an ISO datetime (``Z`` or offset) or an ISO date."""
    if value.lstrip("-").isdigit():
        return int(value)
    if len(value) == 10:
        return day_start_ms(date.fromisoformat(value))
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def utc_now() -> datetime:
    """Now in UTC: the moment a stand-in API answers in (e.g. Meta's timed app-secret proof)."""
    return datetime.now(UTC)


def utc_today() -> date:
    """Today in UTC: the day a stand-in API lives in, unless a test injects another."""
    return utc_now().date()
