"""Salesforce REST (SOQL ``queryAll``) → ``raw_salesforce``: leads, contacts, accounts,
opportunities and their history and contact roles, users, campaigns and campaign members.

Cursors and grain per stream are documented in :mod:`extract.salesforce.streams`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from extract.base import Connector, Stream
from extract.http import Sleep
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


def build_connector(settings: SalesforceSettings, *, sleep: Sleep = time.sleep) -> Connector:
    """The Salesforce connector; ``sleep`` is injectable so tests never wait for real."""
    return SalesforceConnector(settings, sleep=sleep)
