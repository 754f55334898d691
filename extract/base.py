"""The contract between a source connector and the loader.

A connector turns one window of a source API into :class:`RawRow` values, stream by
stream; the loader decides how those rows land in ``raw_<source>.<entity>``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from extract.preflight import Check


class SourceError(Exception):
    """A source call failed for good; the message is one line naming source and fix."""


class ConfigError(Exception):
    """Settings are missing or invalid; the message is one line naming the setting."""


def midnight(day: date) -> datetime:
    """Start of ``day`` in UTC."""
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass(frozen=True)
class Window:
    """A half-open UTC time window ``[start, end)``."""

    start: datetime
    end: datetime

    def days(self) -> list[date]:
        """Calendar days that start inside the window (``end`` exclusive)."""
        first, last = self.start.date(), self.end.date()
        if self.end.time() != datetime.min.time():
            last = last + timedelta(days=1)
        return [first + timedelta(days=offset) for offset in range((last - first).days)]


def day_ranges(days: list[date], size: int) -> list[tuple[date, date]]:
    """Consecutive ``(first, last)`` ranges of at most ``size`` days covering ``days``."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and (day - ranges[-1][0]).days < size and day - ranges[-1][1] == timedelta(1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


class LoadMode(enum.Enum):
    """How the loader lands a stream's rows."""

    # Upsert on the key; the watermark (max window end) moves with the rows.
    MERGE = "merge"
    # Delete the window's days (``day_column``) then insert: restated days replace earlier values.
    REPLACE_DAYS = "replace_days"
    # Full read every run; upsert, and flag rows the source no longer returns as deleted.
    SNAPSHOT = "snapshot"


@dataclass(frozen=True)
class RawRow:
    """One source record: typed key values (``Stream.key_columns`` order) and the whole payload."""

    keys: tuple[Any, ...]
    record: dict[str, Any]
    is_deleted: bool = False


@dataclass(frozen=True)
class Skipped:
    """Not a row: a fetch passed over ``count`` units it cannot read (days, pages), for a
    ``reason`` the loader logs and the run summary counts. Nothing skipped is lost silently."""

    reason: str
    count: int = 1


@dataclass(frozen=True)
class Stream:
    """One entity of a source, landing in ``raw_<source>.<entity>``."""

    entity: str
    key_columns: dict[str, str]  # column name -> PostgreSQL type, in key order
    load_mode: LoadMode
    fetch: Callable[[Window], Iterator[RawRow | Skipped]]
    day_column: str | None = None  # REPLACE_DAYS: the key column that holds the day
    lookback: timedelta = field(default=timedelta(0))  # re-read this much before the watermark
    # a first load reads from this day when it is before the run's history start (exchange
    # rates: every day a fact converts on needs the rate in force, however old the fact)
    history_start: date | None = None


class Connector(Protocol):
    """What every source sub-package's ``build_connector(settings)`` returns."""

    source: str

    def streams(self) -> list[Stream]: ...

    def preflight(self, today: date) -> list[Check]:
        """Pre-flight checks with the configured credentials (``thinline doctor``)."""
        ...
