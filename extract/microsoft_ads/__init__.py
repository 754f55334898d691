"""Microsoft Advertising (Bing Ads API v13, REST) → ``raw_microsoft_ads``: campaigns, ad groups
and ads, and the daily campaign, ad, keyword and search query performance reports.

Cursors and grain per stream are documented in :mod:`extract.microsoft_ads.streams`.
"""

from __future__ import annotations

from extract.connector import SourceManifest
from extract.microsoft_ads.preflight import run_preflight
from extract.microsoft_ads.settings import MicrosoftAdsSettings
from extract.microsoft_ads.streams import build_streams

__all__ = ["MANIFEST", "MicrosoftAdsSettings", "build_connector"]

MANIFEST = SourceManifest(
    "microsoft_ads",
    MicrosoftAdsSettings,
    build_streams,
    run_preflight,
    "sandbox.microsoft_ads_server:MicrosoftAdsServer",
)
build_connector = MANIFEST.build_connector
