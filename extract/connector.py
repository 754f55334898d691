"""The connector every source package builds from its own two functions: the streams, and the
pre-flight checks of ``thinline doctor`` (and of each extract task)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from extract.base import Connector, Stream
from extract.http import Sleep
from extract.preflight import Check

# (settings, *, sleep) -> streams; (settings, today, *, sleep) -> checks
StreamsOf = Callable[..., list[Stream]]
PreflightOf = Callable[..., list[Check]]


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


def connector_builder(
    source: str, build_streams: StreamsOf, run_preflight: PreflightOf
) -> Callable[..., Connector]:
    """A package's ``build_connector(settings, *, sleep=time.sleep)``."""

    def build_connector(settings: Any, *, sleep: Sleep = time.sleep) -> Connector:
        return SourceConnector(source, settings, build_streams, run_preflight, sleep)

    build_connector.__doc__ = f"The {source} connector; ``sleep`` is injectable."
    return build_connector
