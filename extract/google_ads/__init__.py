"""Google Ads REST (searchStream) → ``raw_google_ads``: accounts, campaigns, daily metrics, clicks.

Cursors and grain per stream are documented in :mod:`extract.google_ads.streams`; the
pre-flight checks (``thinline doctor``) in :mod:`extract.google_ads.preflight`; offline
conversions sent back (``upload_conversions``) in :mod:`extract.google_ads.conversions`.
"""

from __future__ import annotations

from extract.connector import SourceManifest
from extract.google_ads.preflight import preflight
from extract.google_ads.settings import GoogleAdsSettings
from extract.google_ads.streams import build_streams

__all__ = ["MANIFEST", "GoogleAdsSettings", "build_connector"]

MANIFEST = SourceManifest(
    "google_ads",
    GoogleAdsSettings,
    build_streams,
    preflight,
    "sandbox.google_ads_server:GoogleAdsServer",
    conversion_uploader="extract.google_ads.conversions:build_uploader",
)
build_connector = MANIFEST.build_connector
