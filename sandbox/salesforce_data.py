"""The synthetic company's Salesforce org: the same reps, some of the same companies and people.

The enterprise team works in Salesforce while marketing runs HubSpot, so the org mirrors the
HubSpot owners as Users (same names and emails), some HubSpot companies as Accounts (same
name and domain) and some HubSpot contacts as Contacts (same email: identity stitching has
duplicates to resolve). Leads arrive daily, some from campaigns; converted leads become a
Contact, an Account and usually an Opportunity. Opportunities move through the standard
stages, each change logged in OpportunityHistory; a few are deleted (``IsDeleted``, visible
only to ``queryAll``).

As in :mod:`sandbox.hubspot_data`, every record is planned in full on the day it starts (from
that day's seeded generator) and the org as of ``end`` is the projection of those plans.

The org also has three custom fields (:data:`CUSTOM_FIELDS`): ``Account.Tier__c`` (picklist),
``Opportunity.Region__c`` (text) and ``Lead.Lead_Score__c`` (number). Their values come from a
generator of their own per record (seeded by the record's Id), so adding them changed no other
value of the world.

The org is multi-currency with USD as its corporate currency, and keeps its own exchange rates
(:func:`build_rates`), which the admin types in from the ECB's reference rates
(:mod:`sandbox.ecb_rates`) on the first ECB day of each month, after they are published:

* ``CurrencyType``: one row per currency the org's records use (``IsoCode``, ``ConversionRate``
  = units of the currency per 1 USD, ``DecimalPlaces``, ``IsActive``, ``IsCorporate``), its rate
  the latest month's. The object reference: ConversionRate ``double``, DecimalPlaces ``int``,
  IsActive and IsCorporate ``boolean``, IsoCode ``picklist``; "This object is not available in
  single-currency organizations"; client applications cannot delete it
  (https://developer.salesforce.com/docs/atlas.en-us.192.0.api.meta/api/sforce_api_objects_currencytype.htm).
  Its fields are Id, IsoCode, ConversionRate, DecimalPlaces, IsActive, IsCorporate and the audit
  fields CreatedById, CreatedDate, LastModifiedById, LastModifiedDate, SystemModstamp (no
  IsDeleted); ConversionRate is listed with 18 digits and 6 decimals
  (https://developer.salesforce.com/docs/platform/field-reference/references/field-reference/salesforce-field-reference-currencytype.html).
* ``DatedConversionRate`` (advanced currency management, ACM): per currency, monthly ranges
  ``[StartDate, NextStartDate)``; NextStartDate is a read-only, nillable date, "effectively the
  day after the end date for this exchange rate"; supported calls include query, update and
  delete but not create; "not available in single-currency organizations, nor is it available
  if the organization does not have advanced currency management enabled"
  (https://developer.salesforce.com/docs/atlas.en-us.264.0.object_reference.meta/object_reference/sforce_api_objects_datedconversionrate.htm).
  Its fields are Id, IsoCode, ConversionRate (18 digits, 6 decimals), StartDate, NextStartDate
  and the same audit fields, no IsDeleted
  (https://developer.salesforce.com/docs/atlas.en-us.214.0.sfFieldRef.meta/sfFieldRef/salesforce_field_reference_DatedConversionRate.htm).
  When ACM is first enabled, the existing (static) rates "become the first set of dated exchange
  rates. These rates will be valid for all time, until you define another set"; with ACM off,
  conversions use the static rate (Salesforce Help as quoted in
  https://www.infallibletechie.com/2013/01/enabling-or-disabling-advanced-currency.html).
  So the first range of each currency starts at the beginning of time and the last one never
  ends: [inferred] Salesforce writes those as StartDate ``0001-01-01`` and NextStartDate
  ``9999-12-31`` (:data:`FIRST_START`, :data:`LAST_NEXT_START`; not found in the searched
  documentation). [inferred] The corporate currency has one all-time row at rate 1.
  [inferred] A range whose NextStartDate moved (a later month was added) was modified then.
* Rates are ``value_X / value_USD`` of the ECB's quotes (units per euro) on the month's first
  ECB day, kept to the 6 decimals Salesforce stores ([inferred]: rounded half up). The key
  prefixes ``02c`` and ``04w`` are [inferred].
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.clock import DAY_MS, day_start_ms
from sandbox.config import WorldConfig, poisson, rng
from sandbox.ecb_rates import published
from sandbox.hubspot_data import (
    COMPANY_KINDS,
    COMPANY_WORDS,
    FIRST_NAMES,
    LAST_NAMES,
    CrmRecord,
    HubSpotData,
    Owner,
)

# Key prefixes of the standard objects (the first three characters of every id).
KEY_PREFIXES = {
    "User": "005",
    "UserRole": "00E",
    "Account": "001",
    "Lead": "00Q",
    "Contact": "003",
    "Opportunity": "006",
    "OpportunityHistory": "008",
    "OpportunityFieldHistory": "017",  # [inferred]: the prefix every field history object shares
    "OpportunityContactRole": "00K",
    "Campaign": "701",
    "CampaignMember": "00v",
    "CurrencyType": "02c",  # [inferred]: not in the object reference
    "DatedConversionRate": "04w",  # [inferred]: not in the object reference
    "Task": "00T",
    "Event": "00U",
}
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CHECKSUM = string.ascii_uppercase + "012345"

# Queryable fields per object (a relationship field is "Relationship.Field").
_AUDIT = ("CreatedDate", "LastModifiedDate", "SystemModstamp")
FIELDS: dict[str, tuple[str, ...]] = {
    "User": (
        "Id",
        "Username",
        "Name",
        "FirstName",
        "LastName",
        "Email",
        "IsActive",
        "UserRoleId",
        "UserRole.Name",
        "ManagerId",
        "Department",
        *_AUDIT,
    ),
    "Account": (
        "Id",
        "Name",
        "Website",
        "Industry",
        "NumberOfEmployees",
        "BillingCountry",
        "OwnerId",
        "CurrencyIsoCode",
        *_AUDIT,
        "IsDeleted",
        "Tier__c",
    ),
    "Lead": (
        "Id",
        "FirstName",
        "LastName",
        "Email",
        "Company",
        "Country",
        "Status",
        "LeadSource",
        "OwnerId",
        "IsConverted",
        "ConvertedDate",
        "ConvertedAccountId",
        "ConvertedContactId",
        "ConvertedOpportunityId",
        *_AUDIT,
        "IsDeleted",
        "Lead_Score__c",
    ),
    "Contact": (
        "Id",
        "AccountId",
        "FirstName",
        "LastName",
        "Email",
        "Title",
        "LeadSource",
        "OwnerId",
        *_AUDIT,
        "IsDeleted",
    ),
    "Opportunity": (
        "Id",
        "AccountId",
        "Name",
        "Amount",
        "CurrencyIsoCode",
        "StageName",
        "Probability",
        "ForecastCategoryName",
        "CloseDate",
        "IsClosed",
        "IsWon",
        "OwnerId",
        "LeadSource",
        "CampaignId",
        "Type",
        *_AUDIT,
        "IsDeleted",
        "Region__c",
    ),
    # History rows are never edited: no LastModifiedDate.
    "OpportunityHistory": (
        "Id",
        "OpportunityId",
        "StageName",
        "Amount",
        "CloseDate",
        "Probability",
        "ForecastCategory",
        "CreatedById",
        "CreatedDate",
        "SystemModstamp",
        "IsDeleted",
    ),
    # Field history (https://developer.salesforce.com/docs/platform/field-reference/references/
    # field-reference/salesforce-field-reference-opportunityfieldhistory.html): no
    # SystemModstamp, no LastModifiedDate; rows are never edited.
    "OpportunityFieldHistory": (
        "Id",
        "OpportunityId",
        "Field",
        "DataType",
        "OldValue",
        "NewValue",
        "CreatedById",
        "CreatedDate",
        "IsDeleted",
    ),
    "OpportunityContactRole": (
        "Id",
        "OpportunityId",
        "ContactId",
        "Role",
        "IsPrimary",
        *_AUDIT,
        "IsDeleted",
    ),
    "Campaign": (
        "Id",
        "Name",
        "Type",
        "Status",
        "StartDate",
        "EndDate",
        "IsActive",
        "BudgetedCost",
        "ActualCost",
        "CurrencyIsoCode",
        "ParentId",
        *_AUDIT,
        "IsDeleted",
    ),
    "CampaignMember": (
        "Id",
        "CampaignId",
        "LeadId",
        "ContactId",
        "LeadOrContactId",
        "Status",
        "HasResponded",
        "FirstRespondedDate",
        *_AUDIT,
        "IsDeleted",
    ),
    # The exchange rates (multi-currency orgs only; see :func:`build_rates`): no IsDeleted.
    "CurrencyType": (
        "Id",
        "IsoCode",
        "ConversionRate",
        "DecimalPlaces",
        "IsActive",
        "IsCorporate",
        *_AUDIT,
    ),
    "DatedConversionRate": (
        "Id",
        "IsoCode",
        "ConversionRate",
        "StartDate",
        "NextStartDate",
        *_AUDIT,
    ),
    # Activities (https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_objects_task.htm,
    # .../sforce_api_objects_event.htm): WhoId a Lead or Contact, WhatId an Account or Opportunity.
    "Task": (
        "Id",
        "WhoId",
        "WhatId",
        "OwnerId",
        "Subject",
        "ActivityDate",
        "Status",
        "Priority",
        "IsClosed",
        "Type",
        "TaskSubtype",
        "CallType",
        "CallDurationInSeconds",
        "CallDisposition",
        "CompletedDateTime",
        *_AUDIT,
        "IsDeleted",
    ),
    "Event": (
        "Id",
        "WhoId",
        "WhatId",
        "OwnerId",
        "Subject",
        "ActivityDate",
        "ActivityDateTime",
        "StartDateTime",
        "EndDateTime",
        "DurationInMinutes",
        "Type",
        "EventSubtype",
        *_AUDIT,
        "IsDeleted",
    ),
}
RELATIONSHIPS = {("User", "UserRole"): "UserRole"}  # (object, relationship) -> related object

# The org's custom fields: (describe type, picklist values) by object and field.
TIERS = ("Strategic", "Enterprise", "Mid-Market", "SMB")
CUSTOM_FIELDS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "Account": {"Tier__c": ("picklist", TIERS)},
    "Opportunity": {"Region__c": ("string", ())},
    "Lead": {"Lead_Score__c": ("double", ())},
}
REGIONS = {"US": "North America", "EU": "EMEA"}

# Describe types of the standard fields above (Salesforce's field types, not JSON's).
FIELD_TYPES = {
    "Id": "id",
    "Email": "email",
    "Website": "url",
    "NumberOfEmployees": "int",
    "Amount": "currency",
    "BudgetedCost": "currency",
    "ActualCost": "currency",
    "Probability": "percent",
    "ConversionRate": "double",
    "OldValue": "anyType",
    "NewValue": "anyType",
    "DecimalPlaces": "int",
    "CallDurationInSeconds": "int",
    "DurationInMinutes": "int",
    **dict.fromkeys(
        ("ActivityDateTime", "StartDateTime", "EndDateTime", "CompletedDateTime"), "datetime"
    ),
    **dict.fromkeys(("CreatedDate", "LastModifiedDate", "SystemModstamp"), "datetime"),
    **dict.fromkeys(
        (
            "ConvertedDate",
            "CloseDate",
            "StartDate",
            "EndDate",
            "FirstRespondedDate",
            "NextStartDate",
            "ActivityDate",
        ),
        "date",
    ),
    **dict.fromkeys(
        (
            "Industry",
            "CurrencyIsoCode",
            "Status",
            "LeadSource",
            "StageName",
            "ForecastCategoryName",
            "ForecastCategory",
            "Type",
            "Role",
            "IsoCode",
            "Priority",
            "TaskSubtype",
            "EventSubtype",
            "CallType",
            "Field",
            "DataType",
        ),
        "picklist",
    ),
}
REFERENCES = {  # reference field -> the objects it points at
    "AccountId": ("Account",),
    "ConvertedAccountId": ("Account",),
    "ContactId": ("Contact",),
    "ConvertedContactId": ("Contact",),
    "OpportunityId": ("Opportunity",),
    "ConvertedOpportunityId": ("Opportunity",),
    "OwnerId": ("User",),
    "ManagerId": ("User",),
    "CreatedById": ("User",),
    "UserRoleId": ("UserRole",),
    "CampaignId": ("Campaign",),
    "ParentId": ("Campaign",),
    "LeadId": ("Lead",),
    "LeadOrContactId": ("Contact", "Lead"),
    "WhoId": ("Contact", "Lead"),
    "WhatId": ("Account", "Opportunity"),
}

# (stage, probability %, forecast category); the last two are closed.
OPEN_STAGES = (
    ("Prospecting", 10, "Pipeline"),
    ("Qualification", 20, "Pipeline"),
    ("Needs Analysis", 40, "Pipeline"),
    ("Proposal/Price Quote", 75, "BestCase"),
    ("Negotiation/Review", 90, "Commit"),
)
WON, LOST = ("Closed Won", 100, "Closed"), ("Closed Lost", 0, "Omitted")
FORECAST_NAMES = {
    "Pipeline": "Pipeline",
    "BestCase": "Best Case",
    "Commit": "Commit",
    "Closed": "Closed",
    "Omitted": "Omitted",
}
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
HUBSPOT_SOURCES = {  # hs_analytics_source -> LeadSource, for contacts synced from HubSpot
    "PAID_SEARCH": "Advertisement",
    "PAID_SOCIAL": "Advertisement",
    "ORGANIC_SEARCH": "Web",
    "DIRECT_TRAFFIC": "Web",
    "REFERRALS": "Partner Referral",
    "EMAIL_MARKETING": "Email",
    "OFFLINE": "Other",
}
INDUSTRIES = {
    "COMPUTER_SOFTWARE": "Technology",
    "FINANCIAL_SERVICES": "Finance",
    "RETAIL": "Retail",
    "HOSPITAL_HEALTH_CARE": "Healthcare",
    "MARKETING_AND_ADVERTISING": "Media",
    "LOGISTICS_AND_SUPPLY_CHAIN": "Transportation",
}
EU_COUNTRIES = ("Germany", "France", "Netherlands", "Spain")
ROLES = {"NA Sales": "00E5g000000NaSlEAG", "EMEA Sales": "00E5g000000EmEaEAG"}
# name, type, lead source of its members, first day (from start), days, budget (USD)
CAMPAIGNS = (
    ("Webinar - Revenue Analytics 101", "Webinar", "Webinar", 0, 45, 6000),
    ("Email - Q1 Nurture", "Email", "Email", 0, 90, 2500),
    ("Trade Show - SaaStr Europe", "Trade Show", "Trade Show", 25, 4, 28000),
    ("Google Ads - Search", "Advertisement", "Advertisement", 0, 120, 40000),
    ("LinkedIn - ABM Decision Makers", "Advertisement", "Advertisement", 30, 60, 15000),
    ("Partner - Referral Program", "Partners", "Partner Referral", 10, 150, 5000),
)
EMPLOYEES = (15, 40, 120, 400, 1500, 5000)
TITLES = ("Head of Sales", "VP Revenue", "RevOps Lead", "CFO", "Sales Director", "COO")


def sf_id(sobject: str, number: int) -> str:
    """An 18-character id: key prefix, pod, base-62 number and the case-safe checksum."""
    digits = ""
    while number:
        number, remainder = divmod(number, 62)
        digits = _BASE62[remainder] + digits
    id15 = KEY_PREFIXES[sobject] + "5g0" + digits.rjust(9, "0")
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, char in enumerate(id15[start : start + 5]) if char.isupper())
        suffix += _CHECKSUM[bits]
    return id15 + suffix


def sf_datetime(ms: int) -> str:
    """Salesforce's datetime form, e.g. ``2026-03-10T12:00:00.000+0000``."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}+0000"


def sf_date(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).date().isoformat()


@dataclass(frozen=True)
class SObject:
    """One record as of ``end``: every queryable field of its object (relationships nested)."""

    sobject: str
    record_id: str
    fields: dict[str, Any]  # JSON values; money as Decimal, dates and datetimes as strings
    created_ms: int
    modstamp_ms: int
    is_deleted: bool


@dataclass(frozen=True)
class Timeline:
    """An opportunity's plan: its fields at creation, then every change (some after ``end``)."""

    record_id: str
    created_ms: int
    base: dict[str, Any]
    events: tuple[tuple[int, dict[str, Any]], ...]  # in time order
    deleted_ms: int | None

    def as_of(self, moment_ms: int) -> dict[str, Any] | None:
        """The opportunity's fields just before ``moment_ms`` (None: not created yet)."""
        if self.created_ms >= moment_ms:
            return None
        values = dict(self.base)
        for at_ms, changes in self.events:
            if at_ms < moment_ms:
                values.update(changes)
        return values


@dataclass(frozen=True)
class SalesforceData:
    objects: dict[str, tuple[SObject, ...]]  # by object name, in id order
    # every planned opportunity created before ``end``, by Id (the truth of past pipelines)
    timelines: dict[str, Timeline] = field(default_factory=dict)
    as_of_ms: int = 0

    def of(self, sobject: str) -> tuple[SObject, ...]:
        return self.objects[sobject]

    def pipeline_as_of(self, day: date) -> list[dict[str, Any]]:
        """Every opportunity open at the end of ``day`` (UTC) and not deleted as of ``end``,
        with the values it had then, from the plan (not from the projected records).

        Nothing after ``end`` is known: a day at or after ``end`` reads the org as of ``end``."""
        moment = min(day_start_ms(day + timedelta(days=1)), self.as_of_ms)
        open_ = []
        for record_id, timeline in sorted(self.timelines.items()):
            if timeline.deleted_ms is not None and timeline.deleted_ms < self.as_of_ms:
                continue
            values = timeline.as_of(moment)
            if values is None or values["IsClosed"]:
                continue
            open_.append(
                {
                    "opportunity_id": record_id,
                    "stage": values["StageName"],
                    "amount": f"{values['Amount']:.2f}",
                    "currency": values["CurrencyIsoCode"],
                    "close_date": values["CloseDate"],
                    "owner_id": values["OwnerId"],
                    # OpportunityHistory's value (API name) and the opportunity's (label)
                    "forecast_category": _forecast_api_name(values["ForecastCategoryName"]),
                    "forecast_category_name": values["ForecastCategoryName"],
                }
            )
        return open_

    def counts(self) -> dict[str, dict[str, int]]:
        """Rows per raw table as a full ``queryAll`` extract lands them: live and deleted."""
        return {
            table: {
                "active": sum(not r.is_deleted for r in self.objects[sobject]),
                "archived": sum(r.is_deleted for r in self.objects[sobject]),
            }
            for sobject, table in RAW_TABLES.items()
        }

    def opportunity_truth(self) -> list[dict[str, Any]]:
        return [
            {
                "opportunity_id": o.record_id,
                "account_id": o.fields["AccountId"],
                "owner_id": o.fields["OwnerId"],
                "amount": f"{o.fields['Amount']:.2f}",
                "currency": o.fields["CurrencyIsoCode"],
                "stage": o.fields["StageName"],
                "is_closed": o.fields["IsClosed"],
                "is_won": o.fields["IsWon"],
                "is_deleted": o.is_deleted,
                "created_at": o.fields["CreatedDate"],
                "close_date": o.fields["CloseDate"],
                "lead_source": o.fields["LeadSource"],
                "campaign_id": o.fields["CampaignId"],
            }
            for o in self.objects["Opportunity"]
        ]

    def rates_truth(self) -> dict[str, Any]:
        """The org's own exchange rates (units per 1 corporate currency), rates as text."""
        currencies = self.objects["CurrencyType"]
        return {
            "corporate_currency": next(
                (c.fields["IsoCode"] for c in currencies if c.fields["IsCorporate"]), None
            ),
            "currency_types": [
                {
                    "currency_type_id": c.record_id,
                    "iso_code": c.fields["IsoCode"],
                    "conversion_rate": f"{c.fields['ConversionRate']:f}",
                    "decimal_places": c.fields["DecimalPlaces"],
                    "is_active": c.fields["IsActive"],
                    "is_corporate": c.fields["IsCorporate"],
                }
                for c in currencies
            ],
            "dated_conversion_rates": [
                {
                    "dated_conversion_rate_id": r.record_id,
                    "iso_code": r.fields["IsoCode"],
                    "conversion_rate": f"{r.fields['ConversionRate']:f}",
                    "start_date": r.fields["StartDate"],
                    "next_start_date": r.fields["NextStartDate"],
                }
                for r in self.objects["DatedConversionRate"]
            ],
        }


# The exchange rate objects (multi-currency orgs only) and their raw tables: apart from
# RAW_TABLES, since a single-currency org has none of them.
RATE_TABLES = {"CurrencyType": "currency_types", "DatedConversionRate": "dated_conversion_rates"}
CORPORATE_CURRENCY = "USD"
FIRST_START = "0001-01-01"  # [inferred] the StartDate of a currency's first dated range
LAST_NEXT_START = "9999-12-31"  # [inferred] the NextStartDate of its open-ended last range
RATE_PLACES = Decimal("0.000001")  # ConversionRate keeps 6 decimals
RATE_ENTRY_MS = 17 * 3_600_000  # the admin types the month's rates at 17:00 UTC (ECB: ~16:00 CET)
DECIMAL_PLACES = {"JPY": 0, "KRW": 0, "ISK": 0}  # ISO 4217 minor units; 2 otherwise
RATE_CURRENCY_OBJECTS = ("Account", "Opportunity", "Campaign")  # records with CurrencyIsoCode

RAW_TABLES = {
    "Lead": "leads",
    "Contact": "contacts",
    "Account": "accounts",
    "Opportunity": "opportunities",
    "OpportunityHistory": "opportunity_histories",
    "OpportunityFieldHistory": "opportunity_field_histories",
    "OpportunityContactRole": "opportunity_contact_roles",
    "User": "users",
    "Campaign": "campaigns",
    "CampaignMember": "campaign_members",
    "Task": "tasks",
    "Event": "events",
}


@dataclass
class _Plan:
    """A record's plan: initial fields, then timestamped changes (some after ``end``)."""

    sobject: str
    record_id: str
    created_ms: int
    base: dict[str, Any]
    events: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    deleted_ms: int | None = None
    region: str = "US"

    def project(self, as_of_ms: int) -> SObject | None:
        if self.created_ms >= as_of_ms:
            return None
        deleted = self.deleted_ms if self.deleted_ms and self.deleted_ms < as_of_ms else None
        frozen_at = deleted if deleted is not None else as_of_ms - 1
        values, last = dict(self.base), self.created_ms
        for at_ms, changes in sorted(self.events, key=lambda event: event[0]):
            if at_ms <= frozen_at:
                values.update(changes)
                last = max(last, at_ms)
        last = max(last, deleted or last)
        audit = {
            "Id": self.record_id,
            "CreatedDate": sf_datetime(self.created_ms),
            "LastModifiedDate": sf_datetime(last),
            "SystemModstamp": sf_datetime(last),
            "IsDeleted": deleted is not None,
        }
        names = FIELDS[self.sobject]
        values |= {name: value for name, value in audit.items() if name in names}
        fields = {name.split(".")[0]: values.get(name.split(".")[0]) for name in names}
        return SObject(self.sobject, self.record_id, fields, self.created_ms, last, bool(deleted))


@dataclass
class _Org:
    """Generation state carried from day to day."""

    users: list[tuple[Owner, str]]  # HubSpot owner and its User id
    plans: dict[str, list[_Plan]] = field(default_factory=lambda: {o: [] for o in FIELDS})
    numbers: dict[str, int] = field(default_factory=dict)
    accounts_by_company: dict[int, _Plan] = field(default_factory=dict)
    accounts_by_region: dict[str, list[_Plan]] = field(default_factory=lambda: {"US": [], "EU": []})
    contacts_by_account: dict[str, list[_Plan]] = field(default_factory=dict)
    emails: set[str] = field(default_factory=set)

    def new(self, sobject: str, created_ms: int, base: dict[str, Any], region: str) -> _Plan:
        self.numbers[sobject] = self.numbers.get(sobject, 0) + 1
        plan = _Plan(sobject, sf_id(sobject, 7_000 + self.numbers[sobject]), created_ms, base)
        plan.region = region
        self.plans[sobject].append(plan)
        return plan

    def owner(self, rnd: random.Random, region: str, at_ms: int, prefer: str | None = None) -> str:
        """An active rep of the region's team (one random draw, whatever the candidates)."""
        team = "EMEA Sales" if region == "EU" else "NA Sales"
        active = [
            (o, user_id)
            for o, user_id in self.users
            if o.archived_ms is None or o.archived_ms > at_ms
        ]
        draw = rnd.random()
        if prefer and any(user_id == prefer for _, user_id in active):
            return prefer
        pool = [user_id for o, user_id in active if o.team_name == team] or [u for _, u in active]
        return pool[int(draw * len(pool))]


def build_salesforce(config: WorldConfig, hubspot: HubSpotData) -> SalesforceData:
    org = _Org(users=[(o, sf_id("User", 7_000 + n)) for n, o in enumerate(hubspot.owners, 1)])
    _plan_users(org)
    campaigns = _plan_campaigns(config, org)
    companies = _by_day(hubspot.companies)
    contacts = _by_day(hubspot.contacts)
    for day in config.days():
        rnd = rng(config, "salesforce", day.isoformat())
        for company in companies.get(day, []):
            if rnd.random() < 0.5:
                _plan_mirrored_account(org, rnd, company)
        for contact in contacts.get(day, []):
            account = org.accounts_by_company.get(_int(contact.properties["associatedcompanyid"]))
            if account is not None and rnd.random() < 0.35:
                _plan_mirrored_contact(org, rnd, contact, account)
        midnight = day_start_ms(day)
        arrivals = sorted(
            midnight + rnd.randrange(DAY_MS - 1) for _ in range(poisson(rnd, 1.6 * config.scale))
        )
        for at_ms in arrivals:
            _plan_lead(org, rnd, at_ms, campaigns)
    timelines = _plan_revisions(config, org)
    as_of = config.as_of_ms
    objects = {}
    for sobject, plans in org.plans.items():
        records = ((plan, plan.project(as_of)) for plan in plans)
        custom = (_with_custom(config, plan, record) for plan, record in records if record)
        objects[sobject] = tuple(sorted(custom, key=lambda r: r.record_id))
    visible = {
        record_id: timeline
        for record_id, timeline in timelines.items()
        if timeline.created_ms < as_of
    }
    return SalesforceData(objects | build_rates(config, objects), visible, as_of)


def build_rates(
    config: WorldConfig, objects: dict[str, tuple[SObject, ...]]
) -> dict[str, tuple[SObject, ...]]:
    """CurrencyType and DatedConversionRate as of ``end``: monthly rates from the ECB's.

    The admin enabled multiple currencies (and ACM) on the first ECB day of the month before
    the world's first, and types each month's rates on its first ECB day; a month whose first
    ECB day is after ``end`` has no rates yet. Ids come from (currency, month), so a later
    ``end`` only adds ranges and moves the last one's NextStartDate."""
    currencies = sorted(
        {CORPORATE_CURRENCY}
        | {
            code
            for sobject in RATE_CURRENCY_OBJECTS
            for record in objects[sobject]
            if (code := record.fields.get("CurrencyIsoCode"))
        }
    )
    months, rates = _monthly_rates(config, currencies)
    entered = [day_start_ms(day) + RATE_ENTRY_MS for _, day in months]
    types, dated = [], []
    for code in currencies:
        corporate = code == CORPORATE_CURRENCY
        latest = len(months) - 1
        types.append(
            _rate_record(
                "CurrencyType",
                _code_number(code),
                entered[0],
                entered[0] if corporate else entered[latest],
                {
                    "IsoCode": code,
                    "ConversionRate": rates[code, latest],
                    "DecimalPlaces": DECIMAL_PLACES.get(code, 2),
                    "IsActive": True,
                    "IsCorporate": corporate,
                },
            )
        )
        for k, (first, _) in enumerate(months[:1] if corporate else months):
            last = corporate or k == latest
            dated.append(
                _rate_record(
                    "DatedConversionRate",
                    _code_number(code) * 10_000 + (first.year - 2000) * 12 + first.month,
                    entered[k],
                    entered[k] if last else entered[k + 1],
                    {
                        "IsoCode": code,
                        "ConversionRate": rates[code, k],
                        "StartDate": FIRST_START if k == 0 else first.isoformat(),
                        "NextStartDate": LAST_NEXT_START if last else months[k + 1][0].isoformat(),
                    },
                )
            )
    return {
        "CurrencyType": tuple(sorted(types, key=lambda r: r.record_id)),
        "DatedConversionRate": tuple(sorted(dated, key=lambda r: r.record_id)),
    }


def _monthly_rates(
    config: WorldConfig, currencies: list[str]
) -> tuple[list[tuple[date, date]], dict[tuple[str, int], Decimal]]:
    """(first of month, its first ECB day) per month with rates, and each currency's rate per
    month index: units per 1 corporate currency, to :data:`RATE_PLACES`."""
    setup = (config.start.replace(day=1) - timedelta(days=1)).replace(day=1)
    quoted = sorted({CORPORATE_CURRENCY, *currencies} - {"EUR"})  # the ECB quotes per euro
    per_euro: dict[date, dict[str, Decimal]] = {}
    for observation in published(setup, max(config.end, setup + timedelta(days=31)), quoted):
        per_euro.setdefault(observation.day, {})[observation.currency] = Decimal(observation.value)
    months: list[tuple[date, date]] = []
    rates: dict[tuple[str, int], Decimal] = {}
    first = setup
    while first <= config.end:
        days = [d for d in sorted(per_euro) if (d.year, d.month) == (first.year, first.month)]
        day = next((d for d in days if set(quoted) <= set(per_euro[d])), None)
        if day is None or (months and day > config.end):
            break
        usd = per_euro[day][CORPORATE_CURRENCY]
        for code in currencies:
            value = Decimal(1) if code == "EUR" else per_euro[day][code]
            rates[code, len(months)] = (value / usd).quantize(RATE_PLACES, ROUND_HALF_UP)
        months.append((first, day))
        first = (first + timedelta(days=32)).replace(day=1)
    if not months:
        raise ValueError(f"no ECB rates for {', '.join(quoted)} in the month of {setup}")
    return months, rates


def _rate_record(
    sobject: str, number: int, created_ms: int, modified_ms: int, values: dict[str, Any]
) -> SObject:
    record_id = sf_id(sobject, 7_000 + number)
    audit = {
        "CreatedDate": sf_datetime(created_ms),
        "LastModifiedDate": sf_datetime(modified_ms),
        "SystemModstamp": sf_datetime(modified_ms),
    }
    fields = {"Id": record_id, **values, **audit}
    return SObject(sobject, record_id, fields, created_ms, modified_ms, False)


def _code_number(code: str) -> int:
    """A currency code as a number (AAA = 0 … ZZZ = 17575): a stable part of its rows' ids."""
    number = 0
    for char in code:
        number = number * 26 + ord(char) - ord("A")
    return number


def _with_custom(config: WorldConfig, plan: _Plan, record: SObject) -> SObject:
    """The record with its custom fields, drawn from a generator seeded by its own Id."""
    if record.sobject not in CUSTOM_FIELDS:
        return record
    rnd = rng(config, "salesforce", "custom", record.record_id)
    values: dict[str, Any]
    if record.sobject == "Account":
        values = {"Tier__c": rnd.choice(TIERS) if rnd.random() < 0.9 else None}
    elif record.sobject == "Opportunity":
        values = {"Region__c": REGIONS[plan.region]}
    else:  # a Lead: most are scored
        values = {"Lead_Score__c": Decimal(rnd.randrange(100)) if rnd.random() < 0.85 else None}
    return replace(record, fields=record.fields | values)


def _by_day(records: tuple[CrmRecord, ...]) -> dict[date, list[CrmRecord]]:
    """HubSpot records by the day they were created (a fact no later ``end`` changes)."""
    days: dict[date, list[CrmRecord]] = {}
    for record in sorted(records, key=lambda r: (r.created_ms, r.object_id)):
        day = datetime.fromtimestamp(record.created_ms / 1000, tz=UTC).date()
        days.setdefault(day, []).append(record)
    return days


def _plan_users(org: _Org) -> None:
    managers: dict[str, str] = {}
    for owner, user_id in org.users:
        managers.setdefault(owner.team_name, user_id)
        manager = managers[owner.team_name]
        plan = _Plan(
            "User",
            user_id,
            owner.created_ms,
            {
                "Username": f"{owner.email}.thinline",
                "Name": f"{owner.first_name} {owner.last_name}",
                "FirstName": owner.first_name,
                "LastName": owner.last_name,
                "Email": owner.email,
                "IsActive": True,
                "UserRoleId": ROLES[owner.team_name],
                "UserRole": {"Id": ROLES[owner.team_name], "Name": owner.team_name},
                "ManagerId": None if manager == user_id else manager,
                "Department": "Sales",
            },
        )
        if owner.archived_ms is not None:  # the rep left: deactivated, never deleted
            plan.events.append((owner.archived_ms, {"IsActive": False}))
        org.plans["User"].append(plan)


def _plan_campaigns(config: WorldConfig, org: _Org) -> list[tuple[_Plan, str, date, date]]:
    rnd = rng(config, "salesforce", "campaigns")
    created_ms = day_start_ms(config.start) - 14 * DAY_MS
    planned = []
    for name, kind, lead_source, offset, days, budget in CAMPAIGNS:
        first = config.start + timedelta(days=offset)
        last = first + timedelta(days=days - 1)
        campaign = org.new(
            "Campaign",
            created_ms + rnd.randrange(DAY_MS),
            {
                "Name": name,
                "Type": kind,
                "Status": "Planned",
                "StartDate": first.isoformat(),
                "EndDate": last.isoformat(),
                "IsActive": True,
                "BudgetedCost": Decimal(budget),
                "ActualCost": None,
                "CurrencyIsoCode": "USD",
                "ParentId": None,
            },
            "US",
        )
        actual = (Decimal(budget) * Decimal(rnd.randrange(70, 115)) / 100).quantize(Decimal("1"))
        campaign.events += [
            (day_start_ms(first) + 3_600_000, {"Status": "In Progress"}),
            (
                day_start_ms(last + timedelta(days=1)) + 3_600_000,
                {"Status": "Completed", "IsActive": False, "ActualCost": actual},
            ),
        ]
        planned.append((campaign, lead_source, first, last))
    return planned


def _plan_mirrored_account(org: _Org, rnd: random.Random, company: CrmRecord) -> None:
    props = company.properties
    region = "EU" if props["country"] in EU_COUNTRIES else "US"
    created_ms = _later(rnd, company.created_ms, 0.1, 3)
    account = org.new(
        "Account",
        created_ms,
        {
            "Name": props["name"],
            "Website": props["domain"],
            "Industry": INDUSTRIES.get(props["industry"] or "", "Other"),
            "NumberOfEmployees": rnd.choice(EMPLOYEES),  # HubSpot's changes over time
            "BillingCountry": props["country"],
            "OwnerId": org.owner(rnd, region, created_ms),
            "CurrencyIsoCode": "EUR" if region == "EU" else "USD",
        },
        region,
    )
    org.accounts_by_company[company.object_id] = account
    org.accounts_by_region[region].append(account)


def _plan_mirrored_contact(
    org: _Org, rnd: random.Random, contact: CrmRecord, account: _Plan
) -> None:
    """A HubSpot contact synced into Salesforce: same person, same email, a new id."""
    props = contact.properties
    created_ms = _later(rnd, max(contact.created_ms, account.created_ms), 0.5, 5)
    plan = org.new(
        "Contact",
        created_ms,
        {
            "AccountId": account.record_id,
            "FirstName": props["firstname"],
            "LastName": props["lastname"],
            "Email": props["email"],
            "Title": rnd.choice(TITLES),  # HubSpot's jobtitle changes over time
            "LeadSource": HUBSPOT_SOURCES.get(props["hs_analytics_source"] or "", "Other"),
            "OwnerId": account.base["OwnerId"],
        },
        account.region,
    )
    org.contacts_by_account.setdefault(account.record_id, []).append(plan)
    if rnd.random() < 0.35:  # the rep opens an opportunity: sales-sourced pipeline
        _plan_opportunity(org, rnd, _later(rnd, created_ms, 1, 15), account, plan, None)


def _plan_lead(
    org: _Org, rnd: random.Random, at_ms: int, campaigns: list[tuple[_Plan, str, date, date]]
) -> None:
    region = "EU" if rnd.random() < 0.35 else "US"
    first = FIRST_NAMES[rnd.randrange(len(FIRST_NAMES))]
    last = LAST_NAMES[rnd.randrange(len(LAST_NAMES))]
    regional = [a for a in org.accounts_by_region[region] if a.created_ms < at_ms]
    account = regional[rnd.randrange(len(regional))] if regional and rnd.random() < 0.3 else None
    if account is not None:
        company, domain = account.base["Name"], account.base["Website"]
    else:
        company = f"{rnd.choice(COMPANY_WORDS)} {rnd.choice(COMPANY_KINDS)}"
        domain = company.lower().replace(" ", "-") + ".example"  # never a HubSpot domain
    email = _unique(org, f"{first}.{last}@{domain}".lower())
    day = datetime.fromtimestamp(at_ms / 1000, tz=UTC).date()
    running = [c for c in campaigns if c[2] <= day <= c[3]]
    campaign = running[rnd.randrange(len(running))] if running and rnd.random() < 0.5 else None
    source = campaign[1] if campaign else LEAD_SOURCES[rnd.randrange(len(LEAD_SOURCES))]
    lead = org.new(
        "Lead",
        at_ms,
        {
            "FirstName": first,
            "LastName": last,
            "Email": email,
            "Company": company,
            "Country": rnd.choice(EU_COUNTRIES) if region == "EU" else "United States",
            "Status": "Open - Not Contacted",
            "LeadSource": source,
            "OwnerId": org.owner(rnd, region, at_ms),
            "IsConverted": False,
            "ConvertedDate": None,
            "ConvertedAccountId": None,
            "ConvertedContactId": None,
            "ConvertedOpportunityId": None,
        },
        region,
    )
    member = None
    if campaign is not None:
        member = org.new(
            "CampaignMember",
            at_ms + 60_000 * rnd.randint(1, 30),
            {
                "CampaignId": campaign[0].record_id,
                "LeadId": lead.record_id,
                "ContactId": None,
                "LeadOrContactId": lead.record_id,
                "Status": "Sent",
                "HasResponded": False,
                "FirstRespondedDate": None,
            },
            region,
        )
        if rnd.random() < 0.6:
            responded = _later(rnd, member.created_ms, 0.01, 3)
            member.events.append(
                (
                    responded,
                    {
                        "Status": "Responded",
                        "HasResponded": True,
                        "FirstRespondedDate": sf_date(responded),
                    },
                )
            )
    if rnd.random() < 0.05:  # spam: deleted
        lead.deleted_ms = _later(rnd, at_ms, 0.5, 10)
        return
    contacted = _later(rnd, at_ms, 0.2, 3)
    lead.events.append((contacted, {"Status": "Working - Contacted"}))
    roll = rnd.random()
    if roll < 0.4:
        _convert(org, rnd, lead, _later(rnd, contacted, 0.5, 10), account, member, campaign)
    elif roll < 0.7:
        lead.events.append((_later(rnd, contacted, 1, 20), {"Status": "Closed - Not Converted"}))


def _convert(
    org: _Org,
    rnd: random.Random,
    lead: _Plan,
    at_ms: int,
    account: _Plan | None,
    member: _Plan | None,
    campaign: tuple[_Plan, str, date, date] | None,
) -> None:
    """Lead conversion: a Contact, the Account (new unless it matched one) and an Opportunity."""
    base = lead.base
    if account is None:
        domain = base["Email"].split("@")[1]
        account = org.new(
            "Account",
            at_ms,
            {
                "Name": base["Company"],
                "Website": domain,
                "Industry": rnd.choice(tuple(INDUSTRIES.values())),
                "NumberOfEmployees": rnd.choice(EMPLOYEES),
                "BillingCountry": base["Country"],
                "OwnerId": base["OwnerId"],
                "CurrencyIsoCode": "EUR" if lead.region == "EU" else "USD",
            },
            lead.region,
        )
        org.accounts_by_region[lead.region].append(account)
    contact = org.new(
        "Contact",
        at_ms,
        {
            "AccountId": account.record_id,
            "FirstName": base["FirstName"],
            "LastName": base["LastName"],
            "Email": base["Email"],
            "Title": rnd.choice(TITLES),
            "LeadSource": base["LeadSource"],
            "OwnerId": base["OwnerId"],
        },
        lead.region,
    )
    org.contacts_by_account.setdefault(account.record_id, []).append(contact)
    opportunity = None
    if rnd.random() < 0.8:
        campaign_id = campaign[0].record_id if campaign else None
        opportunity = _plan_opportunity(org, rnd, at_ms, account, contact, campaign_id, lead)
    lead.events.append(
        (
            at_ms,
            {
                "Status": "Closed - Converted",
                "IsConverted": True,
                "ConvertedDate": sf_date(at_ms),
                "ConvertedAccountId": account.record_id,
                "ConvertedContactId": contact.record_id,
                "ConvertedOpportunityId": opportunity.record_id if opportunity else None,
            },
        )
    )
    if member is not None:  # conversion fills the member's contact
        member.events.append((at_ms, {"ContactId": contact.record_id}))


def _plan_opportunity(
    org: _Org,
    rnd: random.Random,
    created_ms: int,
    account: _Plan,
    contact: _Plan,
    campaign_id: str | None,
    lead: _Plan | None = None,
) -> _Plan:
    list_amount = Decimal(rnd.randrange(300_000, 8_000_000)) / 100
    currency = "EUR" if account.region == "EU" and rnd.random() < 0.8 else "USD"
    plan = "Enterprise" if list_amount > 40_000 else "Growth" if list_amount > 12_000 else "Team"
    owner = org.owner(rnd, account.region, created_ms, lead.base["OwnerId"] if lead else None)
    stage, probability, forecast = OPEN_STAGES[0]
    opportunity = org.new(
        "Opportunity",
        created_ms,
        {
            "AccountId": account.record_id,
            "Name": f"{account.base['Name']} - {plan}",
            "Amount": list_amount,
            "CurrencyIsoCode": currency,
            "StageName": stage,
            "Probability": probability,
            "ForecastCategoryName": FORECAST_NAMES[forecast],
            "CloseDate": sf_date(created_ms + 45 * DAY_MS),  # expected until it closes
            "IsClosed": False,
            "IsWon": False,
            "OwnerId": owner,
            "LeadSource": (lead or contact).base["LeadSource"],
            "CampaignId": campaign_id,
            "Type": "New Business",
        },
        account.region,
    )
    role = org.new(
        "OpportunityContactRole",
        created_ms,
        {
            "OpportunityId": opportunity.record_id,
            "ContactId": contact.record_id,
            "Role": "Decision Maker",
            "IsPrimary": True,
        },
        account.region,
    )
    roles = [role]
    colleagues = [
        c
        for c in org.contacts_by_account.get(account.record_id, [])
        if c is not contact and c.created_ms < created_ms
    ]
    if colleagues and rnd.random() < 0.3:
        colleague = colleagues[rnd.randrange(len(colleagues))]
        roles.append(
            org.new(
                "OpportunityContactRole",
                created_ms + 600_000,
                {
                    "OpportunityId": opportunity.record_id,
                    "ContactId": colleague.record_id,
                    "Role": "Evaluator",
                    "IsPrimary": False,
                },
                account.region,
            )
        )
    history = [_history(org, opportunity, created_ms, opportunity.base, owner)]
    if rnd.random() < 0.04:  # entered by mistake: deleted, with its history and roles
        deleted = _later(rnd, created_ms, 0.5, 5)
        for plan_ in (opportunity, *history, *roles):
            plan_.deleted_ms = deleted
        return opportunity
    current = dict(opportunity.base)
    for at_ms, changes in _stage_path(rnd, created_ms, list_amount):
        opportunity.events.append((at_ms, changes))
        current |= changes
        history.append(_history(org, opportunity, at_ms, current, owner))
    return opportunity


def _stage_path(
    rnd: random.Random, created_ms: int, list_amount: Decimal
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Forward through the open stages; at each step the deal may be lost or stall."""
    at_ms = created_ms
    for stage in OPEN_STAGES[1:]:
        roll = rnd.random()
        if roll < 0.08:
            at_ms = _later(rnd, at_ms, 1, 8)
            yield at_ms, _stage(LOST, at_ms)
            return
        if roll < 0.15:
            return  # stalls, open for good
        at_ms = _later(rnd, at_ms, 1, 9)
        changes = _stage(stage, at_ms)
        if stage is OPEN_STAGES[-1] and rnd.random() < 0.5:  # negotiated discount
            discount = Decimal(rnd.choice((5, 10, 15, 20))) / 100
            amount = (list_amount * (1 - discount)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            changes["Amount"] = amount
        yield at_ms, changes
    at_ms = _later(rnd, at_ms, 2, 14)
    yield at_ms, _stage(WON if rnd.random() < 0.65 else LOST, at_ms)


def _stage(stage: tuple[str, int, str], at_ms: int) -> dict[str, Any]:
    name, probability, forecast = stage
    changes: dict[str, Any] = {
        "StageName": name,
        "Probability": probability,
        "ForecastCategoryName": FORECAST_NAMES[forecast],
    }
    if stage in (WON, LOST):
        changes |= {"IsClosed": True, "IsWon": stage is WON, "CloseDate": sf_date(at_ms)}
    return changes


def _history(
    org: _Org, opportunity: _Plan, at_ms: int, values: dict[str, Any], owner: str
) -> _Plan:
    """One OpportunityHistory row: the opportunity's stage, amount and close date at ``at_ms``."""
    forecast = _forecast_api_name(values["ForecastCategoryName"])
    return org.new(
        "OpportunityHistory",
        at_ms,
        {
            "OpportunityId": opportunity.record_id,
            "StageName": values["StageName"],
            "Amount": values["Amount"],
            "CloseDate": values["CloseDate"],
            "Probability": values["Probability"],
            "ForecastCategory": forecast,
            "CreatedById": owner,
        },
        opportunity.region,
    )


def _forecast_api_name(label: str) -> str:
    return next(k for k, v in FORECAST_NAMES.items() if v == label)


# Revisions of open opportunities, planted after the org is built, each kind from a generator
# of its own (seed, kind, opportunity Id), so no earlier draw, stage move, outcome, close time
# or final amount changes:
# * the expected CloseDate pushed later (once or twice) or pulled in before it arrives;
# * the Amount revised up or down while open (a closing move restores the planned final
#   amount, so closed opportunities keep theirs);
# * the ForecastCategoryName set by hand to another open category, in the same edit as a
#   close date or amount revision (a stage move sets the stage's default category again);
# * the owner reassigned to another active rep of the same team.
# OpportunityHistory "represents the history of a change to the Amount, Probability, Stage, or
# Close Date fields of an Opportunity" (https://developer.salesforce.com/docs/atlas.en-us.192.0.
# object_reference.meta/object_reference/sforce_api_objects_opportunityfieldhistory.htm), each
# row holding the values after the change; a forecast override rides on a close date or amount
# edit, so its row records it. [inferred] A hand-set category alone writes no
# OpportunityHistory row: no page found says whether it does, so the world never plants one.
# An owner change is logged in OpportunityFieldHistory (field history tracking on Owner):
# [inferred] as two rows of the same moment, Field ``Owner``, one with DataType ``EntityId``
# and the User ids as OldValue/NewValue, one with DataType ``Text`` and the users' names
# (widely reported of lookup fields' history; not found in the searched documentation).
# New rows' Ids come from their opportunity's number, so no existing Id moves.
PUSH_RATE, PULL_RATE, AMOUNT_RATE, OVERRIDE_RATE, REASSIGN_RATE = 0.35, 0.12, 0.3, 0.35, 0.1
AMOUNT_FACTORS = ("0.80", "0.90", "1.10", "1.25", "1.50")
OPEN_WINDOW_DAYS = 120  # revisions of an opportunity that never closes fall in its first days
_REVISION_NUMBER = 10_000_000  # Id numbers of planted history rows: above any sequential one


def _plan_revisions(config: WorldConfig, org: _Org) -> dict[str, Timeline]:
    """Plant the revisions above into every opportunity not deleted on creation; the
    opportunities' timelines (every planned change, in time order) by Id."""
    histories: dict[str, list[_Plan]] = {}
    for row in org.plans["OpportunityHistory"]:
        histories.setdefault(row.base["OpportunityId"], []).append(row)
    names = {user_id: f"{owner.first_name} {owner.last_name}" for owner, user_id in org.users}
    timelines = {}
    for opportunity in list(org.plans["Opportunity"]):
        if opportunity.deleted_ms is None:
            _revise(config, org, opportunity, histories[opportunity.record_id], names)
        timelines[opportunity.record_id] = Timeline(
            opportunity.record_id,
            opportunity.created_ms,
            dict(opportunity.base),
            tuple(sorted(opportunity.events, key=lambda event: event[0])),
            opportunity.deleted_ms,
        )
    return timelines


def _revise(
    config: WorldConfig,
    org: _Org,
    opportunity: _Plan,
    history: list[_Plan],
    names: dict[str, str],
) -> None:
    record_id = opportunity.record_id
    moves = sorted(opportunity.events, key=lambda event: event[0])
    closing = next((at for at, changes in moves if changes.get("IsClosed")), None)
    end_ms = closing or opportunity.created_ms + OPEN_WINDOW_DAYS * DAY_MS
    busy = {opportunity.created_ms, *(at for at, _ in moves)}

    def moment(rnd: random.Random, low: float = 0.05, high: float = 0.95) -> int | None:
        span = end_ms - opportunity.created_ms
        at_ms = opportunity.created_ms + round(span * rnd.uniform(low, high) / 1000) * 1000
        if at_ms in busy or at_ms >= end_ms:
            return None
        busy.add(at_ms)
        return at_ms

    edits: list[tuple[int, str, Any]] = []  # (moment, kind, argument)
    dates = rng(config, "salesforce", "close-date", record_id)
    if dates.random() < PUSH_RATE:
        for _ in range(1 if dates.random() < 0.6 else 2):
            if (at_ms := moment(dates)) is not None:
                edits.append((at_ms, "push", dates.randint(14, 60)))
    if dates.random() < PULL_RATE and (at_ms := moment(dates)) is not None:
        edits.append((at_ms, "pull", dates.random()))
    amounts = rng(config, "salesforce", "amount", record_id)
    if amounts.random() < AMOUNT_RATE and (at_ms := moment(amounts)) is not None:
        edits.append((at_ms, "amount", Decimal(amounts.choice(AMOUNT_FACTORS))))
    overrides = rng(config, "salesforce", "forecast-override", record_id)
    override = overrides.random() < OVERRIDE_RATE
    owners = rng(config, "salesforce", "reassignment", record_id)
    if owners.random() < REASSIGN_RATE and (at_ms := moment(owners, 0.1, 0.8)) is not None:
        edits.append((at_ms, "owner", owners.random()))
    if not edits:
        return
    final_amount = opportunity.base["Amount"]
    for _, changes in moves:
        final_amount = changes.get("Amount", final_amount)

    current = dict(opportunity.base)
    planned = iter(history[1:])  # the rows of the planned stage moves, in order
    new_events: list[tuple[int, dict[str, Any]]] = []
    rows = 0
    timeline = sorted([(at, "move", changes) for at, changes in moves] + edits, key=lambda e: e[0])
    for at_ms, kind, argument in timeline:
        if kind == "move":
            changes = dict(argument)
            if changes.get("IsClosed") and current["Amount"] != final_amount:
                changes.setdefault("Amount", final_amount)
            if changes != argument:
                argument.clear()
                argument.update(changes)
            current |= changes
            row = next(planned)
            row.base |= _history_values(current)
            continue
        if kind == "owner":
            change = _reassign(org, opportunity, current["OwnerId"], at_ms, argument, names)
            if change is not None:
                current |= change
                new_events.append((at_ms, change))
            continue
        if kind == "amount":
            amount = (current["Amount"] * argument).quantize(Decimal("0.01"), ROUND_HALF_UP)
            change = {"Amount": amount}
        else:
            expected = date.fromisoformat(current["CloseDate"])
            today = datetime.fromtimestamp(at_ms / 1000, tz=UTC).date()
            if kind == "push":
                moved = max(expected, today) + timedelta(days=argument)
            else:  # pulled in: still ahead of the edit, before the expected date
                room = (expected - today).days - 1
                if room < 2:
                    continue
                moved = today + timedelta(days=1 + int(argument * room))
            change = {"CloseDate": moved.isoformat()}
        if override:
            override = False
            label = current["ForecastCategoryName"]
            others = [FORECAST_NAMES[k] for k in ("Pipeline", "BestCase", "Commit")]
            others = [name for name in others if name != label]
            change["ForecastCategoryName"] = overrides.choice(others)
        current |= change
        new_events.append((at_ms, change))
        rows += 1
        org.plans["OpportunityHistory"].append(_history_row(opportunity, at_ms, current, rows))
    opportunity.events += new_events


def _history_values(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "StageName": values["StageName"],
        "Amount": values["Amount"],
        "CloseDate": values["CloseDate"],
        "Probability": values["Probability"],
        "ForecastCategory": _forecast_api_name(values["ForecastCategoryName"]),
        "CreatedById": values["OwnerId"],
    }


def _history_row(opportunity: _Plan, at_ms: int, values: dict[str, Any], n: int) -> _Plan:
    number = _REVISION_NUMBER + _id_number(opportunity.record_id) * 8 + n
    row = _Plan(
        "OpportunityHistory",
        sf_id("OpportunityHistory", number),
        at_ms,
        {"OpportunityId": opportunity.record_id, **_history_values(values)},
    )
    row.region = opportunity.region
    return row


def _reassign(
    org: _Org, opportunity: _Plan, owner: str, at_ms: int, draw: float, names: dict[str, str]
) -> dict[str, Any] | None:
    """Move the opportunity to another active rep of its team; log both OpportunityFieldHistory
    rows. None when the team has no one else."""
    team = "EMEA Sales" if opportunity.region == "EU" else "NA Sales"
    pool = [
        user_id
        for o, user_id in org.users
        if o.team_name == team
        and user_id != owner
        and o.created_ms < at_ms
        and (o.archived_ms is None or o.archived_ms > at_ms)
    ]
    if not pool:
        return None
    new_owner = pool[int(draw * len(pool))]
    manager = next(user_id for o, user_id in org.users if o.team_name == team)
    base_number = _id_number(opportunity.record_id) * 4
    for k, (data_type, old, new) in enumerate(
        (("EntityId", owner, new_owner), ("Text", names[owner], names[new_owner]))
    ):
        row = _Plan(
            "OpportunityFieldHistory",
            sf_id("OpportunityFieldHistory", base_number + k),
            at_ms,
            {
                "OpportunityId": opportunity.record_id,
                "Field": "Owner",
                "DataType": data_type,
                "OldValue": old,
                "NewValue": new,
                "CreatedById": manager,  # [inferred] the team's manager reassigns
            },
        )
        row.region = opportunity.region
        org.plans["OpportunityFieldHistory"].append(row)
    return {"OwnerId": new_owner}


def _unique(org: _Org, email: str) -> str:
    candidate, n = email, 1
    while candidate in org.emails:
        n += 1
        candidate = email.replace("@", f"{n}@", 1)
    org.emails.add(candidate)
    return candidate


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _later(rnd: random.Random, after_ms: int, min_days: float, max_days: float) -> int:
    return after_ms + round(rnd.uniform(min_days, max_days) * DAY_MS)


# Salesforce activities: each lead's touches (:mod:`sandbox.activities`) as Tasks (calls,
# emails, follow-up to-dos; TaskSubtype Call/Email/Task, CallType Outbound) and Events
# (meetings, EventSubtype Event). The object reference: TaskSubtype and EventSubtype are
# picklists set on create, CallDurationInSeconds an int, CallDisposition a free string, Status
# ``Not Started``/``Completed``, ActivityDate a date (a task's due date), ActivityDateTime an
# event's start (https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_objects_task.htm,
# https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_objects_event.htm,
# https://developer.salesforce.com/docs/atlas.en-us.196.0.sfFieldRef.meta/sfFieldRef/salesforce_field_reference_Task.htm).
# Converting a lead moves its activities' WhoId to the new Contact (their SystemModstamp moves
# to the conversion); deleting a lead deletes its activities, deleting an opportunity its
# events (IsDeleted, queryAll only).
# [inferred] Salesforce's email integrations log the rep's sent emails: the lead's inbound
# replies are not logged in Salesforce.
SF_CALL_DISPOSITIONS = {
    "connected": "Connected",
    "no_answer": "No Answer",
    "voicemail": "Left Voicemail",
    "busy": "Busy",
}
SF_MEETING_SUBJECTS = {"completed": "Discovery meeting", "no_show": "Discovery meeting (no show)"}


def build_salesforce_activities(
    config: WorldConfig, data: SalesforceData
) -> tuple[dict[str, tuple[SObject, ...]], dict[str, Any]]:
    """Tasks and Events of the org's leads, and the planted truth; drawn from generators of
    their own after the org is built, so no other record changes."""
    from sandbox.activities import LeadOutcome, habit_truth, plan_habit, plan_lead, sla_truth

    as_of = config.as_of_ms
    teams = {u.record_id: (u.fields.get("UserRole") or {}).get("Name") for u in data.of("User")}
    habits = {
        user_id: plan_habit(config, "salesforce", user_id, team, slow=n % 3 == 2)
        for n, (user_id, team) in enumerate(sorted(teams.items()))
        if team
    }
    created = {
        r.record_id: r.created_ms
        for sobject in ("Contact", "Opportunity")
        for r in data.of(sobject)
    }
    # deleting a record deletes the activities related to it: an opportunity its events
    opportunity_deleted = {
        r.record_id: r.modstamp_ms for r in data.of("Opportunity") if r.is_deleted
    }
    tasks: list[SObject] = []
    events: list[SObject] = []
    plans = []
    deleted_first: set[str] = set()  # leads whose first outbound touch is deleted as of end
    deleted_leads: set[str] = set()
    first_live: dict[str, int] = {}  # each lead's first logged, undeleted outbound touch
    for lead in data.of("Lead"):
        owner = lead.fields["OwnerId"]
        if owner not in habits:
            continue
        opportunity = lead.fields.get("ConvertedOpportunityId")
        plan = plan_lead(
            config,
            "salesforce",
            lead.record_id,
            lead.created_ms,
            habits[owner],
            created.get(opportunity) if opportunity else None,
        )
        contact = lead.fields.get("ConvertedContactId")
        moved_ms = created.get(contact) if contact else None
        deleted_ms = lead.modstamp_ms if lead.is_deleted else None
        if (
            deleted_ms is not None
            and plan.first_outbound_ms
            and plan.first_outbound_ms >= deleted_ms
        ):
            plan = replace(plan, first_outbound_ms=None, business_hours=None)
        plans.append(plan)
        if lead.is_deleted:
            deleted_leads.add(lead.record_id)
        number = _id_number(lead.record_id) * 100
        for touch in plan.touches:
            if touch.direction == "inbound":
                continue
            gone_ms = deleted_ms
            if touch.kind == "meeting" and opportunity in opportunity_deleted:
                gone_ms = min(filter(None, (deleted_ms, opportunity_deleted[opportunity])))
            record = _activity(touch, lead, number, contact, moved_ms, gone_ms, as_of)
            if record is not None:
                (events if record.sobject == "Event" else tasks).append(record)
                if record.is_deleted and touch.sequence == 0:
                    deleted_first.add(lead.record_id)
                if not record.is_deleted and touch.direction == "outbound":
                    first_live[lead.record_id] = min(
                        first_live.get(lead.record_id, touch.at_ms), touch.at_ms
                    )
    visible = [
        p
        if p.first_outbound_ms is None or p.first_outbound_ms < as_of
        else replace(p, first_outbound_ms=None, business_hours=None)
        for p in plans
    ]
    outcomes = [
        LeadOutcome(p.owner_id, p.arrived_ms, first_live.get(p.lead_id), p.lead_id in deleted_leads)
        for p in plans
    ]
    truth = {
        "rep_response_habits": habit_truth(list(habits.values()), visible),
        "rep_sla_breaches": sla_truth(list(habits.values()), outcomes, as_of),
        "lead_first_outbound": [
            {
                "crm": "salesforce",
                "lead_id": p.lead_id,
                "owner_id": p.owner_id,
                "arrived_at": sf_datetime(p.arrived_ms),
                "first_outbound_at": sf_datetime(p.first_outbound_ms)
                if p.first_outbound_ms
                else None,
                "business_hours": p.business_hours,
                # deleted by mistake or with its lead: queryAll alone still shows it
                "first_outbound_deleted": p.lead_id in deleted_first,
                "lead_deleted": p.lead_id in deleted_leads,
                # what the published tables show: the first outbound touch not deleted
                "first_live_outbound_at": (
                    sf_datetime(first_live[p.lead_id]) if p.lead_id in first_live else None
                ),
            }
            for p in visible
        ],
    }
    objects = {
        "Task": tuple(sorted(tasks, key=lambda r: r.record_id)),
        "Event": tuple(sorted(events, key=lambda r: r.record_id)),
    }
    return objects, truth


def _activity(
    touch: Any,
    lead: SObject,
    number: int,
    contact: str | None,
    moved_ms: int | None,
    deleted_ms: int | None,
    as_of_ms: int,
) -> SObject | None:
    """One touch as the Task or Event the org holds as of ``as_of_ms`` (None: not yet)."""
    meeting = touch.kind == "meeting"
    sobject = "Event" if meeting else "Task"
    created = touch.at_ms - (2 * DAY_MS if meeting else DAY_MS if touch.kind == "task" else 0)
    gone = deleted_ms is not None and created >= deleted_ms
    if created >= as_of_ms or gone:
        return None
    record_id = sf_id(sobject, number + touch.sequence)
    fields: dict[str, Any] = {"OwnerId": touch.owner_id, "WhatId": None}
    changes: list[tuple[int, dict[str, Any]]] = []
    if meeting:
        end_ms = touch.at_ms + touch.duration_ms
        fields |= {
            "Subject": "Discovery meeting",
            "ActivityDate": sf_date(touch.at_ms),
            "ActivityDateTime": sf_datetime(touch.at_ms),
            "StartDateTime": sf_datetime(touch.at_ms),
            "EndDateTime": sf_datetime(end_ms),
            "DurationInMinutes": touch.duration_ms // 60_000,
            "Type": "Meeting",
            "EventSubtype": "Event",
            "WhatId": lead.fields.get("ConvertedOpportunityId"),
        }
        if touch.outcome != "completed":
            changes.append(
                (end_ms, {"Subject": SF_MEETING_SUBJECTS.get(touch.outcome, "Rescheduled meeting")})
            )
    elif touch.kind == "call":
        fields |= {
            "Subject": "Call",
            "ActivityDate": sf_date(touch.at_ms),
            "Status": "Completed",
            "Priority": "Normal",
            "IsClosed": True,
            "Type": "Call",
            "TaskSubtype": "Call",
            "CallType": "Outbound",
            "CallDurationInSeconds": touch.duration_ms // 1000,
            "CallDisposition": SF_CALL_DISPOSITIONS[touch.outcome],
            "CompletedDateTime": sf_datetime(touch.at_ms),
        }
    elif touch.kind == "email":
        fields |= {
            "Subject": "Email: Following up on your request",
            "ActivityDate": sf_date(touch.at_ms),
            "Status": "Completed",
            "Priority": "Normal",
            "IsClosed": True,
            "Type": "Email",
            "TaskSubtype": "Email",
            "CompletedDateTime": sf_datetime(touch.at_ms),
        }
    else:
        fields |= {
            "Subject": "Follow up",
            "ActivityDate": sf_date(touch.at_ms),
            "Status": "Not Started",
            "Priority": "Normal",
            "IsClosed": False,
            "Type": "Other",
            "TaskSubtype": "Task",
            "CompletedDateTime": None,
        }
        if touch.completed_ms is not None:
            stamp = sf_datetime(touch.completed_ms)
            changes.append(
                (
                    touch.completed_ms,
                    {"Status": "Completed", "IsClosed": True, "CompletedDateTime": stamp},
                )
            )
    archived = touch.archived_ms
    if deleted_ms is not None and (archived is None or deleted_ms < archived):
        archived = deleted_ms
    if archived is not None and archived >= as_of_ms:
        archived = None
    frozen = archived if archived is not None else as_of_ms - 1
    who = lead.record_id
    if contact and moved_ms is not None:
        changes.append((max(moved_ms, created), {"WhoId": contact}))
    fields["WhoId"] = who
    last = created
    for at_ms, change in sorted(changes, key=lambda item: item[0]):
        if at_ms <= frozen:
            fields |= change
            last = max(last, at_ms)
    last = max(last, archived or last)
    values = {name: fields.get(name) for name in FIELDS[sobject]}
    values |= {
        "Id": record_id,
        "CreatedDate": sf_datetime(created),
        "LastModifiedDate": sf_datetime(last),
        "SystemModstamp": sf_datetime(last),
        "IsDeleted": archived is not None,
    }
    return SObject(sobject, record_id, values, created, last, archived is not None)


def _id_number(record_id: str) -> int:
    """The base-62 number inside an id :func:`sf_id` made."""
    number = 0
    for char in record_id[6:15]:
        number = number * 62 + _BASE62.index(char)
    return number
