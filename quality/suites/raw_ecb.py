"""Suites for ``raw_ecb``: the ECB's euro reference rates, one SDMX-CSV row per currency and
day (``record`` holds the row's columns as text, as the ECB wrote them)."""

from __future__ import annotations

from collections.abc import Callable

import great_expectations as gx

from quality.results import CRITICAL, WARNING
from quality.suites.health import Health, column_day
from quality.suites.rules import CURRENCY, NUMBER, raw_table_expectations, rows_check

SCHEMA = "raw_ecb"
# A working day's rates exist by 16:00 CET; a night may read a long weekend at most.
MAX_AGE_DAYS = 5


def build_reference_rates_suite() -> gx.ExpectationSuite:
    prefix = "ECB-RATE"
    keys = {"currency_code": "text", "rate_date": "date"}
    sources = {"currency_code": "record->>'CURRENCY'", "rate_date": "record->>'TIME_PERIOD'"}
    value = "record->>'OBS_VALUE'"
    key_list = ", ".join(keys)
    return gx.ExpectationSuite(
        name=f"{SCHEMA}.reference_rates",
        expectations=[
            *raw_table_expectations(prefix, keys, sources),
            rows_check(
                f"{prefix}-010",
                CRITICAL,
                "OBS_VALUE is a positive decimal number (units of the currency per euro)",
                f"select {key_list}, {value} as obs_value from {{batch}} "
                f"where coalesce({value}, '') !~ '{NUMBER}' "
                f"or case when {value} ~ '{NUMBER}' then ({value})::numeric <= 0 end",
            ),
            rows_check(
                f"{prefix}-011",
                CRITICAL,
                "a daily spot rate against the euro (D, EUR, SP00, A) of a 3-letter currency",
                f"select {key_list}, record->>'KEY' as series_key from {{batch}} "
                f"where currency_code !~ '{CURRENCY}' or record->>'FREQ' is distinct from 'D' "
                "or record->>'CURRENCY_DENOM' is distinct from 'EUR' "
                "or record->>'EXR_TYPE' is distinct from 'SP00' "
                "or record->>'EXR_SUFFIX' is distinct from 'A'",
            ),
            rows_check(
                f"{prefix}-012",
                CRITICAL,
                "rate_date is not in the future",
                f"select {key_list} from {{batch}} "
                "where rate_date > (now() at time zone 'utc')::date",
            ),
            rows_check(
                f"{prefix}-013",
                WARNING,
                "the rate moved less than 20% from the currency's previous published rate",
                f"select {key_list}, {value} as obs_value, previous_value from ("
                f"select {key_list}, record, lag(({value})::numeric) over ("
                "partition by currency_code order by rate_date) as previous_value "
                f"from {SCHEMA}.reference_rates where {value} ~ '{NUMBER}') as rates "
                f"where ({key_list}) in (select {key_list} from {{batch}}) "
                f"and abs(({value})::numeric / nullif(previous_value, 0) - 1) > 0.2",
            ),
        ],
    )


SUITES: dict[str, Callable[[], gx.ExpectationSuite]] = {
    f"{SCHEMA}.reference_rates": build_reference_rates_suite,
}

# the health rules quality/suites/health.py adds to each table's suite
HEALTH: dict[str, Health] = {
    # the ECB's history starts 1999-01-04, so a date before the floor is only a warning
    f"{SCHEMA}.reference_rates": Health("ECB-RATE", column_day("rate_date"), MAX_AGE_DAYS),
}
