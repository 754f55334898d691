"""Salesforce streams: one SOQL object per raw_salesforce table, merged on its 18-character Id.

Every stream (merge, cursor = ``SystemModstamp``, which every object has and which moves on
every change, system ones included) reads ``SELECT <fields> FROM <Object> WHERE SystemModstamp
>= start AND SystemModstamp < end ORDER BY SystemModstamp ASC`` through ``queryAll``, so
deleted records (``IsDeleted = true``, in the Recycle Bin) arrive and are flagged
``is_deleted`` instead of being lost. A record changed while the query is paged shows up
twice: each query's records are de-duplicated by Id, keeping the latest ``SystemModstamp``,
before any is emitted. That buffer is bounded: a window whose ``totalSize`` exceeds
``max_window_records`` is split in halves (whole seconds, the SOQL literal's precision) until
each part fits. ``lookback_minutes`` re-reads records that commit late with an earlier stamp.
User and Campaign are small reference objects read whole every run (snapshot), since deals
and members refer to them however long ago they last changed.

Field lists are explicit (below): SOQL has no ``SELECT *``, and an unknown field fails the
query rather than being dropped. Records are kept as returned (``attributes`` included).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from extract.base import LoadMode, RawRow, SourceError, Stream, Window
from extract.http import Sleep
from extract.salesforce.client import AccessToken, SalesforceClient
from extract.salesforce.settings import SalesforceSettings

CURSOR = "SystemModstamp"
_AUDIT = ("CreatedDate", "LastModifiedDate", CURSOR, "IsDeleted")


@dataclass(frozen=True)
class SObjectType:
    """A queried object and the raw table it lands in (key column ``<entity>_id text``)."""

    name: str
    entity: str
    key_column: str
    fields: tuple[str, ...]
    # Small reference objects are read whole every run (load mode snapshot): deals refer to
    # users and campaigns last modified long before any history start.
    snapshot: bool = False

    def query(self, start: datetime, end: datetime) -> str:
        return (
            f"SELECT {', '.join(self.fields)} FROM {self.name} "
            f"WHERE {CURSOR} >= {soql_datetime(start)} AND {CURSOR} < {soql_datetime(end)} "
            f"ORDER BY {CURSOR} ASC"
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
            "CurrencyIsoCode",
            *_AUDIT,
        ),
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
    ),
    SObjectType(
        "OpportunityContactRole",
        "opportunity_contact_roles",
        "opportunity_contact_role_id",
        ("Id", "OpportunityId", "ContactId", "Role", "IsPrimary", *_AUDIT),
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
            "CurrencyIsoCode",
            "ParentId",
            *_AUDIT,
        ),
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
    ),
)


def build_streams(settings: SalesforceSettings, *, sleep: Sleep = time.sleep) -> list[Stream]:
    """The raw_salesforce streams; they share one OAuth session."""
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
        for sobject in OBJECTS
    ]


def fetch_object(
    client: Callable[[], SalesforceClient], sobject: SObjectType, window: Window
) -> Iterator[RawRow]:
    """Records whose SystemModstamp is in the window, deleted ones flagged, one row per Id."""
    with client() as api:
        # Whole seconds: the start rounds down and the end up (re-reading a little is harmless).
        first = 0 if sobject.snapshot else math.floor(_epoch(window.start))
        pending = [(first, math.ceil(_epoch(window.end)))]
        while pending:
            start, end = pending.pop()
            if start >= end:
                continue
            records = _read_part(api, sobject, start, end)
            if records is None:
                if end - start <= 1:
                    raise SourceError(
                        f"salesforce: more than {api.settings.max_window_records} {sobject.name} "
                        f"records share one second of {CURSOR} — raise "
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


def _read_part(
    api: SalesforceClient, sobject: SObjectType, start: int, end: int
) -> list[dict[str, Any]] | None:
    """The part's records, latest version per Id; None if the part is over the buffer cap."""
    latest: dict[str, dict[str, Any]] = {}
    unkeyed: list[dict[str, Any]] = []  # no Id: kept as-is for the quality gate to report
    pages = 0
    for page in api.query_all(sobject.query(_moment(start), _moment(end))):
        pages += 1
        if _int_or_zero(page.get("totalSize")) > api.settings.max_window_records:
            return None
        for record in page["records"]:
            if not isinstance(record, dict):
                raise SourceError(f"salesforce: {sobject.name} page holds a non-object record")
            record_id = record.get("Id")
            if record_id is None:
                unkeyed.append(record)
            elif _not_older(record, latest.get(str(record_id))):
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


def _not_older(record: dict[str, Any], previous: dict[str, Any] | None) -> bool:
    """True if ``record`` should replace ``previous`` (later in an ascending read wins ties)."""
    if previous is None:
        return True
    new, old = parse_datetime(record.get(CURSOR)), parse_datetime(previous.get(CURSOR))
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
