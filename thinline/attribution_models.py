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

# The attribution scopes it publishes (column attribution_scope): contact, the touches of the
# conversion's person (a deal's primary contact); account, the touches of every person on the
# deal's buying committee (opportunity and closed_won only). Each sums to the same totals.
ATTRIBUTION_SCOPES = ("contact", "account")
