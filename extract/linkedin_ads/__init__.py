"""LinkedIn Marketing API (versioned ``/rest``) → ``raw_linkedin_ads``: ad accounts, campaigns,
creatives and daily creative analytics.

Cursors and grain per stream are documented in :mod:`extract.linkedin_ads.streams`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from extract.base import Connector, Stream
from extract.http import Sleep
from extract.linkedin_ads.client import AccessToken, LinkedInAdsClient
from extract.linkedin_ads.preflight import preflight
from extract.linkedin_ads.settings import LinkedInAdsSettings
from extract.linkedin_ads.streams import build_streams
from extract.preflight import Check

__all__ = ["LinkedInAdsConnector", "LinkedInAdsSettings", "build_connector"]


@dataclass(frozen=True)
class LinkedInAdsConnector:
    settings: LinkedInAdsSettings
    sleep: Sleep = time.sleep
    source: str = "linkedin_ads"

    def streams(self) -> list[Stream]:
        return build_streams(self.settings, sleep=self.sleep)

    def preflight(self, today: date) -> list[Check]:
        """Token (refreshed if it can be), each account, reporting access: ``thinline doctor``.
        The version is checked against ``versions.toml`` by the doctor, not here."""
        with LinkedInAdsClient(self.settings, AccessToken(self.settings), sleep=self.sleep) as api:
            return preflight(api, today)


def build_connector(settings: LinkedInAdsSettings, *, sleep: Sleep = time.sleep) -> Connector:
    """The LinkedIn Ads connector; ``sleep`` is injectable so tests never wait for real."""
    return LinkedInAdsConnector(settings, sleep=sleep)
