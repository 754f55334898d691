"""Google Ads REST (searchStream) → ``raw_google_ads``: accounts, campaigns, daily metrics, clicks.

Cursors and grain per stream are documented in :mod:`extract.google_ads.streams`; the
pre-flight checks (``thinline doctor``) in :mod:`extract.google_ads.preflight`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from extract.base import Connector, Stream
from extract.google_ads.preflight import preflight
from extract.google_ads.settings import GoogleAdsSettings
from extract.google_ads.streams import build_streams
from extract.http import Sleep
from extract.preflight import Check

__all__ = ["GoogleAdsConnector", "GoogleAdsSettings", "build_connector"]


@dataclass(frozen=True)
class GoogleAdsConnector:
    settings: GoogleAdsSettings
    sleep: Sleep = time.sleep
    source: str = "google_ads"

    def streams(self) -> list[Stream]:
        return build_streams(self.settings, sleep=self.sleep)

    def preflight(self, today: date) -> list[Check]:
        """OAuth, API access, each account and the fields Thinline reads (one row each)."""
        return preflight(self.settings, today, sleep=self.sleep)


def build_connector(settings: GoogleAdsSettings, *, sleep: Sleep = time.sleep) -> Connector:
    """The Google Ads connector; ``sleep`` is injectable so tests never wait for real."""
    return GoogleAdsConnector(settings, sleep=sleep)
