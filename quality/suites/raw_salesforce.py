"""Suites for ``raw_salesforce``: SOQL records with native JSON numbers and booleans, dates as
``YYYY-MM-DD`` and datetimes as ``2026-03-10T12:00:00.000+0000``, keyed by the 18-character Id.

Rules 010 and 011 are the same on every table (the merge cursor and the creation time);
012 and up are per object.
"""

from __future__ import annotations

from collections.abc import Callable

import great_expectations as gx
import great_expectations.expectations as gxe

from quality.results import CRITICAL, WARNING
from quality.suites.health import CRM, Health, json_day
from quality.suites.rules import CURRENCY, LIVE, is_datetime, raw_table_expectations, rows_check

SCHEMA = "raw_salesforce"
RECORD_ID = "record->>'Id'"
DATE = r"^[0-9][0-9][0-9][0-9]-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
EMAIL = r"^[^@ ]+@[^@ ]+\.[^@ ]+$"
USER_ID = "^005[0-9A-Za-z]+$"  # a User's Id: key prefix 005


def value(name: str) -> str:
    return f"record->>'{name}'"


def jtype(name: str) -> str:
    return f"jsonb_typeof(record->'{name}')"


def build_suite(
    entity: str,
    prefix: str,
    key: str,
    expectations: list[gxe.Expectation],
    cursor: str = "SystemModstamp",
) -> gx.ExpectationSuite:
    """The raw-layout checks, the cursor and creation-time rules, then ``expectations``.

    A table whose cursor is CreatedDate (field history: no SystemModstamp) has 010 alone."""
    common = [
        *raw_table_expectations(prefix, {key: "text"}, {key: RECORD_ID}),
        datetime_rule(f"{prefix}-010", key, cursor, "the merge cursor"),
    ]
    if cursor != "CreatedDate":
        common.append(
            datetime_rule(f"{prefix}-011", key, "CreatedDate", "when the record was created")
        )
    return gx.ExpectationSuite(name=f"{SCHEMA}.{entity}", expectations=[*common, *expectations])


def datetime_rule(rule: str, key: str, name: str, meaning: str) -> gxe.UnexpectedRowsExpectation:
    text = f"coalesce({value(name)}, '')"
    return rows_check(
        rule,
        CRITICAL,
        f"{name} ({meaning}) is present and an ISO date-time",
        f"select {key}, {value(name)} as {name.lower()} from {{batch}} "
        f"where {LIVE} and not {is_datetime(text)}",
    )


def present_rule(rule: str, severity: str, key: str, *names: str) -> gxe.UnexpectedRowsExpectation:
    missing = " or ".join(f"coalesce(btrim({value(name)}), '') = ''" for name in names)
    shown = ", ".join(f"{value(name)} as {name.lower()}" for name in names)
    return rows_check(
        rule,
        severity,
        f"{' and '.join(names)} {'is' if len(names) == 1 else 'are'} present",
        f"select {key}, {shown} from {{batch}} where {LIVE} and ({missing})",
    )


def boolean_rule(rule: str, severity: str, key: str, *names: str) -> gxe.UnexpectedRowsExpectation:
    bad = " or ".join(f"{jtype(name)} is distinct from 'boolean'" for name in names)
    shown = ", ".join(f"record->'{name}' as {name.lower()}" for name in names)
    return rows_check(
        rule,
        severity,
        f"{' and '.join(names)} {'is a' if len(names) == 1 else 'are'} JSON boolean"
        + ("" if len(names) == 1 else "s"),
        f"select {key}, {shown} from {{batch}} where {LIVE} and ({bad})",
    )


def money_rules(
    prefix: str, first: int, key: str, *names: str, severity: str = CRITICAL
) -> list[gxe.UnexpectedRowsExpectation]:
    """``<first>``: each of ``names`` is a JSON number when set; ``<first + 1>``: it is >= 0."""
    shown = ", ".join(f"record->'{name}' as {name.lower()}" for name in names)
    not_number = " or ".join(f"{jtype(name)} not in ('number', 'null')" for name in names)
    negative = " or ".join(
        f"case when {jtype(name)} = 'number' then ({value(name)})::numeric end < 0"
        for name in names
    )
    label = " and ".join(names)
    return [
        rows_check(
            f"{prefix}-{first:03d}",
            severity,
            f"{label} is a JSON number when set",
            f"select {key}, {shown} from {{batch}} where {LIVE} and ({not_number})",
        ),
        rows_check(
            f"{prefix}-{first + 1:03d}",
            severity,
            f"{label} is >= 0",
            f"select {key}, {shown} from {{batch}} where {LIVE} and ({negative})",
        ),
    ]


def date_rule(
    rule: str, severity: str, key: str, name: str, *, required: bool
) -> gxe.UnexpectedRowsExpectation:
    text = f"coalesce({value(name)}, '')" if required else f"nullif({value(name)}, '')"
    return rows_check(
        rule,
        severity,
        f"{name} is {'present and ' if required else ''}a date (YYYY-MM-DD)"
        + ("" if required else " when set"),
        f"select {key}, {value(name)} as {name.lower()} from {{batch}} "
        f"where {LIVE} and {text} !~ '{DATE}'",
    )


def build_opportunities_suite() -> gx.ExpectationSuite:
    prefix, key = "SF-OPP", "opportunity_id"
    return build_suite(
        "opportunities",
        prefix,
        key,
        [
            *money_rules(prefix, 12, key, "Amount"),
            present_rule(f"{prefix}-014", CRITICAL, key, "StageName"),
            date_rule(f"{prefix}-015", CRITICAL, key, "CloseDate", required=True),
            boolean_rule(f"{prefix}-016", CRITICAL, key, "IsClosed", "IsWon"),
            rows_check(
                f"{prefix}-017",
                CRITICAL,
                "a won opportunity is closed",
                f"select {key}, record->'IsClosed' as is_closed, record->'IsWon' as is_won "
                f"from {{batch}} where {LIVE} and record->'IsWon' = 'true'::jsonb "
                "and record->'IsClosed' is distinct from 'true'::jsonb",
            ),
            rows_check(
                f"{prefix}-018",
                CRITICAL,
                "CurrencyIsoCode is a 3-letter code when set",
                f"select {key}, {value('CurrencyIsoCode')} as currency_iso_code from {{batch}} "
                f"where {LIVE} and nullif({value('CurrencyIsoCode')}, '') !~ '{CURRENCY}'",
            ),
            rows_check(
                f"{prefix}-019",
                WARNING,
                "Probability is a number in [0, 100] when set",
                f"select {key}, record->'Probability' as probability from {{batch}} "
                f"where {LIVE} and ({jtype('Probability')} not in ('number', 'null') "
                f"or case when {jtype('Probability')} = 'number' "
                f"then ({value('Probability')})::numeric not between 0 and 100 end)",
            ),
        ],
    )


def build_opportunity_histories_suite() -> gx.ExpectationSuite:
    prefix, key = "SF-OPPHIST", "opportunity_history_id"
    return build_suite(
        "opportunity_histories",
        prefix,
        key,
        [
            present_rule(f"{prefix}-012", CRITICAL, key, "OpportunityId"),
            present_rule(f"{prefix}-013", CRITICAL, key, "StageName"),
            *money_rules(prefix, 14, key, "Amount"),
            date_rule(f"{prefix}-016", WARNING, key, "CloseDate", required=False),
        ],
    )


def build_opportunity_field_histories_suite() -> gx.ExpectationSuite:
    """OpportunityFieldHistory: Thinline reads the Owner rows (two per change: DataType
    EntityId with User ids, Text with names); a change without its new value cannot say who
    owned the opportunity after it."""
    prefix, key = "SF-OPPFIELDHIST", "opportunity_field_history_id"
    return build_suite(
        "opportunity_field_histories",
        prefix,
        key,
        [
            present_rule(f"{prefix}-012", CRITICAL, key, "OpportunityId", "Field"),
            rows_check(
                f"{prefix}-013",
                WARNING,
                "an Owner change by id (DataType EntityId) names its old and new User ids",
                f"select {key}, {value('OldValue')} as old_value, "
                f"{value('NewValue')} as new_value from {{batch}} "
                f"where {LIVE} and {value('Field')} = 'Owner' "
                f"and {value('DataType')} = 'EntityId' "
                f"and (coalesce({value('OldValue')}, '') !~ '{USER_ID}' "
                f"or coalesce({value('NewValue')}, '') !~ '{USER_ID}')",
            ),
        ],
        cursor="CreatedDate",
    )


def build_leads_suite() -> gx.ExpectationSuite:
    prefix, key = "SF-LEAD", "lead_id"
    return build_suite(
        "leads",
        prefix,
        key,
        [
            boolean_rule(f"{prefix}-012", CRITICAL, key, "IsConverted"),
            rows_check(
                f"{prefix}-013",
                WARNING,
                "a converted lead names its contact and conversion date",
                f"select {key}, {value('ConvertedContactId')} as converted_contact_id, "
                f"{value('ConvertedDate')} as converted_date from {{batch}} "
                f"where {LIVE} and record->'IsConverted' = 'true'::jsonb "
                f"and (coalesce({value('ConvertedContactId')}, '') = '' "
                f"or coalesce({value('ConvertedDate')}, '') !~ '{DATE}')",
            ),
            present_rule(f"{prefix}-014", WARNING, key, "Status"),
        ],
    )


def build_contacts_suite() -> gx.ExpectationSuite:
    prefix, key = "SF-CONTACT", "contact_id"
    # The sample shows only the id: emails are personal data.
    return build_suite(
        "contacts",
        prefix,
        key,
        [
            rows_check(
                f"{prefix}-012",
                WARNING,
                "Email looks like an email address when set",
                f"select {key} from {{batch}} "
                f"where {LIVE} and nullif(btrim({value('Email')}), '') !~ '{EMAIL}'",
            ),
        ],
    )


def build_accounts_suite() -> gx.ExpectationSuite:
    prefix, key = "SF-ACCOUNT", "account_id"
    return build_suite(
        "accounts",
        prefix,
        key,
        [
            present_rule(f"{prefix}-012", CRITICAL, key, "Name"),
            rows_check(
                f"{prefix}-013",
                WARNING,
                "NumberOfEmployees is a whole number >= 0 when set",
                f"select {key}, record->'NumberOfEmployees' as number_of_employees "
                f"from {{batch}} where {LIVE} "
                f"and ({jtype('NumberOfEmployees')} not in ('number', 'null') "
                f"or ({jtype('NumberOfEmployees')} = 'number' "
                f"and {value('NumberOfEmployees')} !~ '^[0-9]+$'))",
            ),
        ],
    )


def build_users_suite() -> gx.ExpectationSuite:
    prefix, key = "SF-USER", "user_id"
    return build_suite(
        "users",
        prefix,
        key,
        [
            boolean_rule(f"{prefix}-012", CRITICAL, key, "IsActive"),
            rows_check(  # the sample shows only the id: user emails are personal data
                f"{prefix}-013",
                WARNING,
                "active users have an email",
                f"select {key} from {{batch}} where {LIVE} "
                f"and record->'IsActive' = 'true'::jsonb and coalesce({value('Email')}, '') = ''",
            ),
        ],
    )


def build_campaigns_suite() -> gx.ExpectationSuite:
    prefix, key = "SF-CAMPAIGN", "campaign_id"
    start, end = value("StartDate"), value("EndDate")
    return build_suite(
        "campaigns",
        prefix,
        key,
        [
            present_rule(f"{prefix}-012", CRITICAL, key, "Name"),
            *money_rules(prefix, 13, key, "BudgetedCost", "ActualCost", severity=WARNING),
            rows_check(
                f"{prefix}-015",
                WARNING,
                "StartDate and EndDate are dates when set, StartDate not after EndDate",
                f"select {key}, {start} as start_date, {end} as end_date from {{batch}} "
                f"where {LIVE} and (nullif({start}, '') !~ '{DATE}' "
                f"or nullif({end}, '') !~ '{DATE}' "
                f"or ({start} ~ '{DATE}' and {end} ~ '{DATE}' and {start} > {end}))",
            ),
        ],
    )


def build_campaign_members_suite() -> gx.ExpectationSuite:
    prefix, key = "SF-CAMPMEMBER", "campaign_member_id"
    return build_suite(
        "campaign_members",
        prefix,
        key,
        [
            present_rule(f"{prefix}-012", CRITICAL, key, "CampaignId"),
            rows_check(
                f"{prefix}-013",
                CRITICAL,
                "a member is a lead or a contact",
                f"select {key}, {value('LeadId')} as lead_id, {value('ContactId')} as contact_id "
                f"from {{batch}} where {LIVE} and coalesce({value('LeadId')}, '') = '' "
                f"and coalesce({value('ContactId')}, '') = ''",
            ),
            date_rule(f"{prefix}-014", WARNING, key, "FirstRespondedDate", required=False),
        ],
    )


def build_opportunity_contact_roles_suite() -> gx.ExpectationSuite:
    prefix, key = "SF-OCR", "opportunity_contact_role_id"
    return build_suite(
        "opportunity_contact_roles",
        prefix,
        key,
        [
            present_rule(f"{prefix}-012", CRITICAL, key, "OpportunityId", "ContactId"),
            boolean_rule(f"{prefix}-013", WARNING, key, "IsPrimary"),
        ],
    )


def build_organization_suite() -> gx.ExpectationSuite:
    prefix, key = "SF-ORG", "organization_id"
    currency = value("DefaultCurrencyIsoCode")
    return build_suite(
        "organization",
        prefix,
        key,
        [
            rows_check(
                f"{prefix}-012",
                CRITICAL,
                "the org is one live row (its default currency prices a single-currency org)",
                # The whole table, also on a batch-scoped night: the org is loaded only when
                # it changed, and the invariant is about the table, not the night's rows.
                f"select count(*) as live_rows from {SCHEMA}.organization where {LIVE} "
                "having count(*) <> 1",
            ),
            rows_check(
                f"{prefix}-013",
                CRITICAL,
                "DefaultCurrencyIsoCode, where present, is a three-letter ISO 4217 code",
                f"select {key}, {currency} as default_currency from {{batch}} "
                f"where {LIVE} and {currency} is not null and {currency} !~ '{CURRENCY}'",
            ),
        ],
    )


def positive_rate_rule(rule: str, key: str) -> gxe.UnexpectedRowsExpectation:
    rate = "ConversionRate"
    return rows_check(
        rule,
        CRITICAL,
        f"{rate} is a JSON number > 0 (units per 1 unit of the corporate currency)",
        f"select {key}, record->'{rate}' as conversion_rate from {{batch}} where {LIVE} "
        f"and ({jtype(rate)} is distinct from 'number' or ({value(rate)})::numeric <= 0)",
    )


def iso_code_rule(rule: str, key: str) -> gxe.UnexpectedRowsExpectation:
    return rows_check(
        rule,
        CRITICAL,
        "IsoCode is a three-letter ISO 4217 code",
        f"select {key}, {value('IsoCode')} as iso_code from {{batch}} "
        f"where {LIVE} and coalesce({value('IsoCode')}, '') !~ '{CURRENCY}'",
    )


def build_currency_types_suite() -> gx.ExpectationSuite:
    prefix, key = "SF-CURRENCY", "currency_type_id"
    return build_suite(
        "currency_types",
        prefix,
        key,
        [
            iso_code_rule(f"{prefix}-012", key),
            positive_rate_rule(f"{prefix}-013", key),
            boolean_rule(f"{prefix}-014", CRITICAL, key, "IsActive", "IsCorporate"),
            rows_check(
                f"{prefix}-015",
                CRITICAL,
                "exactly one currency is the corporate currency (when the org has any)",
                # The whole table, also on a batch-scoped night (as SF-ORG-012).
                "select count(*) filter (where record->'IsCorporate' = 'true'::jsonb) "
                f"as corporate_currencies from {SCHEMA}.currency_types where {LIVE} "
                "having count(*) > 0 "
                "and count(*) filter (where record->'IsCorporate' = 'true'::jsonb) <> 1",
            ),
        ],
    )


def build_dated_conversion_rates_suite() -> gx.ExpectationSuite:
    prefix, key = "SF-DATEDRATE", "dated_conversion_rate_id"
    start, following = value("StartDate"), value("NextStartDate")
    # NextStartDate is nillable: a range without one is open-ended.
    end = f"coalesce({following}, '9999-12-31')"
    return build_suite(
        "dated_conversion_rates",
        prefix,
        key,
        [
            iso_code_rule(f"{prefix}-012", key),
            positive_rate_rule(f"{prefix}-013", key),
            date_rule(f"{prefix}-014", CRITICAL, key, "StartDate", required=True),
            date_rule(f"{prefix}-015", CRITICAL, key, "NextStartDate", required=False),
            rows_check(
                f"{prefix}-016",
                CRITICAL,
                "StartDate is before NextStartDate",
                f"select {key}, {start} as start_date, {following} as next_start_date "
                f"from {{batch}} where {LIVE} and {start} ~ '{DATE}' and {end} ~ '{DATE}' "
                f"and {start} >= {end}",
            ),
            rows_check(
                f"{prefix}-017",
                CRITICAL,
                "the ranges of one IsoCode do not overlap",
                # The whole table: an overlap can pair a row of tonight with an older one.
                # ISO dates compare as text; malformed ones are SF-DATEDRATE-014/015's.
                "select a.dated_conversion_rate_id, b.dated_conversion_rate_id as overlapping_id, "
                "a.record->>'IsoCode' as iso_code "
                f"from {SCHEMA}.dated_conversion_rates as a "
                f"join {SCHEMA}.dated_conversion_rates as b "
                "on a.record->>'IsoCode' = b.record->>'IsoCode' "
                "and a.dated_conversion_rate_id < b.dated_conversion_rate_id "
                f"where not coalesce(a.is_deleted, false) and not coalesce(b.is_deleted, false) "
                f"and a.{start} ~ '{DATE}' and b.{start} ~ '{DATE}' "
                f"and a.{start} < coalesce(b.{following}, '9999-12-31') "
                f"and b.{start} < coalesce(a.{following}, '9999-12-31')",
            ),
        ],
    )


def build_tasks_suite() -> gx.ExpectationSuite:
    prefix, key = "SF-TASK", "task_id"
    return build_suite(
        "tasks",
        prefix,
        key,
        [
            present_rule(f"{prefix}-012", CRITICAL, key, "OwnerId"),
            date_rule(f"{prefix}-013", WARNING, key, "ActivityDate", required=False),
            *money_rules(prefix, 14, key, "CallDurationInSeconds", severity=WARNING),
            boolean_rule(f"{prefix}-016", WARNING, key, "IsClosed"),
        ],
    )


def build_events_suite() -> gx.ExpectationSuite:
    prefix, key = "SF-EVENT", "event_id"
    return build_suite(
        "events",
        prefix,
        key,
        [
            present_rule(f"{prefix}-012", CRITICAL, key, "OwnerId"),
            datetime_rule(f"{prefix}-013", key, "ActivityDateTime", "when the event starts"),
            *money_rules(prefix, 14, key, "DurationInMinutes", severity=WARNING),
        ],
    )


SUITES: dict[str, Callable[[], gx.ExpectationSuite]] = {
    f"{SCHEMA}.leads": build_leads_suite,
    f"{SCHEMA}.contacts": build_contacts_suite,
    f"{SCHEMA}.accounts": build_accounts_suite,
    f"{SCHEMA}.opportunities": build_opportunities_suite,
    f"{SCHEMA}.opportunity_histories": build_opportunity_histories_suite,
    f"{SCHEMA}.opportunity_field_histories": build_opportunity_field_histories_suite,
    f"{SCHEMA}.opportunity_contact_roles": build_opportunity_contact_roles_suite,
    f"{SCHEMA}.users": build_users_suite,
    f"{SCHEMA}.campaigns": build_campaigns_suite,
    f"{SCHEMA}.campaign_members": build_campaign_members_suite,
    f"{SCHEMA}.organization": build_organization_suite,
    f"{SCHEMA}.currency_types": build_currency_types_suite,
    f"{SCHEMA}.dated_conversion_rates": build_dated_conversion_rates_suite,
    f"{SCHEMA}.tasks": build_tasks_suite,
    f"{SCHEMA}.events": build_events_suite,
}

SF_STAMP = json_day("record->>'SystemModstamp'")
# the health rules quality/suites/health.py adds to each table's suite
HEALTH: dict[str, Health] = {
    "raw_salesforce.leads": Health("SF-LEAD", SF_STAMP, CRM),
    "raw_salesforce.contacts": Health("SF-CONTACT", SF_STAMP, CRM),
    "raw_salesforce.accounts": Health("SF-ACCOUNT", SF_STAMP, CRM),
    "raw_salesforce.opportunities": Health("SF-OPP", SF_STAMP, CRM),
    "raw_salesforce.opportunity_histories": Health("SF-OPPHIST", SF_STAMP, CRM),
    # an owner change is rare: a quiet week is no sign of a broken feed (no freshness rule)
    "raw_salesforce.opportunity_field_histories": Health(
        "SF-OPPFIELDHIST", json_day("record->>'CreatedDate'")
    ),
    "raw_salesforce.opportunity_contact_roles": Health("SF-OCR", SF_STAMP, CRM),
    "raw_salesforce.users": Health("SF-USER", SF_STAMP),
    "raw_salesforce.campaigns": Health("SF-CAMPAIGN", SF_STAMP),
    "raw_salesforce.campaign_members": Health("SF-CAMPMEMBER", SF_STAMP, CRM),
    "raw_salesforce.organization": Health("SF-ORG"),
    "raw_salesforce.currency_types": Health("SF-CURRENCY", SF_STAMP),
    "raw_salesforce.dated_conversion_rates": Health("SF-DATEDRATE", SF_STAMP),
    "raw_salesforce.tasks": Health("SF-TASK", SF_STAMP, CRM),
    # meetings are few: a week without one is no sign of a broken feed (no freshness rule)
    "raw_salesforce.events": Health("SF-EVENT", SF_STAMP),
}
