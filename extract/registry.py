"""The sources Thinline can extract, by the one name used everywhere (`raw_<name>`, task ids)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from extract import google_ads, hubspot
from extract.base import Connector

SOURCES: dict[str, Callable[[Any], Connector]] = {
    "hubspot": hubspot.build_connector,
    "google_ads": google_ads.build_connector,
}
