"""LinkedIn Ads streams, per sponsored account in ``THINLINE_LINKEDIN_ADS__ACCOUNT_IDS``.

* ad_accounts (snapshot): ``GET /rest/adAccounts/{id}``.
* campaigns (snapshot): the ``adCampaigns?q=search`` finder, every status, paged by
  ``metadata.nextPageToken``.
* creatives (snapshot): the ``creatives?q=criteria`` finder, paged the same way. A creative's
  landing page is in the record when it is a Text Ad (``content.textAd.landingPage``);
  sponsored content has only ``content.reference``, the post that holds it (not read).
  ARCHIVED, REMOVED and PENDING_DELETION campaigns and creatives land with ``is_deleted = true``:
  kept and marked, and their history still joins to them by id.
* creative_daily_analytics (replace_days on ``analytics_date``): ``adAnalytics`` with
  ``pivot=CREATIVE&timeGranularity=DAILY`` over the window's days, re-reading
  ``lookback_days`` (LinkedIn restates about a week). The endpoint has no paging and truncates
  silently at ``element_cap`` (15,000) elements, so a response that reaches the cap is thrown
  away and its date range halved (down to one day, then a clear failure); the smaller range
  is kept for the rest of the window. ``record`` is the element as returned plus
  ``accountId``, ``accountCurrency`` (the money is in it), ``campaignGroupId``, ``campaignId``
  and ``creativeId`` (ids parsed from the URNs of the creative and its campaign).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from extract.base import LoadMode, RawRow, SourceError, Stream, Window
from extract.http import Sleep, with_fields
from extract.linkedin_ads.client import LinkedInAdsClient, configured_token, urn_id
from extract.linkedin_ads.settings import LinkedInAdsSettings

DELETED_STATUSES = frozenset({"ARCHIVED", "REMOVED", "PENDING_DELETION"})
FIELDS = (
    "dateRange",
    "pivotValues",
    "impressions",
    "clicks",
    "landingPageClicks",
    "costInLocalCurrency",
    "costInUsd",
    "externalWebsiteConversions",
    "oneClickLeads",
)  # at most 20 per request
ACCOUNT = {"account_id": "bigint"}

ClientFactory = Callable[[], LinkedInAdsClient]


def build_streams(settings: LinkedInAdsSettings, *, sleep: Sleep = time.sleep) -> list[Stream]:
    """The raw_linkedin_ads streams; they share one access token (and its refresh)."""
    token = configured_token(settings)

    def client() -> LinkedInAdsClient:
        return LinkedInAdsClient(settings, token, sleep=sleep)

    return [
        Stream(
            "ad_accounts", ACCOUNT, LoadMode.SNAPSHOT, functools.partial(fetch_accounts, client)
        ),
        Stream(
            "campaigns",
            {**ACCOUNT, "campaign_id": "bigint"},
            LoadMode.SNAPSHOT,
            functools.partial(fetch_entities, client, "adCampaigns", "search", "status"),
        ),
        Stream(
            "creatives",
            {**ACCOUNT, "creative_id": "bigint"},
            LoadMode.SNAPSHOT,
            functools.partial(fetch_entities, client, "creatives", "criteria", "intendedStatus"),
        ),
        Stream(
            "creative_daily_analytics",
            {**ACCOUNT, "creative_id": "bigint", "analytics_date": "date"},
            LoadMode.REPLACE_DAYS,
            functools.partial(fetch_analytics, client),
            day_column="analytics_date",
            lookback=timedelta(days=settings.lookback_days),
        ),
    ]


def fetch_accounts(client: ClientFactory, window: Window) -> Iterator[RawRow]:
    with client() as api:
        for account_id in api.account_ids:
            account = api.account(account_id)
            yield RawRow((urn_id(account.get("id")),), account, _deleted(account, "status"))


def fetch_entities(
    client: ClientFactory, finder: str, query: str, status: str, window: Window
) -> Iterator[RawRow]:
    """Every campaign or creative of each account, as the finder returns it."""
    with client() as api:
        for account_id in api.account_ids:
            path = f"/rest/adAccounts/{account_id}/{finder}"
            for entity in api.find(path, {"q": query}):
                keys = (urn_id(entity.get("account")), urn_id(entity.get("id")))
                yield RawRow(keys, entity, _deleted(entity, status))


def fetch_analytics(client: ClientFactory, window: Window) -> Iterator[RawRow]:
    days = window.days()
    if not days:  # an empty window reads nothing rather than all of history
        return
    with client() as api:
        for account_id in api.account_ids:
            currency = api.account(account_id).get("currency")
            parents = creative_parents(api, account_id)
            for element in read_days(api, account_id, days):
                yield analytics_row(element, account_id, currency, parents)


def creative_parents(api: LinkedInAdsClient, account_id: int) -> dict[int, tuple[Any, Any]]:
    """creative id → (campaign id, campaign group id), from the two finders."""
    base = f"/rest/adAccounts/{account_id}"
    groups = {
        urn_id(c.get("id")): urn_id(c.get("campaignGroup"))
        for c in api.find(f"{base}/adCampaigns", {"q": "search"})
    }
    parents: dict[int, tuple[Any, Any]] = {}
    for creative in api.find(f"{base}/creatives", {"q": "criteria"}):
        creative_id, campaign_id = urn_id(creative.get("id")), urn_id(creative.get("campaign"))
        if creative_id is not None:
            parents[creative_id] = (campaign_id, groups.get(campaign_id))
    return parents


def read_days(api: LinkedInAdsClient, account_id: int, days: list[date]) -> Iterator[dict]:
    """The elements for consecutive ``days``, in ranges small enough to stay under the cap."""
    cap, span, index = api.settings.element_cap, api.settings.days_per_request, 0
    while index < len(days):
        chunk = days[index : index + span]
        first, last = chunk[0], chunk[-1]
        elements = api.analytics(account_id, first, last, FIELDS)
        if len(elements) >= cap:  # possibly truncated: LinkedIn does not say
            if len(chunk) == 1:
                raise SourceError(
                    f"linkedin_ads: adAnalytics returned {len(elements)} elements for account "
                    f"{account_id} on {first}, its response cap, and one day cannot be split "
                    "further — check THINLINE_LINKEDIN_ADS__ELEMENT_CAP matches LinkedIn's cap"
                )
            span = (len(chunk) + 1) // 2
            api.log.info(
                "linkedin_ads: %s..%s reached the %d-element cap; reading %d days per request",
                first,
                last,
                cap,
                span,
            )
            continue
        api.log.info(
            "linkedin_ads: account %s %s..%s: %d elements", account_id, first, last, len(elements)
        )
        yield from elements
        index += len(chunk)


def analytics_row(
    element: dict[str, Any],
    account_id: int,
    currency: Any,
    parents: dict[int, tuple[Any, Any]],
) -> RawRow:
    creative_id = urn_id((element.get("pivotValues") or [None])[0])
    campaign_id, group_id = parents.get(creative_id, (None, None)) if creative_id else (None, None)
    record = with_fields(  # LinkedIn's own text, these appended: no encoding per element
        element,
        {
            "accountId": account_id,
            "accountCurrency": currency,
            "campaignGroupId": group_id,
            "campaignId": campaign_id,
            "creativeId": creative_id,
        },
    )
    return RawRow((account_id, creative_id, start_date(element)), record)


def start_date(element: dict[str, Any]) -> date | None:
    """The element's day (``dateRange.start``; DAILY elements start and end on it)."""
    start = (element.get("dateRange") or {}).get("start") or {}
    try:
        return date(int(start["year"]), int(start["month"]), int(start["day"]))
    except (KeyError, TypeError, ValueError):
        return None  # the quality gate reports the NULL key


def _deleted(entity: dict[str, Any], status: str) -> bool:
    return entity.get(status) in DELETED_STATUSES
