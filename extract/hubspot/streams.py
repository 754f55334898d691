"""HubSpot streams: what each raw_hubspot table reads, its cursor and its grain.

Every path is built from ``api_version`` (:func:`extract.hubspot.client.api_path`): a date
version (``/crm/objects/2026-09/…``) or ``legacy`` (``/crm/v3/…`` and ``/crm/v4/…``).

* contacts, companies, deals (merge, cursor = the modified-date property): ``POST .../search``
  filtered ``GTE start, LT end`` and sorted ascending. Search refuses to page past 10,000
  results, so a window whose ``total`` exceeds ``search_cap`` is split in halves until each
  part fits. Each part (at most ``search_cap`` records) is de-duplicated by id, keeping the
  latest version, before it is emitted. Search never returns archived records, so those are
  listed (``GET .../{obj}?archived=true``, asking only for the cursor: a GET carries its
  properties in the URL, which HubSpot refuses past ~8 KB) and the ones archived inside the
  window are batch read (``archived=true``, properties in the body) and emitted, flagged
  ``is_deleted``. Emitting every archived record would re-merge the whole archive on every run
  for no new information.
* calls, emails, meetings, tasks, notes (merge, cursor = ``hs_lastmodifieddate``): the sales
  engagements, CRM v3 objects read like the ones above (search by window, archived ones
  flagged ``is_deleted``). Search returns no associations, so each live engagement's links
  to contacts, companies and deals are batch read (``POST /crm/associations/{version}/
  {engagement}/{contacts|companies|deals}/batch/read``, 100 ids a call, following per-record
  paging) and kept in the record as ``associations``: ``{"contacts": [{"toObjectId",
  "associationTypes"}], ...}`` (the v4 answer's ``to`` items; a type without links is
  absent). Engagements need the ``crm.objects.contacts.read`` scope (emails also take
  ``sales-email-read``): https://developers.hubspot.com/docs/api-reference/latest/crm/activities/calls/guide.md
  and the emails, meetings, tasks and notes guides. One raw table per object type, as HubSpot has
  one object per type: ``raw_hubspot.calls``, ``emails``, ``meetings``, ``tasks``, ``notes``.
* owners (snapshot, active then archived) and deal_pipelines (snapshot).
* deal_contact_associations (merge): association batch read for the deals modified in the
  window.
* deal_stage_history (merge, one row per deal): ``POST .../deals/batch/read`` with
  ``propertiesWithHistory`` = ``HISTORY_PROPERTIES`` (``dealstage``, ``amount``,
  ``closedate``, ``hubspot_owner_id``, ``hs_manual_forecast_category``: what forecasting
  needs) for the deals modified in the window, in batches of ``HISTORY_BATCH``. The table
  keeps its first name, but its record carries every requested property's history:
  ``record.propertiesWithHistory.<property>`` is the list of every value that property took,
  newest first (``value``, ``timestamp``, ``sourceType``, ``sourceId``, ``updatedByUserId``;
  a property never set, or one the portal lacks, has no list), so the row a later run merges
  replaces the deal's whole history. A deal archived between the search and the batch read
  comes back in the 207's ``errors`` and is skipped: the deals stream flags it deleted.
* currencies (snapshot, one row per currency the portal uses) and exchange_rates (snapshot,
  one row per rate the portal has set): the settings API (``settings/currencies``, scope
  ``settings.currencies.read``). ``exchange-rates/current`` is read first: a portal without
  multi-currency lists no rate, and then both streams land nothing and say so in one info
  line. A currencies row is ``{"currencyCode", "isCompanyCurrency", "companyCurrency"`` (the
  ``company-currency`` answer: ``id``, ``createdAt``) ``, "currentExchangeRate"`` (the rate
  in effect, null for the company currency) ``}``; an exchange_rates row is the rate as
  listed (``id``, ``fromCurrencyCode``, ``toCurrencyCode``, ``conversionRate``: company
  currency per unit of ``fromCurrencyCode``, ``effectiveAt``, ``createdAt``, ``updatedAt``,
  ``visibleInUI``). Sources: ``sandbox/hubspot_server.py``'s docstring.

Properties: by default every property the properties API lists for the object, the portal's
custom ones included, so the raw ``record`` holds them all (search and batch read carry the
names in the body: no URL limit). ``THINLINE_HUBSPOT__{CONTACT,COMPANY,DEAL}_PROPERTIES`` may
name a list instead, read on top of the ones Thinline's models use (``CrmObject.properties``,
HubSpot-defined, and ``CrmObject.custom``, portal-specific ones read when the portal has them:
HubSpot has no LinkedIn click id (``li_fat_id`` is the usual custom one) and no ``utm_*``
contact properties); names the portal lacks are left out (``thinline doctor`` warns). Contacts
carry their merge list (``hs_merged_object_ids``) and click ids; merged-away contacts are
archived, so they land ``is_deleted``. Deals carry their stage dates as
``hs_v2_date_entered_<stage>`` / ``hs_v2_date_exited_<stage>``, named after the stage ids of
the deal pipelines, read at the start of each run: stage ids are portal-specific. Those keep
only the latest entry per stage; every entry comes from ``deal_stage_history`` (search cannot
return property history, batch read can).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from extract.base import LoadMode, RawRow, SourceError, Stream, Window
from extract.http import Sleep
from extract.hubspot.client import (
    PROGRESS_PAGES,
    RESULTS,
    SEARCH_PAGE_MAX,
    HubSpotClient,
    next_after,
)
from extract.hubspot.settings import HubSpotSettings

ASSOCIATION_BATCH = 100  # the association batch endpoints accept at most 100 inputs
ARCHIVED_BATCH = 100  # batch read takes at most 100 inputs
HISTORY_BATCH = 50  # HubSpot pages property history 50 records at a time on its reads
# the deal properties whose history is read: stage, amount, close date, owner and the forecast
# category (HubSpot's hs_manual_forecast_category: OMIT, PIPELINE, BEST_CASE, COMMIT, CLOSED;
# see sandbox/hubspot_data.py for what is known of it)
HISTORY_PROPERTIES = (
    "dealstage",
    "amount",
    "closedate",
    "hubspot_owner_id",
    "hs_manual_forecast_category",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_T = TypeVar("_T")

LIFECYCLE_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)


@dataclass(frozen=True)
class CrmObject:
    """A searchable CRM object and the raw table it lands in."""

    object_type: str  # API name, also the raw table name
    key_column: str
    cursor: str  # the modified-date property search filters and sorts on
    properties: tuple[str, ...]  # HubSpot-defined properties Thinline's models read
    custom: tuple[str, ...] = ()  # portal-specific ones they read when the portal has them


CONTACTS = CrmObject(
    "contacts",
    "contact_id",
    "lastmodifieddate",
    (
        "email",
        "firstname",
        "lastname",
        "createdate",
        "lastmodifieddate",
        "lifecyclestage",
        *(f"hs_lifecyclestage_{stage}_date" for stage in LIFECYCLE_STAGES),
        "hs_analytics_source",
        "hs_analytics_source_data_1",
        "hs_analytics_source_data_2",
        "hs_analytics_first_url",
        "hs_analytics_first_referrer",
        "hs_analytics_first_timestamp",
        "hs_analytics_last_url",
        "hs_analytics_last_referrer",
        "hs_analytics_num_visits",
        "hs_analytics_first_touch_converting_campaign",
        "hs_analytics_last_touch_converting_campaign",
        "hs_latest_source",
        "hs_latest_source_data_1",
        "hs_latest_source_data_2",
        "hs_latest_source_timestamp",
        "hs_google_click_id",
        "hs_facebook_click_id",
        "hs_merged_object_ids",
        "hs_sa_first_engagement_date",  # first sales activity (call, email, meeting)
        "jobtitle",
        "country",
        "associatedcompanyid",
        "hubspot_owner_id",
    ),
    custom=("li_fat_id", "utm_source", "utm_medium", "utm_campaign"),
)
COMPANIES = CrmObject(
    "companies",
    "company_id",
    "hs_lastmodifieddate",
    (
        "name",
        "domain",
        "industry",
        "numberofemployees",
        "annualrevenue",
        "country",
        "city",
        "hubspot_owner_id",
        "createdate",
        "hs_lastmodifieddate",
    ),
)
DEALS = CrmObject(
    "deals",
    "deal_id",
    "hs_lastmodifieddate",
    (
        "dealname",
        "dealtype",
        "amount",
        "deal_currency_code",
        "dealstage",
        "pipeline",
        "closedate",
        "createdate",
        "hs_lastmodifieddate",
        "hubspot_owner_id",
        "hs_is_closed",
        "hs_is_closed_won",
        "hs_manual_forecast_category",
    ),
    custom=("list_amount",),
)
CRM_OBJECTS = (CONTACTS, COMPANIES, DEALS)
# The sales engagements, with the HubSpot-defined properties Thinline's models read
# (https://developers.hubspot.com/docs/api-reference/latest/crm/activities/calls/guide.md,
# .../emails/guide.md, .../meetings/guide.md, .../tasks/guide.md, .../notes/guide.md).
_ENGAGEMENT_COMMON = ("hs_timestamp", "hubspot_owner_id", "hs_createdate", "hs_lastmodifieddate")
ENGAGEMENTS = (
    CrmObject(
        "calls",
        "call_id",
        "hs_lastmodifieddate",
        (
            *_ENGAGEMENT_COMMON,
            "hs_call_direction",
            "hs_call_duration",
            "hs_call_disposition",
            "hs_call_status",
            "hs_call_title",
        ),
    ),
    CrmObject(
        "emails",
        "email_id",
        "hs_lastmodifieddate",
        (*_ENGAGEMENT_COMMON, "hs_email_direction", "hs_email_status", "hs_email_subject"),
    ),
    CrmObject(
        "meetings",
        "meeting_id",
        "hs_lastmodifieddate",
        (
            *_ENGAGEMENT_COMMON,
            "hs_meeting_outcome",
            "hs_meeting_start_time",
            "hs_meeting_end_time",
            "hs_meeting_title",
        ),
    ),
    CrmObject(
        "tasks",
        "task_id",
        "hs_lastmodifieddate",
        (
            *_ENGAGEMENT_COMMON,
            "hs_task_status",
            "hs_task_type",
            "hs_task_priority",
            "hs_task_subject",
            "hs_task_completion_date",
        ),
    ),
    # .../notes/guide.md: a note is its body and attachments; the models need only when and whose
    CrmObject("notes", "note_id", "hs_lastmodifieddate", _ENGAGEMENT_COMMON),
)
ENGAGEMENT_LINKS = ("contacts", "companies", "deals")


def build_streams(settings: HubSpotSettings, *, sleep: Sleep = time.sleep) -> list[Stream]:
    """The raw_hubspot streams, in the order the layout lists them."""

    def client() -> HubSpotClient:
        return HubSpotClient(settings, sleep=sleep)

    lookback = timedelta(minutes=settings.lookback_minutes)
    objects = [
        Stream(
            entity=crm.object_type,
            key_columns={crm.key_column: "bigint"},
            load_mode=LoadMode.MERGE,
            fetch=functools.partial(fetch_objects, client, crm),
            lookback=lookback,
        )
        for crm in CRM_OBJECTS
    ]
    engagements = [
        Stream(
            entity=crm.object_type,
            key_columns={crm.key_column: "bigint"},
            load_mode=LoadMode.MERGE,
            fetch=functools.partial(fetch_engagements, client, crm),
            lookback=lookback,
        )
        for crm in ENGAGEMENTS
    ]
    return [
        *objects,
        Stream(
            entity="owners",
            key_columns={"owner_id": "bigint"},
            load_mode=LoadMode.SNAPSHOT,
            fetch=functools.partial(fetch_owners, client),
        ),
        Stream(
            entity="deal_pipelines",
            key_columns={"pipeline_id": "text"},
            load_mode=LoadMode.SNAPSHOT,
            fetch=functools.partial(fetch_pipelines, client),
        ),
        Stream(
            entity="currencies",
            key_columns={"currency_code": "text"},
            load_mode=LoadMode.SNAPSHOT,
            fetch=functools.partial(fetch_currencies, client),
        ),
        Stream(
            entity="exchange_rates",
            key_columns={"exchange_rate_id": "text"},
            load_mode=LoadMode.SNAPSHOT,
            fetch=functools.partial(fetch_exchange_rates, client),
        ),
        Stream(
            entity="deal_contact_associations",
            key_columns={"deal_id": "bigint", "contact_id": "bigint"},
            load_mode=LoadMode.MERGE,
            fetch=functools.partial(fetch_deal_contacts, client),
            lookback=lookback,
        ),
        Stream(
            entity="deal_stage_history",
            key_columns={"deal_id": "bigint"},
            load_mode=LoadMode.MERGE,
            fetch=functools.partial(fetch_deal_stage_history, client),
            lookback=lookback,
        ),
        *engagements,
    ]


def fetch_objects(
    client: Callable[[], HubSpotClient], crm: CrmObject, window: Window
) -> Iterator[RawRow]:
    """Archived-in-window records (flagged deleted), then live records modified in the window."""
    with client() as api:
        yield from _object_rows(api, crm, window)


def _object_rows(api: HubSpotClient, crm: CrmObject, window: Window) -> Iterator[RawRow]:
    properties = read_properties(api, crm)
    archived: set[str] = set()
    for row in _archived_rows(api, crm, properties, window):
        archived.add(str(row.record.get("id")))
        yield row
    for record in search_window(api, crm, properties, window):
        if str(record.get("id")) not in archived:  # archived mid-run: keep the deletion
            yield RawRow((to_int(record.get("id")),), record)


def fetch_engagements(
    client: Callable[[], HubSpotClient], crm: CrmObject, window: Window
) -> Iterator[RawRow]:
    """The engagements of the window (as :func:`fetch_objects`), each live one with its
    associations to contacts, companies and deals."""
    with client() as api:
        for chunk in chunked(_object_rows(api, crm, window), ASSOCIATION_BATCH):
            live = [str(row.record["id"]) for row in chunk if not row.is_deleted and row.keys[0]]
            links = {to: linked_ids(api, crm.object_type, to, live) for to in ENGAGEMENT_LINKS}
            for row in chunk:
                if row.is_deleted:
                    yield row
                    continue
                found = {to: links[to].get(str(row.record.get("id"))) for to in ENGAGEMENT_LINKS}
                linked = {to: items for to, items in found.items() if items}
                # a new dict: the decoded record keeps the text it was sent as
                yield RawRow(row.keys, {**row.record, "associations": linked})


def linked_ids(
    api: HubSpotClient, from_type: str, to_type: str, ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """Each id's association ``to`` items (v4 batch read), following per-record paging; ids
    without any are absent (HubSpot lists them in a 207's errors)."""
    linked: dict[str, list[dict[str, Any]]] = {}
    inputs = [{"id": object_id} for object_id in ids]
    while inputs:
        page = api.read_associations(from_type, to_type, inputs)
        inputs = []
        for result in page.get("results") or []:
            origin = str((result.get("from") or {}).get("id"))
            linked.setdefault(origin, []).extend(result.get("to") or [])
            after = next_after(result)
            if after is not None:
                inputs.append({"id": origin, "after": after})
    return linked


def _archived_rows(
    api: HubSpotClient, crm: CrmObject, properties: Sequence[str], window: Window
) -> Iterator[RawRow]:
    """The records archived inside the window, with every property: listed by the cursor alone
    (a short URL), then batch read (the names in the body)."""
    path = api.path("crm/objects", crm.object_type)
    listed = api.list_all(path, {"archived": "true", "properties": crm.cursor})
    ids = []
    for record in listed:
        if _archived_in(record, window):
            if record.get("id") is None:  # kept as-is for the quality gate to report
                yield RawRow((None,), record, is_deleted=True)
            else:
                ids.append(str(record["id"]))
    for chunk in chunked(ids, ARCHIVED_BATCH):
        page = api.read_batch(crm.object_type, chunk, properties, archived=True)
        for record in page.get("results") or []:  # one restored since the list is live again
            yield RawRow((to_int(record.get("id")),), record, is_deleted=True)


def read_properties(api: HubSpotClient, crm: CrmObject) -> tuple[str, ...]:
    """The properties to request: every one the portal has, or Thinline's own and the
    configured ones that the portal has; deals add their pipelines' stage dates."""
    stage_dates = stage_date_properties(api) if crm is DEALS else []
    portal = [str(item["name"]) for item in api.properties(crm.object_type) if item.get("name")]
    chosen = api.settings.property_choice(crm.object_type)
    if chosen is not None:
        wanted = {*crm.properties, *crm.custom, *chosen}
        portal = [name for name in portal if name in wanted]
    return tuple(dict.fromkeys([*portal, *stage_dates]))


def stage_date_properties(api: HubSpotClient) -> list[str]:
    """``hs_v2_date_{entered,exited}_<stage id>`` for every stage of every deal pipeline."""
    names = []
    for pipeline in api.list_all(api.path("crm/pipelines", "deals"), {}):
        for stage in pipeline.get("stages") or []:
            if isinstance(stage, dict) and stage.get("id") not in (None, ""):
                names += [f"hs_v2_date_{kind}_{stage['id']}" for kind in ("entered", "exited")]
    return names


def fetch_owners(client: Callable[[], HubSpotClient], window: Window) -> Iterator[RawRow]:
    """Every owner, active then archived (flagged deleted); the window does not apply."""
    with client() as api:
        seen: set[str] = set()  # owners are few; an owner listed twice keeps its active row
        for archived in ("false", "true"):
            for owner in api.list_all(api.path("crm/owners"), {"archived": archived}):
                if str(owner.get("id")) not in seen:
                    seen.add(str(owner.get("id")))
                    yield RawRow((to_int(owner.get("id")),), owner, is_deleted=archived == "true")


def fetch_pipelines(client: Callable[[], HubSpotClient], window: Window) -> Iterator[RawRow]:
    """Every deal pipeline with its stages; the window does not apply."""
    with client() as api:
        for pipeline in api.list_all(api.path("crm/pipelines", "deals"), {}):
            pipeline_id = pipeline.get("id")
            keys = (None if pipeline_id is None else str(pipeline_id),)
            yield RawRow(keys, pipeline, is_deleted=pipeline.get("archived") is True)


def current_rates(api: HubSpotClient, entity: str) -> list[dict[str, Any]]:
    """The exchange rates in effect; none (and one info line) on a portal without
    multi-currency."""
    page = api.page(api.path("settings/currencies", "exchange-rates", "current"), {}, RESULTS)
    rates = [rate for rate in page.get("results") or [] if isinstance(rate, dict)]
    if not rates:
        api.log.info("hubspot: %s: the portal has no additional currency; nothing lands", entity)
    return rates


def fetch_currencies(client: Callable[[], HubSpotClient], window: Window) -> Iterator[RawRow]:
    """The company currency, then each currency with a rate in effect; the window does not
    apply."""
    with client() as api:
        rates = current_rates(api, "currencies")
        if not rates:
            return
        company = api.page(api.path("settings/currencies", "company-currency"), {})
        home = company.get("id")
        yield RawRow(
            (None if home is None else str(home),),
            {
                "currencyCode": home,
                "isCompanyCurrency": True,
                "companyCurrency": company,
                "currentExchangeRate": None,
            },
        )
        seen = {home}
        for rate in rates:
            code = rate.get("fromCurrencyCode")
            if code in seen:
                continue
            seen.add(code)
            record = {
                "currencyCode": code,
                "isCompanyCurrency": False,
                "companyCurrency": company,
                "currentExchangeRate": rate,
            }
            yield RawRow((None if code is None else str(code),), record)


def fetch_exchange_rates(client: Callable[[], HubSpotClient], window: Window) -> Iterator[RawRow]:
    """Every exchange rate the portal has set, past ones included; the window does not apply."""
    with client() as api:
        if not current_rates(api, "exchange_rates"):
            return
        for rate in api.list_all(api.path("settings/currencies", "exchange-rates"), {}):
            rate_id = rate.get("id")
            yield RawRow((None if rate_id is None else str(rate_id),), rate)


def fetch_deal_contacts(client: Callable[[], HubSpotClient], window: Window) -> Iterator[RawRow]:
    """Deal → contact associations of the deals modified in the window."""
    with client() as api:
        for chunk in chunked(modified_deal_ids(api, window), ASSOCIATION_BATCH):
            yield from _associations(api, chunk)


def fetch_deal_stage_history(
    client: Callable[[], HubSpotClient], window: Window
) -> Iterator[RawRow]:
    """The full history of each of ``HISTORY_PROPERTIES`` of each deal modified in the
    window, a row per deal."""
    with client() as api:
        batches = deals = missing = 0
        for chunk in chunked(modified_deal_ids(api, window), HISTORY_BATCH):
            properties = ("dealstage", "pipeline", DEALS.cursor)
            page = api.read_batch("deals", chunk, properties, HISTORY_PROPERTIES)
            missing += len(_missing_ids(page))
            results = page.get("results") or []
            batches, deals = batches + 1, deals + len(results)
            if batches % PROGRESS_PAGES == 0:
                api.log.info("hubspot: deal stage history: %d deals so far", deals)
            for record in results:
                yield RawRow((to_int(record.get("id")),), record)
        api.log.info("hubspot: deal stage history: %d deals in %d batches", deals, batches)
        if missing:
            api.log.info("hubspot: %d deals were gone before their history was read", missing)


def _missing_ids(page: dict[str, Any]) -> list[str]:
    """The ids a 207 batch answer reports as not found (``errors[].context.ids``)."""
    return [
        str(object_id)
        for error in page.get("errors") or []
        if isinstance(error, dict)
        for object_id in (error.get("context") or {}).get("ids") or []
    ]


def modified_deal_ids(api: HubSpotClient, window: Window) -> Iterator[str]:
    """Ids of the live deals modified in the window."""
    for deal in search_window(api, DEALS, (DEALS.cursor,), window):
        if deal.get("id") is not None:
            yield str(deal["id"])


def _associations(api: HubSpotClient, deal_ids: Sequence[str]) -> Iterator[RawRow]:
    """One batch of deals, following per-deal paging until every deal is exhausted."""
    inputs = [{"id": deal_id} for deal_id in deal_ids]
    seen: set[tuple[int | None, int | None]] = set()
    while inputs:
        page = api.read_associations("deals", "contacts", inputs)
        inputs = []
        for result in page.get("results") or []:
            origin = result.get("from") or {}
            for target in result.get("to") or []:
                keys = (to_int(origin.get("id")), to_int(target.get("toObjectId")))
                if keys not in seen:
                    seen.add(keys)
                    yield RawRow(keys, {"from": origin, "to": target})
            after = next_after(result)
            if after is not None and origin.get("id") is not None:
                inputs.append({"id": str(origin["id"]), "after": after})


def search_window(
    api: HubSpotClient, crm: CrmObject, properties: Sequence[str], window: Window
) -> Iterator[dict[str, Any]]:
    """Records whose cursor is in the window, splitting it so no query passes the cap."""
    pending = [(to_ms(window.start), to_ms(window.end))]
    while pending:
        start_ms, end_ms = pending.pop()
        if start_ms >= end_ms:
            continue
        records = _read_part(api, crm, properties, start_ms, end_ms)
        if records is None:
            if end_ms - start_ms <= 1:
                raise SourceError(
                    f"hubspot: more than {api.settings.search_cap} {crm.object_type} share "
                    f"{crm.cursor} = {start_ms} ms — search cannot page them; read them by list"
                )
            middle = (start_ms + end_ms) // 2
            api.log.info(
                "hubspot: %s over the search cap in [%d, %d) ms; splitting",
                crm.object_type,
                start_ms,
                end_ms,
            )
            pending += [(middle, end_ms), (start_ms, middle)]  # earlier half first
            continue
        yield from records


def _read_part(
    api: HubSpotClient, crm: CrmObject, properties: Sequence[str], start_ms: int, end_ms: int
) -> list[dict[str, Any]] | None:
    """All records of ``[start_ms, end_ms)``, de-duplicated; None if the part exceeds the cap."""
    cap = api.settings.search_cap
    body: dict[str, Any] = {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": crm.cursor, "operator": "GTE", "value": str(start_ms)},
                    {"propertyName": crm.cursor, "operator": "LT", "value": str(end_ms)},
                ]
            }
        ],
        "sorts": [{"propertyName": crm.cursor, "direction": "ASCENDING"}],
        "properties": list(properties),
        "limit": min(api.settings.page_size, SEARCH_PAGE_MAX, cap),
    }
    latest: dict[str, dict[str, Any]] = {}
    unkeyed: list[dict[str, Any]] = []  # no id: kept as-is for the quality gate to report
    pages = 0
    while True:
        page = api.search(crm.object_type, body)
        pages += 1
        if _int_or_zero(page.get("total")) > cap:
            return None
        for record in page.get("results") or []:
            record_id = record.get("id")
            if record_id is None:
                unkeyed.append(record)
            elif _not_older(record, latest.get(str(record_id))):
                latest[str(record_id)] = record
        after = next_after(page)
        if after is None:
            break
        if _int_or_zero(after) >= cap:  # the part grew past the cap while we paged
            return None
        body["after"] = after
    api.log.info(
        "hubspot: %s [%d, %d) ms: %d records in %d pages",
        crm.object_type,
        start_ms,
        end_ms,
        len(latest) + len(unkeyed),
        pages,
    )
    return [*latest.values(), *unkeyed]


def _not_older(record: dict[str, Any], previous: dict[str, Any] | None) -> bool:
    """True if ``record`` should replace ``previous`` (later in an ascending read wins ties)."""
    if previous is None:
        return True
    new, old = parse_time(record.get("updatedAt")), parse_time(previous.get("updatedAt"))
    return new is None or old is None or new >= old


def _archived_in(record: dict[str, Any], window: Window) -> bool:
    when = parse_time(record.get("archivedAt")) or parse_time(record.get("updatedAt"))
    return when is not None and _aware(window.start) <= when < _aware(window.end)


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 API timestamp as an aware datetime, or None if absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        return _aware(datetime.fromisoformat(value))
    except ValueError:
        return None


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds, the form search filters take (naive datetimes are UTC)."""
    return (_aware(moment) - _EPOCH) // timedelta(milliseconds=1)


def to_int(value: Any) -> int | None:
    """A HubSpot id (string or number) as int; None when missing or not an integer."""
    try:
        return int(str(value))
    except ValueError:
        return None


def chunked(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    chunk: list[_T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _int_or_zero(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
