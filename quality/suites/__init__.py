"""Every suite, built by a function: raw suites keyed by ``schema.table``, collected from the
module each source's manifest names (extract/registry.py), and mart suites by table."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import great_expectations as gx

from extract.registry import manifests
from quality.suites import marts
from quality.suites.health import Health

_RAW_MODULES = [importlib.import_module(found.raw_suites) for found in manifests()]

RAW_SUITES: dict[str, Callable[[], gx.ExpectationSuite]] = {
    table: build for module in _RAW_MODULES for table, build in module.SUITES.items()
}
RAW_HEALTH: dict[str, Health] = {
    table: health for module in _RAW_MODULES for table, health in module.HEALTH.items()
}
MART_SUITES: dict[str, marts.MartSuite] = marts.SUITES

__all__ = ["MART_SUITES", "RAW_HEALTH", "RAW_SUITES"]
