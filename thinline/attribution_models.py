"""The attribution models ``analytics.fct_attribution`` publishes, in the order people read
them (rule-based from first to last touch, then data-driven). The marts gate checks each one
and the report lays them out in this order; tests keep their own list, to check the code."""

from __future__ import annotations

ATTRIBUTION_MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "position_based",
    "w_shaped",
    "time_decay",
    "data_driven",
)
