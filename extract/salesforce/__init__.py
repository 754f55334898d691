"""Salesforce REST (SOQL ``queryAll``) → ``raw_salesforce``: leads, contacts, accounts,
opportunities, their history (OpportunityHistory; the owner changes of OpportunityFieldHistory)
and contact roles, users, campaigns and campaign members, and
the org's Organization row (its default currency).

Cursors and grain per stream are documented in :mod:`extract.salesforce.streams`, the fields
each query selects in :mod:`extract.salesforce.fields`, ``thinline doctor``'s checks in
:mod:`extract.salesforce.preflight`.
"""

from __future__ import annotations

from extract.connector import SourceManifest
from extract.salesforce.preflight import preflight
from extract.salesforce.settings import SalesforceSettings
from extract.salesforce.streams import build_streams

__all__ = ["MANIFEST", "SalesforceSettings", "build_connector"]

MANIFEST = SourceManifest(
    "salesforce",
    SalesforceSettings,
    build_streams,
    preflight,
    "sandbox.salesforce_server:SalesforceServer",
)
build_connector = MANIFEST.build_connector
