"""HubSpot CRM v3/v4 → ``raw_hubspot``: contacts, companies, deals (and their stage history),
owners, pipelines, associations.

Cursors and grain per stream are documented in :mod:`extract.hubspot.streams`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from extract.base import Connector, Stream
from extract.http import Sleep
from extract.hubspot.settings import HubSpotSettings
from extract.hubspot.streams import build_streams

__all__ = ["HubSpotConnector", "HubSpotSettings", "build_connector"]


@dataclass(frozen=True)
class HubSpotConnector:
    settings: HubSpotSettings
    sleep: Sleep = time.sleep
    source: str = "hubspot"

    def streams(self) -> list[Stream]:
        return build_streams(self.settings, sleep=self.sleep)


def build_connector(settings: HubSpotSettings, *, sleep: Sleep = time.sleep) -> Connector:
    """The HubSpot connector; ``sleep`` is injectable so tests never wait for real."""
    return HubSpotConnector(settings, sleep=sleep)
