"""Salesforce REST (SOQL ``queryAll``) → ``raw_salesforce``: leads, contacts, accounts,
opportunities and their history and contact roles, users, campaigns and campaign members, and
the org's Organization row (its default currency).

Cursors and grain per stream are documented in :mod:`extract.salesforce.streams`, the fields
each query selects in :mod:`extract.salesforce.fields`, ``thinline doctor``'s checks in
:mod:`extract.salesforce.preflight`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from extract.base import Connector, Stream
from extract.http import Sleep
from extract.preflight import Check
from extract.salesforce.preflight import preflight
from extract.salesforce.settings import SalesforceSettings
from extract.salesforce.streams import build_streams

__all__ = ["SalesforceConnector", "SalesforceSettings", "build_connector"]


@dataclass(frozen=True)
class SalesforceConnector:
    settings: SalesforceSettings
    sleep: Sleep = time.sleep
    source: str = "salesforce"

    def streams(self) -> list[Stream]:
        return build_streams(self.settings, sleep=self.sleep)

    def preflight(self, today: date) -> list[Check]:
        return preflight(self.settings, today, sleep=self.sleep)


def build_connector(settings: SalesforceSettings, *, sleep: Sleep = time.sleep) -> Connector:
    """The Salesforce connector; ``sleep`` is injectable so tests never wait for real."""
    return SalesforceConnector(settings, sleep=sleep)
