"""HubSpot CRM → ``raw_hubspot``: contacts, companies, deals (and the history of their stage,
amount, close date, owner and forecast category),
owners, pipelines, associations, at a date-versioned API version (``versions.toml``).

Cursors and grain per stream are documented in :mod:`extract.hubspot.streams`; the
``thinline doctor`` checks in :mod:`extract.hubspot.preflight`.
"""

from __future__ import annotations

from extract.connector import SourceManifest
from extract.hubspot.preflight import run_preflight
from extract.hubspot.settings import HubSpotSettings
from extract.hubspot.streams import build_streams

__all__ = ["MANIFEST", "HubSpotSettings", "build_connector"]

MANIFEST = SourceManifest(
    "hubspot", HubSpotSettings, build_streams, run_preflight, "sandbox.hubspot_server:HubSpotServer"
)
build_connector = MANIFEST.build_connector
