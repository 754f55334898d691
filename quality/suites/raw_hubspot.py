"""Suites for ``raw_hubspot``: CRM v3/v4 objects, every property value a string or null."""

from __future__ import annotations

import functools
from collections.abc import Callable

import great_expectations as gx
import great_expectations.expectations as gxe

from quality.results import CRITICAL, WARNING
from quality.suites.health import CRM, Health, json_day
from quality.suites.rules import (
    CURRENCY,
    ISO_DATETIME,
    LIVE,
    NUMBER,
    TOMORROW_UTC,
    day_of,
    is_datetime,
    raw_table_expectations,
    rows_check,
)

SCHEMA = "raw_hubspot"
OBJECT_ID = "record->>'id'"


def prop(name: str) -> str:
    return f"record->'properties'->>'{name}'"


def build_suite(entity: str, expectations: list[gxe.Expectation]) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name=f"{SCHEMA}.{entity}", expectations=expectations)


def datetime_rule(
    rule: str, severity: str, key: str, name: str, *, required: bool
) -> gxe.UnexpectedRowsExpectation:
    value = f"coalesce({prop(name)}, '')" if required else f"nullif({prop(name)}, '')"
    return rows_check(
        rule,
        severity,
        f"{name} is present and an ISO date-time"
        if required
        else f"{name} is an ISO date-time when set",
        f"select {key}, {prop(name)} as {name} from {{batch}} "
        f"where {LIVE} and not {is_datetime(value)}",
    )


def not_future_rule(rule: str, key: str, name: str) -> gxe.UnexpectedRowsExpectation:
    return rows_check(
        rule,
        WARNING,
        f"{name} is not more than a day in the future",
        f"select {key}, {prop(name)} as {name} from {{batch}} "
        f"where {LIVE} and {is_datetime(prop(name))} and {day_of(prop(name))} > {TOMORROW_UTC}",
    )


def build_contacts_suite() -> gx.ExpectationSuite:
    prefix, key = "HS-CONTACT", "contact_id"
    stage_date = r"^hs_lifecyclestage_[a-z]+_date$"
    stage_value = "nullif(stage_date.value, '')"
    return build_suite(
        "contacts",
        [
            *raw_table_expectations(prefix, {key: "bigint"}, {key: OBJECT_ID}),
            datetime_rule(f"{prefix}-010", CRITICAL, key, "createdate", required=True),
            not_future_rule(f"{prefix}-011", key, "createdate"),
            datetime_rule(f"{prefix}-012", CRITICAL, key, "lastmodifieddate", required=True),
            rows_check(
                f"{prefix}-013",
                WARNING,
                "lifecycle stage dates are ISO date-times",
                f"select {key}, stage_date.key as property, stage_date.value "
                "from {batch}, jsonb_each_text(case when jsonb_typeof(record->'properties') "
                "= 'object' then record->'properties' else jsonb_build_object() end) as stage_date "
                f"where {LIVE} and stage_date.key ~ '{stage_date}' "
                f"and not {is_datetime(stage_value)}",
            ),
        ],
    )


def build_companies_suite() -> gx.ExpectationSuite:
    prefix, key = "HS-COMPANY", "company_id"
    numbers = ("numberofemployees", "annualrevenue")
    bad_number = " or ".join(
        f"nullif({prop(name)}, '') !~ '{NUMBER}' "
        f"or case when {prop(name)} ~ '{NUMBER}' then ({prop(name)})::numeric end < 0"
        for name in numbers
    )
    return build_suite(
        "companies",
        [
            *raw_table_expectations(prefix, {key: "bigint"}, {key: OBJECT_ID}),
            datetime_rule(f"{prefix}-010", CRITICAL, key, "createdate", required=True),
            not_future_rule(f"{prefix}-011", key, "createdate"),
            rows_check(
                f"{prefix}-012",
                WARNING,
                "numberofemployees and annualrevenue are numbers >= 0",
                f"select {key}, {', '.join(f'{prop(n)} as {n}' for n in numbers)} "
                f"from {{batch}} where {LIVE} and ({bad_number})",
            ),
        ],
    )


def build_deals_suite() -> gx.ExpectationSuite:
    prefix, key = "HS-DEAL", "deal_id"
    amount = prop("amount")
    flags = ("hs_is_closed_won", "hs_is_closed")
    return build_suite(
        "deals",
        [
            *raw_table_expectations(prefix, {key: "bigint"}, {key: OBJECT_ID}),
            rows_check(
                f"{prefix}-010",
                CRITICAL,
                "amount is a number when set",
                f"select {key}, {amount} as amount from {{batch}} "
                f"where {LIVE} and nullif({amount}, '') !~ '{NUMBER}'",
            ),
            rows_check(
                f"{prefix}-011",
                CRITICAL,
                "amount is >= 0",
                f"select {key}, {amount} as amount from {{batch}} "
                f"where {LIVE} "
                f"and case when {amount} ~ '{NUMBER}' then ({amount})::numeric end < 0",
            ),
            datetime_rule(f"{prefix}-012", CRITICAL, key, "createdate", required=True),
            not_future_rule(f"{prefix}-013", key, "createdate"),
            rows_check(
                f"{prefix}-014",
                CRITICAL,
                "hs_is_closed_won and hs_is_closed are 'true', 'false' or null",
                f"select {key}, {', '.join(f'{prop(f)} as {f}' for f in flags)} from {{batch}} "
                f"where {LIVE} and ("
                + " or ".join(f"{prop(f)} not in ('true', 'false')" for f in flags)
                + ")",
            ),
            datetime_rule(f"{prefix}-015", WARNING, key, "closedate", required=False),
            rows_check(
                f"{prefix}-016",
                CRITICAL,
                "deal_currency_code is a 3-letter code when set",
                f"select {key}, {prop('deal_currency_code')} as deal_currency_code "
                f"from {{batch}} where {LIVE} "
                f"and nullif({prop('deal_currency_code')}, '') !~ '{CURRENCY}'",
            ),
        ],
    )


def build_owners_suite() -> gx.ExpectationSuite:
    prefix, key = "HS-OWNER", "owner_id"
    return build_suite(
        "owners",
        [
            *raw_table_expectations(prefix, {key: "bigint"}, {key: OBJECT_ID}),
            # The sample shows only the id: owner emails are personal data.
            rows_check(
                f"{prefix}-010",
                WARNING,
                "active owners have an email",
                f"select {key} from {{batch}} where {LIVE} and coalesce(record->>'email', '') = ''",
            ),
        ],
    )


def build_deal_pipelines_suite() -> gx.ExpectationSuite:
    prefix, key = "HS-PIPELINE", "pipeline_id"
    stages = (
        "case when jsonb_typeof(record->'stages') = 'array' "
        "then record->'stages' else '[]'::jsonb end"
    )
    return build_suite(
        "deal_pipelines",
        [
            *raw_table_expectations(prefix, {key: "text"}, {key: OBJECT_ID}),
            rows_check(
                f"{prefix}-010",
                CRITICAL,
                "a pipeline has a non-empty stages array",
                f"select {key}, record->'stages' as stages from {{batch}} "
                f"where {LIVE} and jsonb_array_length({stages}) = 0",
            ),
            rows_check(
                f"{prefix}-011",
                WARNING,
                "every stage has an id, isClosed 'true'/'false' and a probability in [0, 1]",
                f"select {key}, stage->>'id' as stage_id, stage->'metadata' as metadata "
                f"from {{batch}}, jsonb_array_elements({stages}) as stage "
                f"where {LIVE} and (coalesce(stage->>'id', '') = '' "
                "or coalesce(stage->'metadata'->>'isClosed', '') not in ('true', 'false') "
                f"or coalesce(stage->'metadata'->>'probability', '') !~ '{NUMBER}' "
                f"or case when stage->'metadata'->>'probability' ~ '{NUMBER}' "
                "then (stage->'metadata'->>'probability')::numeric not between 0 and 1 end)",
            ),
        ],
    )


def build_deal_contact_associations_suite() -> gx.ExpectationSuite:
    prefix = "HS-ASSOC"
    keys = {"deal_id": "bigint", "contact_id": "bigint"}
    sources = {"deal_id": "record->'from'->>'id'", "contact_id": "record->'to'->>'toObjectId'"}
    return build_suite(
        "deal_contact_associations",
        [
            *raw_table_expectations(prefix, keys, sources),
            rows_check(
                f"{prefix}-010",
                WARNING,
                "an association has at least one association type",
                "select deal_id, contact_id, record->'to'->'associationTypes' as association_types "
                f"from {{batch}} where {LIVE} "
                "and case when jsonb_typeof(record->'to'->'associationTypes') = 'array' "
                "then jsonb_array_length(record->'to'->'associationTypes') = 0 else true end",
            ),
        ],
    )


def build_deal_stage_history_suite() -> gx.ExpectationSuite:
    prefix, key = "HS-STAGEHIST", "deal_id"
    history = (
        "case when jsonb_typeof(record->'propertiesWithHistory'->'dealstage') = 'array' "
        "then record->'propertiesWithHistory'->'dealstage' else '[]'::jsonb end"
    )
    stamp = "coalesce(entry->>'timestamp', '')"
    # ISO stamps only: an epoch-ms stamp is valid but would not cast (-011 accepts both)
    newest = (
        f"(select entry->>'value' from jsonb_array_elements({history}) as entry "
        f"where {stamp} ~ '{ISO_DATETIME}' "
        f"order by ({stamp})::timestamptz desc limit 1)"
    )
    return build_suite(
        "deal_stage_history",
        [
            *raw_table_expectations(prefix, {key: "bigint"}, {key: OBJECT_ID}),
            rows_check(
                f"{prefix}-010",
                CRITICAL,
                "a deal has a non-empty dealstage history",
                f"select {key}, record->'propertiesWithHistory' as history from {{batch}} "
                f"where {LIVE} and jsonb_array_length({history}) = 0",
            ),
            rows_check(
                f"{prefix}-011",
                CRITICAL,
                "every history entry has a stage value and an ISO date-time timestamp",
                f"select {key}, entry from {{batch}}, jsonb_array_elements({history}) as entry "
                f"where {LIVE} and (coalesce(entry->>'value', '') = '' "
                f"or not {is_datetime(stamp)})",
            ),
            rows_check(
                f"{prefix}-012",
                WARNING,
                "the newest history entry is the deal's current dealstage",
                f"select {key}, {prop('dealstage')} as dealstage, {newest} as newest_entry "
                f"from {{batch}} where {LIVE} and jsonb_array_length({history}) > 0 "
                f"and {newest} is distinct from {prop('dealstage')}",
            ),
            rows_check(
                f"{prefix}-013",
                CRITICAL,
                "every amount, closedate, owner and forecast category history entry has an ISO "
                "date-time timestamp",
                "select deal_id, tracked.name as property, entry "
                f"from {history_entries(TRACKED_HISTORY)} "
                f"where {LIVE} and not {is_datetime(stamp)}",
            ),
            history_value_rule(
                f"{prefix}-014",
                CRITICAL,
                "amount",
                "every amount history value is a number when set",
                f"{{value}} !~ '{NUMBER}'",
            ),
            history_value_rule(
                f"{prefix}-015",
                WARNING,
                "closedate",
                "every closedate history value is a date-time when set",
                f"not {is_datetime('{value}')}",
            ),
            history_value_rule(
                f"{prefix}-016",
                WARNING,
                "hubspot_owner_id",
                "every hubspot_owner_id history value is a numeric owner id when set",
                "{value} !~ '^[0-9]+$'",
            ),
            history_value_rule(
                f"{prefix}-017",
                WARNING,
                "hs_manual_forecast_category",
                "every forecast category history value is one of "
                + ", ".join(FORECAST_CATEGORIES)
                + " when set",
                "{value} not in (" + ", ".join(f"'{c}'" for c in FORECAST_CATEGORIES) + ")",
            ),
        ],
    )


# The deal properties whose history deal_stage_history carries besides dealstage, and the
# forecast category's values (sandbox/hubspot_data.py says what is known of them).
TRACKED_HISTORY = ("amount", "closedate", "hubspot_owner_id", "hs_manual_forecast_category")
FORECAST_CATEGORIES = ("OMIT", "PIPELINE", "BEST_CASE", "COMMIT", "CLOSED")


def history_entries(names: tuple[str, ...]) -> str:
    """SQL FROM items: ``tracked.name`` and each ``entry`` of those properties' histories (a
    property without a history list has none)."""
    listed = ", ".join(f"('{name}')" for name in names)
    history = "record->'propertiesWithHistory'->tracked.name"
    return (
        f"{{batch}}, (values {listed}) as tracked (name), jsonb_array_elements("
        f"case when jsonb_typeof({history}) = 'array' then {history} else '[]'::jsonb end"
        ") as entry"
    )


def history_value_rule(
    rule: str, severity: str, name: str, description: str, bad_value: str
) -> gxe.UnexpectedRowsExpectation:
    """Rows of ``name``'s history entries whose set value (``value``, text) is ``bad_value``."""
    value = "nullif(btrim(entry->>'value'), '')"
    bad = bad_value.replace("{value}", value)
    return rows_check(
        rule,
        severity,
        description,
        f"select deal_id, entry from {history_entries((name,))} "
        f"where {LIVE} and {value} is not null and {bad}",
    )


def positive_number(value: str) -> str:
    """SQL true when ``value`` (text) is not a number > 0 (null included)."""
    return (
        f"(coalesce({value}, '') !~ '{NUMBER}' "
        f"or case when {value} ~ '{NUMBER}' then ({value})::numeric <= 0 end)"
    )


def build_currencies_suite() -> gx.ExpectationSuite:
    prefix, key = "HS-CURRENCY", "currency_code"
    rate = "record->'currentExchangeRate'->>'conversionRate'"
    return build_suite(
        "currencies",
        [
            *raw_table_expectations(prefix, {key: "text"}, {key: "record->>'currencyCode'"}),
            rows_check(
                f"{prefix}-010",
                CRITICAL,
                "currencyCode and the company currency's id are 3-letter codes",
                f"select {key}, record->'companyCurrency'->>'id' as company_currency "
                f"from {{batch}} where {LIVE} "
                f"and (coalesce(record->>'currencyCode', '') !~ '{CURRENCY}' "
                f"or coalesce(record->'companyCurrency'->>'id', '') !~ '{CURRENCY}')",
            ),
            rows_check(
                f"{prefix}-011",
                CRITICAL,
                "a currency other than the company currency has a current rate > 0",
                f"select {key}, {rate} as conversion_rate from {{batch}} "
                f"where {LIVE} and record->>'isCompanyCurrency' is distinct from 'true' "
                f"and {positive_number(rate)}",
            ),
        ],
    )


def build_exchange_rates_suite() -> gx.ExpectationSuite:
    prefix, key = "HS-FXRATE", "exchange_rate_id"
    codes = ("fromCurrencyCode", "toCurrencyCode")
    rate = "record->>'conversionRate'"
    listed = ", ".join(f"record->>'{code}' as {code}" for code in codes)
    return build_suite(
        "exchange_rates",
        [
            *raw_table_expectations(prefix, {key: "text"}, {key: OBJECT_ID}),
            rows_check(
                f"{prefix}-010",
                CRITICAL,
                "conversionRate is a number > 0",
                f"select {key}, record->>'conversionRate' as conversion_rate from {{batch}} "
                f"where {LIVE} and {positive_number(rate)}",
            ),
            rows_check(
                f"{prefix}-011",
                CRITICAL,
                "fromCurrencyCode and toCurrencyCode are 3-letter codes",
                f"select {key}, {listed} "
                f"from {{batch}} where {LIVE} and ("
                + " or ".join(f"coalesce(record->>'{c}', '') !~ '{CURRENCY}'" for c in codes)
                + ")",
            ),
            rows_check(
                f"{prefix}-012",
                CRITICAL,
                "effectiveAt is present and an ISO date-time",
                f"select {key}, record->>'effectiveAt' as effective_at from {{batch}} "
                f"where {LIVE} and coalesce(record->>'effectiveAt', '') !~ '{ISO_DATETIME}'",
            ),
        ],
    )


# Sales engagements: (table, rule prefix, key, the enumerated property and its values; notes
# have none)
ENGAGEMENT_ENUMS: dict[str, tuple[str, str, str | None, tuple[str, ...]]] = {
    "calls": ("HS-CALL", "call_id", "hs_call_direction", ("INBOUND", "OUTBOUND")),
    "emails": (
        "HS-EMAIL",
        "email_id",
        "hs_email_direction",
        ("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"),
    ),
    "meetings": (
        "HS-MEETING",
        "meeting_id",
        "hs_meeting_outcome",
        ("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"),
    ),
    "tasks": (
        "HS-TASK",
        "task_id",
        "hs_task_status",
        ("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"),
    ),
    "notes": ("HS-NOTE", "note_id", None, ()),
}


def build_engagement_suite(entity: str) -> gx.ExpectationSuite:
    """010-012 and 014 on every engagement table, 013 where it has an enumerated property;
    calls add 015 (hs_call_duration)."""
    prefix, key, name, values = ENGAGEMENT_ENUMS[entity]
    owner = prop("hubspot_owner_id")
    listed = ", ".join(f"'{v}'" for v in values)
    associations = "record->'associations'"
    expectations = [
        *raw_table_expectations(prefix, {key: "bigint"}, {key: OBJECT_ID}),
        datetime_rule(f"{prefix}-010", CRITICAL, key, "hs_timestamp", required=True),
        datetime_rule(f"{prefix}-011", CRITICAL, key, "hs_lastmodifieddate", required=True),
        rows_check(
            f"{prefix}-012",
            WARNING,
            "hubspot_owner_id is a number when set",
            f"select {key}, {owner} as hubspot_owner_id from {{batch}} "
            f"where {LIVE} and nullif({owner}, '') !~ '^[0-9]+$'",
        ),
        rows_check(
            f"{prefix}-014",
            WARNING,
            "associations, when present, is an object of arrays",
            f"select {key}, {associations} as associations from {{batch}} "
            f"where {LIVE} and {associations} is not null and (jsonb_typeof({associations}) "
            f"is distinct from 'object' or exists (select 1 from jsonb_each("
            f"case when jsonb_typeof({associations}) = 'object' then {associations} "
            "else jsonb_build_object() end) as linked "
            "where jsonb_typeof(linked.value) <> 'array'))",
        ),
    ]
    if name is not None:
        expectations.append(
            rows_check(
                f"{prefix}-013",
                WARNING,
                f"{name} is one of {', '.join(values)} when set",
                f"select {key}, {prop(name)} as {name} from {{batch}} "
                f"where {LIVE} and nullif({prop(name)}, '') not in ({listed})",
            )
        )
    if entity == "calls":
        duration = prop("hs_call_duration")
        expectations.append(
            rows_check(
                f"{prefix}-015",
                WARNING,
                "hs_call_duration (milliseconds) is a number >= 0 when set",
                f"select {key}, {duration} as hs_call_duration from {{batch}} "
                f"where {LIVE} and (nullif({duration}, '') !~ '{NUMBER}' "
                f"or case when {duration} ~ '{NUMBER}' then ({duration})::numeric end < 0)",
            )
        )
    return build_suite(entity, expectations)


SUITES: dict[str, Callable[[], gx.ExpectationSuite]] = {
    f"{SCHEMA}.contacts": build_contacts_suite,
    f"{SCHEMA}.companies": build_companies_suite,
    f"{SCHEMA}.deals": build_deals_suite,
    f"{SCHEMA}.owners": build_owners_suite,
    f"{SCHEMA}.deal_pipelines": build_deal_pipelines_suite,
    f"{SCHEMA}.deal_contact_associations": build_deal_contact_associations_suite,
    f"{SCHEMA}.deal_stage_history": build_deal_stage_history_suite,
    f"{SCHEMA}.currencies": build_currencies_suite,
    f"{SCHEMA}.exchange_rates": build_exchange_rates_suite,
    **{
        f"{SCHEMA}.{entity}": functools.partial(build_engagement_suite, entity)
        for entity in ENGAGEMENT_ENUMS
    },
}


def _hubspot(name: str) -> str:
    return json_day(f"record->'properties'->>'{name}'")


# the health rules quality/suites/health.py adds to each table's suite
HEALTH: dict[str, Health] = {
    "raw_hubspot.contacts": Health("HS-CONTACT", _hubspot("lastmodifieddate"), CRM),
    "raw_hubspot.companies": Health("HS-COMPANY", _hubspot("hs_lastmodifieddate"), CRM),
    "raw_hubspot.deals": Health("HS-DEAL", _hubspot("hs_lastmodifieddate"), CRM),
    "raw_hubspot.owners": Health("HS-OWNER"),
    "raw_hubspot.deal_pipelines": Health("HS-PIPELINE"),
    "raw_hubspot.deal_contact_associations": Health("HS-ASSOC"),
    "raw_hubspot.deal_stage_history": Health("HS-STAGEHIST", _hubspot("hs_lastmodifieddate"), CRM),
    "raw_hubspot.currencies": Health("HS-CURRENCY"),
    "raw_hubspot.exchange_rates": Health("HS-FXRATE"),
    **{
        # meetings are few: a week without one is no sign of a broken feed (no freshness rule)
        f"raw_hubspot.{entity}": Health(
            prefix, _hubspot("hs_lastmodifieddate"), None if entity == "meetings" else CRM
        )
        for entity, (prefix, *_) in ENGAGEMENT_ENUMS.items()
    },
}
