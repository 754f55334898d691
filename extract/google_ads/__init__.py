"""Google Ads REST (searchStream) → ``raw_google_ads``: accounts, campaigns, daily metrics, clicks.

Cursors and grain per stream are documented in :mod:`extract.google_ads.streams`; the
pre-flight checks (``thinline doctor``) in :mod:`extract.google_ads.preflight`.
"""

from __future__ import annotations

from extract.connector import connector_builder
from extract.google_ads.preflight import preflight
from extract.google_ads.settings import GoogleAdsSettings
from extract.google_ads.streams import build_streams

__all__ = ["GoogleAdsSettings", "build_connector"]

build_connector = connector_builder("google_ads", build_streams, preflight)
