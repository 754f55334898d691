"""A source's manifest: everything Thinline needs to know about a source, declared once in its
package's ``__init__.py`` as ``MANIFEST`` and collected by :mod:`extract.registry`.

The settings (``THINLINE_<SOURCE>__*``), the connector (its streams and the pre-flight checks
of ``thinline doctor`` and of each extract task), the raw quality suites and health rules the
quality runner adds for ``raw_<source>``, and the stand-in that serves its API in tests and the
demo. dbt's side is the source's staging folder, ``models/staging/<source>/``, whose models
are enabled by ``source_enabled('<source>')``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from extract.base import Connector, Stream
from extract.http import Sleep
from extract.preflight import Check
from extract.settings import SourceSettings

# (settings, *, sleep) -> streams; (settings, today, *, sleep) -> checks
StreamsOf = Callable[..., list[Stream]]
PreflightOf = Callable[..., list[Check]]


@dataclass(frozen=True)
class SourceManifest:
    name: str  # the one name used everywhere: raw_<name>, THINLINE_<NAME>__*, task ids
    settings: type[SourceSettings]
    build_streams: StreamsOf
    run_preflight: PreflightOf
    # "module:Class" of the local server that speaks the source's API (sandbox/, tests and the
    # demo); None for a source without one
    stand_in: str | None = None
    # a module with SUITES (raw table -> suite builder) and HEALTH (raw table -> Health rules),
    # imported only by the quality runner (it imports Great Expectations);
    # default quality.suites.raw_<name>
    raw_suites: str = ""
    # "module:function" building the source's offline-conversion uploader from its settings
    # (thinline/conversions/model.py: Uploader); None for a source that takes none
    conversion_uploader: str | None = None

    def __post_init__(self) -> None:
        if not self.raw_suites:
            object.__setattr__(self, "raw_suites", f"quality.suites.raw_{self.name}")

    def build_connector(self, settings: Any, *, sleep: Sleep = time.sleep) -> Connector:
        """The connector over ``settings``; ``sleep`` is injectable (tests never wait)."""
        return SourceConnector(self.name, settings, self.build_streams, self.run_preflight, sleep)


@dataclass(frozen=True)
class SourceConnector:
    source: str
    settings: Any
    build_streams: StreamsOf
    run_preflight: PreflightOf
    sleep: Sleep = time.sleep  # injectable: tests never wait for real

    def streams(self) -> list[Stream]:
        return self.build_streams(self.settings, sleep=self.sleep)

    def preflight(self, today: date) -> list[Check]:
        return self.run_preflight(self.settings, today, sleep=self.sleep)
