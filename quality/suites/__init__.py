"""Every suite, built by a function: raw suites keyed by ``schema.table``, mart suites by table."""

from __future__ import annotations

from collections.abc import Callable

import great_expectations as gx

from quality.suites import (
    marts,
    raw_google_ads,
    raw_hubspot,
    raw_linkedin_ads,
    raw_meta_ads,
    raw_salesforce,
)

RAW_SUITES: dict[str, Callable[[], gx.ExpectationSuite]] = {
    **raw_hubspot.SUITES,
    **raw_google_ads.SUITES,
    **raw_salesforce.SUITES,
    **raw_linkedin_ads.SUITES,
    **raw_meta_ads.SUITES,
}
MART_SUITES: dict[str, marts.MartSuite] = marts.SUITES

__all__ = ["MART_SUITES", "RAW_SUITES"]
