"""Meta (Facebook) Marketing API → ``raw_meta_ads``: ad accounts, campaigns, daily ad insights.

Cursors and grain per stream are documented in :mod:`extract.meta_ads.streams`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from extract.base import Connector, Stream
from extract.http import Sleep
from extract.meta_ads.client import MetaAdsClient
from extract.meta_ads.preflight import preflight
from extract.meta_ads.settings import MetaAdsSettings
from extract.meta_ads.streams import build_streams
from extract.preflight import Check

__all__ = ["MetaAdsConnector", "MetaAdsSettings", "build_connector"]


@dataclass(frozen=True)
class MetaAdsConnector:
    settings: MetaAdsSettings
    sleep: Sleep = time.sleep
    source: str = "meta_ads"

    def streams(self) -> list[Stream]:
        return build_streams(self.settings, sleep=self.sleep)

    def preflight(self, today: date) -> list[Check]:
        """Token (and app secret proof), ``ads_read``, each ad account: ``thinline doctor``.
        The version is checked against ``versions.toml`` by the doctor, not here."""
        with MetaAdsClient(self.settings, sleep=self.sleep) as api:
            return preflight(api)


def build_connector(settings: MetaAdsSettings, *, sleep: Sleep = time.sleep) -> Connector:
    """The Meta Ads connector; ``sleep`` is injectable so tests never wait for real."""
    return MetaAdsConnector(settings, sleep=sleep)
