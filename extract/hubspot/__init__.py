"""HubSpot CRM → ``raw_hubspot``: contacts, companies, deals (and their stage history),
owners, pipelines, associations, at a date-versioned API version (``versions.toml``).

Cursors and grain per stream are documented in :mod:`extract.hubspot.streams`; the
``thinline doctor`` checks in :mod:`extract.hubspot.preflight`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from extract.base import Connector, Stream
from extract.http import Sleep
from extract.hubspot.preflight import run_preflight
from extract.hubspot.settings import HubSpotSettings
from extract.hubspot.streams import build_streams
from extract.preflight import Check

__all__ = ["HubSpotConnector", "HubSpotSettings", "build_connector"]


@dataclass(frozen=True)
class HubSpotConnector:
    settings: HubSpotSettings
    sleep: Sleep = time.sleep
    source: str = "hubspot"

    def streams(self) -> list[Stream]:
        return build_streams(self.settings, sleep=self.sleep)

    def preflight(self, today: date) -> list[Check]:
        """The key works, each object is readable with its scopes, the properties are there."""
        return run_preflight(self.settings, today, sleep=self.sleep)


def build_connector(settings: HubSpotSettings, *, sleep: Sleep = time.sleep) -> Connector:
    """The HubSpot connector; ``sleep`` is injectable so tests never wait for real."""
    return HubSpotConnector(settings, sleep=sleep)
