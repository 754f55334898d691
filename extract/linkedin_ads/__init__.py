"""LinkedIn Marketing API (versioned ``/rest``) → ``raw_linkedin_ads``: ad accounts, campaigns,
creatives and daily creative analytics.

Cursors and grain per stream are documented in :mod:`extract.linkedin_ads.streams`.
"""

from __future__ import annotations

from extract.connector import connector_builder
from extract.linkedin_ads.preflight import run_preflight
from extract.linkedin_ads.settings import LinkedInAdsSettings
from extract.linkedin_ads.streams import build_streams

__all__ = ["LinkedInAdsSettings", "build_connector"]

build_connector = connector_builder("linkedin_ads", build_streams, run_preflight)
