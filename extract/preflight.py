"""Pre-flight checks (``thinline doctor``): what a source's credentials, version, accounts and
fields look like before a night's extract depends on them.

Each connector's ``preflight(today)`` returns :class:`Check` rows; :func:`guarded` turns a
failing call into a FAIL row instead of a traceback, so one broken check never hides the rest.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from extract.base import ConfigError, SourceError


class Level(enum.Enum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    """One pre-flight check of one source: what was checked, how it went, and the fix."""

    source: str
    name: str  # e.g. "api version", "token", "account 1234567890", "fields Opportunity"
    level: Level
    detail: str  # one line; never a secret
    fix: str = ""  # what to do, for WARN and FAIL

    def line(self) -> str:
        fix = f" — {self.fix}" if self.fix and self.level is not Level.OK else ""
        return f"{self.source:<13} {self.name:<28} {self.level.value:<4}  {self.detail}{fix}"


def guarded(source: str, name: str, check: Callable[[], Check | list[Check]]) -> list[Check]:
    """Run one check; a :class:`SourceError` or :class:`ConfigError` becomes its FAIL row (the
    error's text already names the setting to fix)."""
    try:
        result = check()
    except (SourceError, ConfigError) as error:
        detail, _, fix = str(error).partition(" — ")
        return [Check(source, name, Level.FAIL, detail.removeprefix(f"{source}: "), fix)]
    return result if isinstance(result, list) else [result]


def failed(checks: list[Check]) -> list[Check]:
    return [check for check in checks if check.level is Level.FAIL]
