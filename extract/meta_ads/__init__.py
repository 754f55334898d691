"""Meta (Facebook) Marketing API → ``raw_meta_ads``: ad accounts, campaigns, ads (with
their creative's landing page and URL tags), daily ad insights. Offline conversions go back
through the Conversions API (:mod:`extract.meta_ads.conversions`).

Cursors and grain per stream are documented in :mod:`extract.meta_ads.streams`.
"""

from __future__ import annotations

from extract.connector import SourceManifest
from extract.meta_ads.preflight import run_preflight
from extract.meta_ads.settings import MetaAdsSettings
from extract.meta_ads.streams import build_streams

__all__ = ["MANIFEST", "MetaAdsSettings", "build_connector"]

MANIFEST = SourceManifest(
    "meta_ads",
    MetaAdsSettings,
    build_streams,
    run_preflight,
    "sandbox.meta_ads_server:MetaAdsServer",
    conversion_uploader="extract.meta_ads.conversions:build_uploader",
)
build_connector = MANIFEST.build_connector
