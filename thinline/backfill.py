"""``thinline backfill``: the days of a range, and which of them a backfill has finished.

The ledger is ``<state>/runs/backfill-<start>_<end>.json``, rewritten whole after each day
(a reader never sees half of it): the same command after a failure or an interruption runs
only the days not done. A day is done once its nightly run and its report have succeeded;
running a day again is safe either way (loads merge by key, the build replaces what it
publishes), so the ledger saves time, it does not guard correctness.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from extract.base import ConfigError
from thinline.state import StateFolder

MAX_DAYS = 366  # a longer history is a first load's job (THINLINE_START_DATE), not nights'


def days_between(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end``, both included; a one-line error when the range is
    reversed or longer than :data:`MAX_DAYS`."""
    if end < start:
        raise ConfigError(f"--end {end} is before --start {start}")
    count = (end - start).days + 1
    if count > MAX_DAYS:
        raise ConfigError(
            f"{count} days from {start} to {end}: a backfill runs at most {MAX_DAYS} nights "
            "(older history is loaded by the first run from THINLINE_START_DATE)"
        )
    return [start + timedelta(days=offset) for offset in range(count)]


@dataclass
class Ledger:
    path: Path
    done: set[date] = field(default_factory=set)

    @classmethod
    def of(cls, folder: StateFolder, start: date, end: date) -> Ledger:
        path = folder.runs / f"backfill-{start}_{end}.json"
        if not path.is_file():
            return cls(path)
        try:
            days = json.loads(path.read_text(encoding="utf-8"))["done"]
            return cls(path, {date.fromisoformat(day) for day in days})
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ConfigError(
                f"unreadable backfill ledger {path} ({type(error).__name__}); delete it to run "
                "every day again"
            ) from None

    def mark_done(self, day: date) -> None:
        self.done.add(day)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.tmp")
        partial.write_text(json.dumps({"done": [str(d) for d in sorted(self.done)]}, indent=2))
        os.replace(partial, self.path)

    @staticmethod
    def describe(days: list[date] | set[date]) -> str:
        """``2026-03-01, 2026-03-02`` for a few days, a range with a count for many."""
        ordered = sorted(days)
        if len(ordered) <= 4:
            return ", ".join(str(day) for day in ordered)
        return f"{ordered[0]} … {ordered[-1]} ({len(ordered)} days)"
