"""The sources Thinline can extract, by the one name used everywhere (`raw_<name>`, task ids)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from extract import google_ads, hubspot, linkedin_ads, meta_ads, salesforce
from extract.base import Connector

SOURCES: dict[str, Callable[[Any], Connector]] = {
    "hubspot": hubspot.build_connector,
    "salesforce": salesforce.build_connector,
    "google_ads": google_ads.build_connector,
    "meta_ads": meta_ads.build_connector,
    "linkedin_ads": linkedin_ads.build_connector,
}
