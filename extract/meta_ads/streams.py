"""Meta Ads streams: what each raw_meta_ads table reads, its cursor and its grain.

* ad_accounts (snapshot): ``GET /act_{id}`` for each configured account.
* campaigns (snapshot): ``GET /act_{id}/campaigns`` with every ``effective_status`` (the
  edge hides archived and deleted campaigns by default). Deleted campaigns are kept and
  flagged ``is_deleted``; archived ones are live (their status is in the record) because
  their history still carries spend.
* ads (snapshot): ``GET /act_{id}/ads`` with every ``effective_status``, each ad with its
  creative expanded (``creative{id,name,url_tags,object_story_spec{link_data{link}}}``): the
  landing page (``link_data.link``) and the URL tags Meta appends to it on a click. Deleted ads
  are kept and flagged ``is_deleted``; ads that exist only in insights still join downstream.
* ad_daily_insights (replace_days on ``insight_date``): ``GET /act_{id}/insights`` with
  ``level=ad``, ``time_increment=1`` over the window's days, at most ``days_per_request``
  days per query, re-reading ``lookback_days`` (28: Meta restates actions that long). When
  Meta answers "reduce the amount of data" the range is halved, down to one day. Each row
  carries ``account_currency``: ``spend`` is a decimal string in the account's currency.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from extract.base import LoadMode, RawRow, SourceError, Stream, Window, day_ranges
from extract.http import Sleep
from extract.meta_ads.client import MetaAdsClient, TooMuchData, VersionWarning
from extract.meta_ads.settings import MetaAdsSettings

ACCOUNT_FIELDS = ("id", "account_id", "name", "currency", "timezone_name", "account_status")
CAMPAIGN_FIELDS = (
    "id",
    "account_id",
    "name",
    "objective",
    "status",
    "configured_status",
    "effective_status",
    "created_time",
    "start_time",
    "stop_time",
    "updated_time",
)
CAMPAIGN_STATUSES = ("ACTIVE", "PAUSED", "ARCHIVED", "DELETED", "IN_PROCESS", "WITH_ISSUES")
AD_FIELDS = (
    "id",
    "account_id",
    "name",
    "campaign_id",
    "adset_id",
    "status",
    "configured_status",
    "effective_status",
    "created_time",
    "updated_time",
    # Field expansion: the creative's landing page and URL tags, in the same call.
    "creative{id,name,url_tags,object_story_spec{link_data{link}}}",
)
# An ad's effective_status also says why it does not run (its parents, review, billing).
AD_STATUSES = (
    *CAMPAIGN_STATUSES,
    "CAMPAIGN_PAUSED",
    "ADSET_PAUSED",
    "PENDING_REVIEW",
    "DISAPPROVED",
    "PREAPPROVED",
    "PENDING_BILLING_INFO",
)
INSIGHT_FIELDS = (
    "account_id",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "date_start",
    "date_stop",
    "spend",
    "impressions",
    "clicks",
    "inline_link_clicks",
    "reach",
    "actions",
    "action_values",
)

Client = Callable[[], MetaAdsClient]


def build_streams(settings: MetaAdsSettings, *, sleep: Sleep = time.sleep) -> list[Stream]:
    """The raw_meta_ads streams, in the order the layout lists them."""
    version_warning = VersionWarning()  # Meta's auto-upgrade notice: said once per run

    def client() -> MetaAdsClient:
        return MetaAdsClient(settings, sleep=sleep, version_warning=version_warning)

    return [
        Stream(
            entity="ad_accounts",
            key_columns={"account_id": "bigint"},
            load_mode=LoadMode.SNAPSHOT,
            fetch=functools.partial(fetch_accounts, client),
        ),
        Stream(
            entity="campaigns",
            key_columns={"account_id": "bigint", "campaign_id": "bigint"},
            load_mode=LoadMode.SNAPSHOT,
            fetch=functools.partial(fetch_campaigns, client),
        ),
        Stream(
            entity="ads",
            key_columns={"account_id": "bigint", "ad_id": "bigint"},
            load_mode=LoadMode.SNAPSHOT,
            fetch=functools.partial(fetch_ads, client),
        ),
        Stream(
            entity="ad_daily_insights",
            key_columns={"account_id": "bigint", "ad_id": "bigint", "insight_date": "date"},
            load_mode=LoadMode.REPLACE_DAYS,
            fetch=functools.partial(fetch_insights, client),
            day_column="insight_date",
            lookback=timedelta(days=settings.lookback_days),
        ),
    ]


def fetch_accounts(client: Client, window: Window) -> Iterator[RawRow]:
    """Each configured ad account; the window does not apply."""
    with client() as api:
        for account_id in api.account_ids:
            record = api.account(account_id, ACCOUNT_FIELDS)
            yield RawRow((to_int(record.get("id")),), record)


def fetch_campaigns(client: Client, window: Window) -> Iterator[RawRow]:
    """Every campaign of every account, whatever its status; the window does not apply."""
    return _objects(client, "campaigns", CAMPAIGN_FIELDS, CAMPAIGN_STATUSES)


def fetch_ads(client: Client, window: Window) -> Iterator[RawRow]:
    """Every ad of every account with its creative, whatever its status; no window."""
    return _objects(client, "ads", AD_FIELDS, AD_STATUSES)


def _objects(
    client: Client, edge: str, fields: tuple[str, ...], statuses: tuple[str, ...]
) -> Iterator[RawRow]:
    """Each object of an account edge, keyed by account and object id; DELETED is flagged."""
    params = {"fields": ",".join(fields), "effective_status": list_param(statuses)}
    with client() as api:
        for account_id in api.account_ids:
            rows = 0
            for record in api.edge(account_id, edge, params):
                rows += 1
                keys = (to_int(record.get("account_id")), to_int(record.get("id")))
                yield RawRow(keys, record, is_deleted=record.get("status") == "DELETED")
            api.log.info("meta_ads: %s act_%s: %d rows", edge, account_id, rows)


def fetch_insights(client: Client, window: Window) -> Iterator[RawRow]:
    """One row per ad and day of the window, per account (an empty window reads nothing)."""
    with client() as api:
        ranges = day_ranges(window.days(), api.settings.days_per_request)
        for account_id in api.account_ids:
            for first, last in ranges:
                yield from _insights(api, account_id, first, last)


def _insights(api: MetaAdsClient, account_id: str, first: date, last: date) -> Iterator[RawRow]:
    """Rows of ``[first, last]``, halving the range while Meta says it is too much data."""
    pending = [(first, last)]
    while pending:
        since, until = pending.pop()
        rows = 0
        try:
            for row in api.insights(account_id, since, until, INSIGHT_FIELDS):
                rows += 1
                keys = (to_int(row.get("account_id")), to_int(row.get("ad_id")), to_date(row))
                yield RawRow(keys, row)
        except TooMuchData as error:
            if rows:  # rows already went to the loader: a retry would duplicate them
                raise SourceError(
                    f"{error} (act_{account_id} {since}..{until}, after {rows} rows) — lower "
                    "THINLINE_META_ADS__DAYS_PER_REQUEST"
                ) from error
            if since == until:
                raise SourceError(
                    f"{error} (act_{account_id}, a single day: {since}) — one day cannot be "
                    "split further; fewer fields or Meta's async reports are needed"
                ) from error
            middle = since + (until - since) // 2
            api.log.info(
                "meta_ads: act_%s %s..%s is too much data for Meta; splitting",
                account_id,
                since,
                until,
            )
            pending += [(middle + timedelta(days=1), until), (since, middle)]  # earlier first
            continue
        api.log.info(
            "meta_ads: ad_daily_insights act_%s %s..%s: %d rows", account_id, since, until, rows
        )


def list_param(values: tuple[str, ...]) -> str:
    """A Graph API list parameter: JSON, as the SDKs send it."""
    return "[" + ",".join(f'"{value}"' for value in values) + "]"


def to_int(value: Any) -> int | None:
    """A Graph id (``"123"`` or ``"act_123"``) as int; None when missing or not an integer."""
    try:
        return int(str(value).removeprefix("act_"))
    except ValueError:
        return None


def to_date(row: dict[str, Any]) -> date | None:
    try:
        return date.fromisoformat(str(row.get("date_start")))
    except ValueError:
        return None  # the quality gate reports the NULL key
