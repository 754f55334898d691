"""LinkedIn Marketing API (versioned ``/rest``) → ``raw_linkedin_ads``: ad accounts, campaigns,
creatives and daily creative analytics; and back to it, offline conversions
(:mod:`extract.linkedin_ads.conversions`, when ``THINLINE_LINKEDIN_ADS__UPLOAD_CONVERSIONS``).

Cursors and grain per stream are documented in :mod:`extract.linkedin_ads.streams`.
"""

from __future__ import annotations

from extract.connector import SourceManifest
from extract.linkedin_ads.preflight import run_preflight
from extract.linkedin_ads.settings import LinkedInAdsSettings
from extract.linkedin_ads.streams import build_streams

__all__ = ["MANIFEST", "LinkedInAdsSettings", "build_connector"]

MANIFEST = SourceManifest(
    "linkedin_ads",
    LinkedInAdsSettings,
    build_streams,
    run_preflight,
    "sandbox.linkedin_ads_server:LinkedInAdsServer",
    conversion_uploader="extract.linkedin_ads.conversions:build_uploader",
)
build_connector = MANIFEST.build_connector
