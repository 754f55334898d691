"""Meta (Facebook) Marketing API → ``raw_meta_ads``: ad accounts, campaigns, daily ad insights.

Cursors and grain per stream are documented in :mod:`extract.meta_ads.streams`.
"""

from __future__ import annotations

from extract.connector import connector_builder
from extract.meta_ads.preflight import run_preflight
from extract.meta_ads.settings import MetaAdsSettings
from extract.meta_ads.streams import build_streams

__all__ = ["MetaAdsSettings", "build_connector"]

build_connector = connector_builder("meta_ads", build_streams, run_preflight)
