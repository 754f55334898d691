"""Meta (Facebook) Marketing API → ``raw_meta_ads``: ad accounts, campaigns, daily ad insights.

Cursors and grain per stream are documented in :mod:`extract.meta_ads.streams`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from extract.base import Connector, Stream
from extract.http import Sleep
from extract.meta_ads.settings import MetaAdsSettings
from extract.meta_ads.streams import build_streams

__all__ = ["MetaAdsConnector", "MetaAdsSettings", "build_connector"]


@dataclass(frozen=True)
class MetaAdsConnector:
    settings: MetaAdsSettings
    sleep: Sleep = time.sleep
    source: str = "meta_ads"

    def streams(self) -> list[Stream]:
        return build_streams(self.settings, sleep=self.sleep)


def build_connector(settings: MetaAdsSettings, *, sleep: Sleep = time.sleep) -> Connector:
    """The Meta Ads connector; ``sleep`` is injectable so tests never wait for real."""
    return MetaAdsConnector(settings, sleep=sleep)
