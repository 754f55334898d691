"""API versions as data: each source's ``versions.toml`` lists the versions Thinline supports,
with their release and sunset dates and the vendor page each date came from.

A source's default version is the newest stable one in its file. A run (and ``thinline
doctor``) checks the configured version against the file: past its sunset is a FAIL naming
the setting; within :data:`WARN_DAYS` of it, or unknown to the file, a WARN. Moving a version
forward is a one-line edit of the file (README, "API versions").

File layout (``extract/<source>/versions.toml``)::

    checked_on = 2026-12-05          # when someone last read the vendor's pages
    setting = "api_version"          # the settings field that holds the version
    docs = "https://…"               # the vendor's version / sunset page

    [[versions]]
    version = "v26"
    released = 2026-10-14
    sunset = 2027-11-01              # omitted while the vendor says "TBD"
    stable = true                    # false for betas: never a default
    source = "https://…"             # where these dates were read
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from extract.base import ConfigError
from extract.preflight import Check, Level

WARN_DAYS = 60
EXTRACT_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class ApiVersion:
    version: str
    released: date
    sunset: date | None  # None: the vendor has not set one yet
    stable: bool
    source: str


@dataclass(frozen=True)
class VersionTable:
    source: str
    setting: str
    docs: str
    checked_on: date
    versions: tuple[ApiVersion, ...]

    @property
    def env_name(self) -> str:
        return f"THINLINE_{self.source.upper()}__{self.setting.upper()}"

    def find(self, version: str) -> ApiVersion | None:
        return next((item for item in self.versions if item.version == version), None)

    def newest_stable(self, today: date | None = None) -> ApiVersion:
        """The newest stable version released by ``today`` (default: the file's checked_on)."""
        day = today or self.checked_on
        live = [v for v in self.versions if v.stable and v.released <= day]
        if not live:
            raise ConfigError(f"{self.source}: versions.toml lists no stable version by {day}")
        return max(live, key=lambda item: item.released)

    def check(self, version: str, today: date) -> Check:
        """The configured ``version`` against the table as of ``today``: OK, WARN or FAIL."""
        newest = self.newest_stable(max(today, self.checked_on)).version
        move = f"set {self.env_name} to {newest} (newest Thinline knows; README: API versions)"
        known = self.find(version)
        if known is None:
            return Check(
                self.source,
                "api version",
                Level.WARN,
                f"{version} is not in Thinline's version table (checked {self.checked_on}); "
                f"its sunset date is unknown",
                f"{move}, or add {version} to extract/{self.source}/versions.toml",
            )
        if known.sunset is not None and known.sunset <= today:
            return Check(
                self.source,
                "api version",
                Level.FAIL,
                f"{version} was sunset on {known.sunset} ({known.source})",
                move,
            )
        if known.released > today:
            return Check(
                self.source,
                "api version",
                Level.WARN,
                f"{version} is not released until {known.released}",
                move,
            )
        if known.sunset is not None and (known.sunset - today).days <= WARN_DAYS:
            days = (known.sunset - today).days
            return Check(
                self.source,
                "api version",
                Level.WARN,
                f"{version} sunsets on {known.sunset}, in {days} days ({known.source})",
                move,
            )
        until = f"until {known.sunset}" if known.sunset else "no sunset date announced"
        return Check(self.source, "api version", Level.OK, f"{version} is live ({until})")


@functools.cache
def is_versioned(source: str) -> bool:
    """Whether ``source`` has a ``versions.toml``; an unversioned API (the ECB's) has none."""
    return (EXTRACT_DIR / source / "versions.toml").is_file()


def version_table(source: str) -> VersionTable:
    """The parsed ``extract/<source>/versions.toml``."""
    path = EXTRACT_DIR / source / "versions.toml"
    data = tomllib.loads(path.read_text())
    return VersionTable(
        source=source,
        setting=data["setting"],
        docs=data["docs"],
        checked_on=data["checked_on"],
        versions=tuple(
            ApiVersion(
                version=str(item["version"]),
                released=item["released"],
                sunset=item.get("sunset"),
                stable=item.get("stable", True),
                source=item["source"],
            )
            for item in data["versions"]
        ),
    )


def default_version(source: str) -> str:
    """The newest stable version of ``source`` as of its table's ``checked_on`` date."""
    return version_table(source).newest_stable().version
