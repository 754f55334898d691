"""Salesforce streams: one SOQL object per raw_salesforce table, merged on its 18-character Id.

Every stream (merge, cursor = ``SystemModstamp``, which moves on every change, system ones
included; field history, whose rows are never edited and have no SystemModstamp, is read on
``CreatedDate``) reads ``SELECT <fields> FROM <Object> WHERE SystemModstamp >= start AND
SystemModstamp < end ORDER BY SystemModstamp ASC`` through ``queryAll``, so
deleted records (``IsDeleted = true``, in the Recycle Bin) arrive and are flagged
``is_deleted`` instead of being lost. A record changed while the query is paged shows up
twice: each query's records are de-duplicated by Id, keeping the latest ``SystemModstamp``,
before any is emitted. That buffer is bounded: a window whose ``totalSize`` exceeds
``max_window_records`` is split in halves (whole seconds, the SOQL literal's precision) until
each part fits. ``lookback_minutes`` re-reads records that commit late with an earlier stamp.
User and Campaign are small reference objects read whole every run (snapshot), since deals
and members refer to them however long ago they last changed; so is the org's one
Organization row (``organization``: its ``DefaultCurrencyIsoCode`` is the currency of every
amount in a single-currency org, where records have no ``CurrencyIsoCode``).

The sales activities are two more merged streams (:data:`ACTIVITY_OBJECTS`): ``tasks``
(``Task``: calls, emails and to-dos) and ``events`` (``Event``: meetings), on the same cursor;
deleting a lead or contact deletes its activities, which ``queryAll`` brings flagged.

The org's own exchange rates are two more snapshots (:data:`CURRENCY_OBJECTS`), read whole
every run: ``currency_types`` (``CurrencyType``: the static rate per currency, units per 1 unit
of the corporate currency, and which currency is corporate) and ``dated_conversion_rates``
(``DatedConversionRate``: the rate of each ``[StartDate, NextStartDate)`` range, which
Salesforce applies to opportunities by CloseDate). Neither has ``IsDeleted``. A single-currency
org has neither object and an org without advanced currency management has no
DatedConversionRate; the stream asks the org's Describe Global (``GET …/sobjects/``) first and,
when the object is not listed, logs one info line and yields nothing.

The fields come from each object's describe (:mod:`extract.salesforce.fields`): whatever the
org has, custom ``__c`` fields included, with the ones Thinline's models need (``required``)
checked first. Records are kept as returned (``attributes`` included).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from extract.base import LoadMode, RawRow, Skipped, SourceError, Stream, Window
from extract.http import Sleep
from extract.oauth import AccessToken
from extract.salesforce.client import SalesforceClient
from extract.salesforce.fields import select
from extract.salesforce.settings import SalesforceSettings

CURSOR = "SystemModstamp"
_AUDIT = ("CreatedDate", "LastModifiedDate", CURSOR, "IsDeleted")
_REQUIRED_AUDIT = ("CreatedDate", CURSOR, "IsDeleted")


@dataclass(frozen=True)
class SObjectType:
    """A queried object and the raw table it lands in (key column ``<entity>_id text``)."""

    name: str
    entity: str
    key_column: str
    # The fields Thinline knows, in the order a query lists them (describe adds the org's
    # others after them); "Rel.Field" reads a relationship.
    fields: tuple[str, ...]
    # The ones Thinline's models depend on: an org that hides one from the integration user
    # stops the read. The others are selected when the org has them.
    required: tuple[str, ...]
    # Small reference objects are read whole every run (load mode snapshot): deals refer to
    # users and campaigns last modified long before any history start.
    snapshot: bool = False
    windowed: bool = True  # False: the whole object in one query (Organization: one row)
    # The org feature the object exists with (None: every org has it); an org without it
    # yields no rows, with one info line.
    needs: str | None = None
    # The window's field: SystemModstamp, or CreatedDate for rows never edited that have no
    # SystemModstamp (field history).
    cursor: str = CURSOR

    def query(self, fields: list[str] | tuple[str, ...], start: datetime, end: datetime) -> str:
        head = f"SELECT {', '.join(fields)} FROM {self.name}"
        if not self.windowed:
            return head
        return (
            f"{head} WHERE {self.cursor} >= {soql_datetime(start)} "
            f"AND {self.cursor} < {soql_datetime(end)} ORDER BY {self.cursor} ASC"
        )


OBJECTS = (
    SObjectType(
        "Lead",
        "leads",
        "lead_id",
        (
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
        ),
        required=(
            "Id",
            "Email",
            "Status",
            "LeadSource",
            "OwnerId",
            "IsConverted",
            "ConvertedDate",
            "ConvertedAccountId",
            "ConvertedContactId",
            "ConvertedOpportunityId",
            *_REQUIRED_AUDIT,
        ),
    ),
    SObjectType(
        "Contact",
        "contacts",
        "contact_id",
        (
            "Id",
            "AccountId",
            "FirstName",
            "LastName",
            "Email",
            "Title",
            "LeadSource",
            "OwnerId",
            *_AUDIT,
        ),
        required=("Id", "AccountId", "Email", "LeadSource", "OwnerId", *_REQUIRED_AUDIT),
    ),
    SObjectType(
        "Account",
        "accounts",
        "account_id",
        (
            "Id",
            "Name",
            "Website",
            "Industry",
            "NumberOfEmployees",
            "BillingCountry",
            "OwnerId",
            "CurrencyIsoCode",  # multi-currency orgs only
            *_AUDIT,
        ),
        required=("Id", "Name", "OwnerId", *_REQUIRED_AUDIT),
    ),
    SObjectType(
        "Opportunity",
        "opportunities",
        "opportunity_id",
        (
            "Id",
            "AccountId",
            "Name",
            "Amount",
            "CurrencyIsoCode",  # multi-currency orgs only
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
        ),
        required=(
            "Id",
            "AccountId",
            "Amount",
            "StageName",
            "CloseDate",
            "IsClosed",
            "IsWon",
            "OwnerId",
            "LeadSource",
            "CampaignId",
            *_REQUIRED_AUDIT,
        ),
    ),
    SObjectType(  # history rows are never edited: no LastModifiedDate
        "OpportunityHistory",
        "opportunity_histories",
        "opportunity_history_id",
        (
            "Id",
            "OpportunityId",
            "StageName",
            "Amount",
            "CloseDate",
            "Probability",
            "ForecastCategory",
            "CreatedById",
            "CreatedDate",
            CURSOR,
            "IsDeleted",
        ),
        required=("Id", "OpportunityId", "StageName", "Amount", "CloseDate", *_REQUIRED_AUDIT),
    ),
    # Field history (https://developer.salesforce.com/docs/atlas.en-us.264.0.object_reference.meta/
    # object_reference/sforce_api_objects_opportunityfieldhistory.htm): rows are never edited
    # and have no SystemModstamp, so the window is on CreatedDate. Thinline reads the Owner
    # changes (two rows per change: DataType EntityId with User ids, Text with names).
    # Deleting an opportunity deletes its rows without moving CreatedDate: a later run does
    # not see the flag, and the models drop the rows of deleted opportunities anyway.
    SObjectType(
        "OpportunityFieldHistory",
        "opportunity_field_histories",
        "opportunity_field_history_id",
        (
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
        required=("Id", "OpportunityId", "Field", "OldValue", "NewValue", "CreatedDate"),
        cursor="CreatedDate",
    ),
    SObjectType(
        "OpportunityContactRole",
        "opportunity_contact_roles",
        "opportunity_contact_role_id",
        ("Id", "OpportunityId", "ContactId", "Role", "IsPrimary", *_AUDIT),
        required=("Id", "OpportunityId", "ContactId", "IsPrimary", *_REQUIRED_AUDIT),
    ),
    SObjectType(  # users are deactivated (IsActive), never deleted: no IsDeleted
        "User",
        "users",
        "user_id",
        (
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
            "CreatedDate",
            "LastModifiedDate",
            CURSOR,
        ),
        required=("Id", "Name", "IsActive", "CreatedDate", CURSOR),
        snapshot=True,
    ),
    SObjectType(
        "Campaign",
        "campaigns",
        "campaign_id",
        (
            "Id",
            "Name",
            "Type",
            "Status",
            "StartDate",
            "EndDate",
            "IsActive",
            "BudgetedCost",
            "ActualCost",
            "CurrencyIsoCode",  # multi-currency orgs only
            "ParentId",
            *_AUDIT,
        ),
        required=("Id", "Name", "Type", "StartDate", *_REQUIRED_AUDIT),
        snapshot=True,
    ),
    SObjectType(
        "CampaignMember",
        "campaign_members",
        "campaign_member_id",
        (
            "Id",
            "CampaignId",
            "LeadId",
            "ContactId",
            "LeadOrContactId",
            "Status",
            "HasResponded",
            "FirstRespondedDate",
            *_AUDIT,
        ),
        required=(
            "Id",
            "CampaignId",
            "LeadId",
            "ContactId",
            "HasResponded",
            *_REQUIRED_AUDIT,
        ),
    ),
)
# Sales activities: Task (calls, emails, to-dos) and Event (meetings). Fields per the object
# reference (https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_objects_task.htm,
# https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_objects_event.htm,
# https://developer.salesforce.com/docs/atlas.en-us.196.0.sfFieldRef.meta/sfFieldRef/salesforce_field_reference_Task.htm):
# WhoId a Lead or Contact, WhatId an Account, Opportunity or other record; TaskSubtype
# (Task, Email, ListEmail, Cadence, Call, LinkedIn) and EventSubtype; CallType (Internal,
# Inbound, Outbound), CallDurationInSeconds and CallDisposition are Call Center fields.
# Deleting a lead or contact deletes its activities: queryAll brings them, IsDeleted.
ACTIVITY_OBJECTS = (
    SObjectType(
        "Task",
        "tasks",
        "task_id",
        (
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
        ),
        required=("Id", "WhoId", "WhatId", "OwnerId", "ActivityDate", "Status", *_REQUIRED_AUDIT),
    ),
    SObjectType(
        "Event",
        "events",
        "event_id",
        (
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
        ),
        required=("Id", "WhoId", "WhatId", "OwnerId", "ActivityDateTime", *_REQUIRED_AUDIT),
    ),
)
# The org itself, one row: the default currency of a single-currency org, and its name.
ORGANIZATION = SObjectType(
    "Organization",
    "organization",
    "organization_id",
    ("Id", "Name", "DefaultCurrencyIsoCode"),  # DefaultCurrencyIsoCode: single-currency only
    required=("Id",),
    snapshot=True,
    windowed=False,
)

# The org's exchange rates: multi-currency orgs only, DatedConversionRate with advanced currency
# management only. Neither object has IsDeleted.
CURRENCY_OBJECTS = (
    SObjectType(
        "CurrencyType",
        "currency_types",
        "currency_type_id",
        (
            "Id",
            "IsoCode",
            "ConversionRate",
            "DecimalPlaces",
            "IsActive",
            "IsCorporate",
            "CreatedDate",
            "LastModifiedDate",
            CURSOR,
        ),
        required=("Id", "IsoCode", "ConversionRate", "IsActive", "IsCorporate", "CreatedDate"),
        snapshot=True,
        windowed=False,
        needs="multiple currencies",
    ),
    SObjectType(
        "DatedConversionRate",
        "dated_conversion_rates",
        "dated_conversion_rate_id",
        (
            "Id",
            "IsoCode",
            "ConversionRate",
            "StartDate",
            "NextStartDate",
            "CreatedDate",
            "LastModifiedDate",
            CURSOR,
        ),
        required=("Id", "IsoCode", "ConversionRate", "StartDate", "NextStartDate", "CreatedDate"),
        snapshot=True,
        windowed=False,
        needs="multiple currencies and advanced currency management",
    ),
)


def build_streams(settings: SalesforceSettings, *, sleep: Sleep = time.sleep) -> list[Stream]:
    """The raw_salesforce streams; they share one OAuth session and its describes."""
    token = AccessToken()

    def client() -> SalesforceClient:
        return SalesforceClient(settings, token, sleep=sleep)

    return [
        Stream(
            entity=sobject.entity,
            key_columns={sobject.key_column: "text"},
            load_mode=LoadMode.SNAPSHOT if sobject.snapshot else LoadMode.MERGE,
            fetch=functools.partial(fetch_object, client, sobject),
            lookback=timedelta(minutes=settings.lookback_minutes),
        )
        for sobject in (*OBJECTS, ORGANIZATION, *CURRENCY_OBJECTS, *ACTIVITY_OBJECTS)
    ]


def fetch_object(
    client: Callable[[], SalesforceClient], sobject: SObjectType, window: Window
) -> Iterator[RawRow | Skipped]:
    """Records whose SystemModstamp is in the window, deleted ones flagged, one row per Id."""
    with client() as api:
        if sobject.needs and sobject.name not in org_objects(api):
            api.log.info(
                "salesforce: the org has no %s (it needs %s); nothing to read",
                sobject.name,
                sobject.needs,
            )
            return
        selection = select(sobject, api.describe(sobject.name), f"{api.data_path}/queryAll")
        if selection.left_out:
            api.log.warning(
                "salesforce: %s fields left out (request size limit): %s",
                sobject.name,
                ", ".join(selection.left_out),
            )
            reason = f"{sobject.name} fields past the REST request size limit"
            yield Skipped(reason, len(selection.left_out))
        # Whole seconds: the start rounds down and the end up (re-reading a little is harmless).
        first = 0 if sobject.snapshot else math.floor(_epoch(window.start))
        pending = [(first, math.ceil(_epoch(window.end)))]
        while pending:
            start, end = pending.pop()
            if start >= end:
                continue
            records = _read_part(api, sobject, selection.fields, start, end)
            if records is None:
                if end - start <= 1:
                    raise SourceError(
                        f"salesforce: more than {api.settings.max_window_records} {sobject.name} "
                        f"records share one second of {sobject.cursor} — raise "
                        "THINLINE_SALESFORCE__MAX_WINDOW_RECORDS"
                    )
                middle = (start + end) // 2
                api.log.info(
                    "salesforce: %s over %d records in [%s, %s); splitting",
                    sobject.name,
                    api.settings.max_window_records,
                    _moment(start),
                    _moment(end),
                )
                pending += [(middle, end), (start, middle)]  # earlier half first
                continue
            for record in records:
                record_id = record.get("Id")
                keys = (str(record_id) if record_id is not None else None,)
                yield RawRow(keys, record, is_deleted=record.get("IsDeleted") is True)


def org_objects(api: SalesforceClient) -> set[str]:
    """The objects the org has and shows the integration user (Describe Global)."""
    body = api.get(f"{api.data_path}/sobjects/")
    listed = body.get("sobjects") if isinstance(body, dict) else None
    if not isinstance(listed, list):
        raise SourceError("salesforce: the Describe Global answer has no sobjects list — rerun")
    return {str(item["name"]) for item in listed if isinstance(item, dict) and item.get("name")}


def _read_part(
    api: SalesforceClient, sobject: SObjectType, fields: tuple[str, ...], start: int, end: int
) -> list[dict[str, Any]] | None:
    """The part's records, latest version per Id; None if the part is over the buffer cap."""
    latest: dict[str, dict[str, Any]] = {}
    unkeyed: list[dict[str, Any]] = []  # no Id: kept as-is for the quality gate to report
    pages = 0
    for page in api.query_all(sobject.query(fields, _moment(start), _moment(end))):
        pages += 1
        if _int_or_zero(page.get("totalSize")) > api.settings.max_window_records:
            return None
        for record in page["records"]:
            if not isinstance(record, dict):
                raise SourceError(f"salesforce: {sobject.name} page holds a non-object record")
            record_id = record.get("Id")
            if record_id is None:
                unkeyed.append(record)
            elif _not_older(record, latest.get(str(record_id)), sobject.cursor):
                latest[str(record_id)] = record
    api.log.info(
        "salesforce: %s [%s, %s): %d records in %d pages",
        sobject.name,
        _moment(start),
        _moment(end),
        len(latest) + len(unkeyed),
        pages,
    )
    return [*latest.values(), *unkeyed]


def _not_older(
    record: dict[str, Any], previous: dict[str, Any] | None, cursor: str = CURSOR
) -> bool:
    """True if ``record`` should replace ``previous`` (later in an ascending read wins ties)."""
    if previous is None:
        return True
    new, old = parse_datetime(record.get(cursor)), parse_datetime(previous.get(cursor))
    return new is None or old is None or new >= old


def parse_datetime(value: Any) -> datetime | None:
    """A Salesforce datetime (``2026-03-10T12:00:00.000+0000``) as an aware datetime."""
    if not isinstance(value, str):
        return None
    try:
        return _aware(datetime.fromisoformat(value))
    except ValueError:
        return None


def soql_datetime(moment: datetime) -> str:
    """An unquoted SOQL datetime literal in UTC, e.g. ``2026-01-01T00:00:00Z``."""
    return _aware(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


def _epoch(moment: datetime) -> float:
    return _aware(moment).timestamp()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _int_or_zero(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
