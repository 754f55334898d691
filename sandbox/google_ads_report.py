"""Runs a parsed GAQL query against one account of the world and shapes rows as the REST API does.

Rows nest by resource in lowerCamelCase (``adGroupAd.ad.id``), int64 values are strings,
doubles are numbers, zero metrics are left out, and each selected resource carries its
``resourceName``. Metrics of a campaign or ad group are the sums of its ads' metrics.

``FROM click_view`` (reference §3.4) returns one row per click of one day: the clicks whose
visitors became contacts (``GoogleAdsData.paid_clicks``), not every click in the metrics. Google:
"Queries including ClickView must have a filter limiting the results to one day and can be
requested for dates back to 90 days before the time of the request"
(https://developers.google.com/google-ads/api/reference/rpc/v22/ClickView). Older days get
``clickViewError: DATE_TOO_OLD`` ("The requested date is too old.", ``ClickViewErrorEnum``),
counted from ``today``, the request day, whatever window the client had in mind.
A click of a search ad group also names the keyword it came through: ``click_view.keyword``,
"the associated keyword, if one exists and the click corresponds to the SEARCH channel", and
``click_view.keyword_info`` (https://developers.google.com/google-ads/api/reference/rpc/v24/ClickView);
which of the ad group's keywords is drawn from the gclid, as often as the keyword's weight.

``FROM keyword_view`` returns the keywords (ad group criteria) of search ad groups, one row per
keyword, and per day with ``segments.date``. Keyword views are named
``customers/{customer_id}/keywordViews/{ad_group_id}~{criterion_id}`` and their criteria
``customers/{customer_id}/adGroupCriteria/{ad_group_id}~{criterion_id}``; the criterion's
``quality_info.quality_score`` is an int32 that "may not be populated if Google does not have
enough information to determine a value":

* https://developers.google.com/google-ads/api/reference/rpc/v24/KeywordView
* https://developers.google.com/google-ads/api/reference/rpc/v24/AdGroupCriterion
* https://developers.google.com/google-ads/api/reference/rpc/v24/AdGroupCriterion.QualityInfo

``FROM search_term_view`` returns one row per search term and ad group (here also per keyword
matched: ``segments.keyword`` is its criterion's name and ``KeywordInfo``), named
``customers/{customer_id}/searchTermViews/{campaign_id}~{ad_group_id}~{URL-base64_search_term}``
(URL-safe base64 without padding here), ``status`` a ``SearchTermTargetingStatus``:

* https://developers.google.com/google-ads/api/reference/rpc/v24/SearchTermView
* https://developers.google.com/google-ads/api/reference/rpc/v24/Keyword
* https://developers.google.com/google-ads/api/reference/rpc/v24/SearchTermTargetingStatusEnum.SearchTermTargetingStatus

``FROM landing_page_view`` returns metrics "aggregated at the unexpanded final URL level": one
row per advertiser-specified final URL, named
``customers/{customer_id}/landingPageViews/{unexpanded_final_url_fingerprint}``. ``customer``
is an attributed resource (its fields do not segment); ``campaign`` and ``ad_group`` are
segmenting resources: selecting one of their fields splits the rows by it, as
``segments.date`` splits them by day
(https://developers.google.com/google-ads/api/reference/rpc/v24/LandingPageView,
https://developers.google.com/google-ads/api/fields/v22/landing_page_view). A page's metrics are
those of the ads whose final URL it is. Google does not document how the fingerprint is made:
here it is the first eight bytes of the URL's SHA-256, as an unsigned decimal [inferred].

Google omits search terms without "enough query activity"
(https://support.google.com/google-ads/answer/2472708): a row under ``PRIVACY_IMPRESSIONS``
impressions, counted as served (after summing days when ``segments.date`` is not selected), is
left out, so search terms add up to at most their keyword. Neither resource needs a date filter
unless ``segments.date`` is selected; without one they sum every day, as the levels above do.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sandbox.gaql import Condition, GaqlError, Literal, Query
from sandbox.google_ads_data import (
    CLICK_VIEW_DAYS,
    PRIVACY_IMPRESSIONS,
    Ad,
    AdDay,
    AdGroup,
    Campaign,
    Customer,
    GoogleAdsData,
    Keyword,
    KeywordDay,
    PaidClick,
    SearchTerm,
    SearchTermDay,
)

LEVELS = ("customer", "campaign", "ad_group", "ad_group_ad")  # FROM resources, coarse to fine
METRICS = ("impressions", "clicks", "cost_micros", "conversions", "conversions_value")
CLICK_VIEW = "click_view"
KEYWORD_VIEW, SEARCH_TERM_VIEW = "keyword_view", "search_term_view"
LANDING_PAGE_VIEW = "landing_page_view"
# Fields only one FROM resource's rows have: selectable with that resource alone.
OWN_FIELDS = {
    CLICK_VIEW: ("click_view.", "segments.click_type", "segments.device"),
    KEYWORD_VIEW: ("keyword_view.", "ad_group_criterion."),
    SEARCH_TERM_VIEW: ("search_term_view.", "segments.keyword."),
    LANDING_PAGE_VIEW: ("landing_page_view.",),
}
# Resources whose object in a row carries a resourceName.
NAMED = (
    *LEVELS,
    CLICK_VIEW,
    "ad_group_criterion",
    KEYWORD_VIEW,
    SEARCH_TERM_VIEW,
    LANDING_PAGE_VIEW,
)


@dataclass(frozen=True)
class Scope:
    """The entities one row is about; finer ones are None above their level."""

    customer: Customer
    campaign: Campaign | None = None
    ad_group: AdGroup | None = None
    ad: Ad | None = None


@dataclass
class Row:
    scope: Scope
    day: date | None = None
    totals: dict[str, float] = field(default_factory=lambda: dict.fromkeys(METRICS, 0))
    click: PaidClick | None = None  # FROM click_view: the click this row is
    keyword: Keyword | None = None  # FROM keyword_view, or the keyword a search term matched
    term: SearchTerm | None = None  # FROM search_term_view
    page: str | None = None  # FROM landing_page_view: the unexpanded final URL

    def add(self, metrics: AdDay | KeywordDay | SearchTermDay) -> None:
        for name in METRICS:
            self.totals[name] += getattr(metrics, name)


@dataclass(frozen=True)
class Field:
    kind: str  # int64, int32, double, string, bool, list
    get: Callable[[Row], Any]


def _name(resource: str, row: Row) -> str | None:
    """The resource name of ``resource`` for this row."""
    s = row.scope
    base = f"customers/{s.customer.customer_id}"
    if resource == "customer":
        return base
    if resource == "campaign" and s.campaign:
        return f"{base}/campaigns/{s.campaign.campaign_id}"
    if resource == "ad_group" and s.ad_group:
        return f"{base}/adGroups/{s.ad_group.ad_group_id}"
    if resource == "ad_group_ad" and s.ad:
        return f"{base}/adGroupAds/{s.ad.ad_group_id}~{s.ad.ad_id}"
    if resource == "ad_group_ad.ad" and s.ad:
        return f"{base}/ads/{s.ad.ad_id}"
    if resource == CLICK_VIEW and row.click:
        return f"{base}/clickViews/{row.click.day.isoformat()}~{row.click.gclid}"
    if resource in ("ad_group_criterion", KEYWORD_VIEW) and row.keyword:
        collection = "adGroupCriteria" if resource == "ad_group_criterion" else "keywordViews"
        return f"{base}/{collection}/{row.keyword.ad_group_id}~{row.keyword.criterion_id}"
    if resource == SEARCH_TERM_VIEW and row.term:
        keyword, text = row.term.keyword, row.term.text.encode()
        encoded = base64.urlsafe_b64encode(text).decode().rstrip("=")
        return f"{base}/searchTermViews/{keyword.campaign_id}~{keyword.ad_group_id}~{encoded}"
    if resource == LANDING_PAGE_VIEW and row.page:
        fingerprint = int.from_bytes(hashlib.sha256(row.page.encode()).digest()[:8], "big")
        return f"{base}/landingPageViews/{fingerprint}"
    return None


def _attr(entity: str, attribute: str) -> Callable[[Row], Any]:
    return lambda row: getattr(getattr(row.scope, entity), attribute)


def _keyword(attribute: str) -> Callable[[Row], Any]:
    return lambda row: getattr(row.keyword, attribute) if row.keyword else None


def _term(attribute: str) -> Callable[[Row], Any]:
    return lambda row: getattr(row.term, attribute) if row.term else None


FIELDS: dict[str, Field] = {
    "customer.id": Field("int64", lambda r: r.scope.customer.customer_id),
    "customer.descriptive_name": Field("string", lambda r: r.scope.customer.name),
    "customer.currency_code": Field("string", lambda r: r.scope.customer.currency),
    "customer.time_zone": Field("string", lambda r: r.scope.customer.time_zone),
    "customer.manager": Field("bool", lambda r: r.scope.customer.is_manager),
    "campaign.id": Field("int64", _attr("campaign", "campaign_id")),
    "campaign.name": Field("string", _attr("campaign", "name")),
    "campaign.status": Field("string", _attr("campaign", "status")),
    "campaign.advertising_channel_type": Field("string", _attr("campaign", "channel")),
    "ad_group.id": Field("int64", _attr("ad_group", "ad_group_id")),
    "ad_group.name": Field("string", _attr("ad_group", "name")),
    "ad_group.status": Field("string", lambda r: "ENABLED"),
    "ad_group.campaign": Field("string", lambda r: _name("campaign", r)),
    "ad_group_ad.status": Field("string", lambda r: "ENABLED"),
    "ad_group_ad.ad_group": Field("string", lambda r: _name("ad_group", r)),
    "ad_group_ad.ad.id": Field("int64", _attr("ad", "ad_id")),
    "ad_group_ad.ad.name": Field("string", _attr("ad", "name")),
    "ad_group_ad.ad.type": Field("string", _attr("ad", "ad_type")),
    "ad_group_ad.ad.final_urls": Field("list", lambda r: [r.scope.ad.final_url]),
    "segments.date": Field("string", lambda r: r.day.isoformat() if r.day else None),
    "segments.click_type": Field("string", lambda r: "URL_CLICKS"),
    "segments.device": Field("string", lambda r: r.click.device if r.click else None),
    "click_view.gclid": Field("string", lambda r: r.click.gclid if r.click else None),
    "click_view.ad_group_ad": Field("string", lambda r: _name("ad_group_ad", r)),
    # the keyword the click came through, if it came from a search ad group
    "click_view.keyword": Field("string", lambda r: _name("ad_group_criterion", r)),
    "click_view.keyword_info.text": Field("string", _keyword("text")),
    "click_view.keyword_info.match_type": Field("string", _keyword("match_type")),
    "ad_group_criterion.criterion_id": Field("int64", _keyword("criterion_id")),
    "ad_group_criterion.ad_group": Field("string", lambda r: _name("ad_group", r)),
    "ad_group_criterion.status": Field("string", lambda r: "ENABLED"),
    "ad_group_criterion.type": Field("string", lambda r: "KEYWORD"),
    "ad_group_criterion.keyword.text": Field("string", _keyword("text")),
    "ad_group_criterion.keyword.match_type": Field("string", _keyword("match_type")),
    "ad_group_criterion.quality_info.quality_score": Field("int32", _keyword("quality_score")),
    "search_term_view.search_term": Field("string", _term("text")),
    "search_term_view.status": Field("string", _term("status")),
    "search_term_view.ad_group": Field("string", lambda r: _name("ad_group", r)),
    "segments.keyword.ad_group_criterion": Field(
        "string", lambda r: _name("ad_group_criterion", r)
    ),
    "landing_page_view.unexpanded_final_url": Field("string", lambda r: r.page),
    "segments.keyword.info.text": Field("string", _keyword("text")),
    "segments.keyword.info.match_type": Field("string", _keyword("match_type")),
    "metrics.impressions": Field("int64", lambda r: r.totals["impressions"]),
    "metrics.clicks": Field("int64", lambda r: r.totals["clicks"]),
    "metrics.cost_micros": Field("int64", lambda r: r.totals["cost_micros"]),
    "metrics.conversions": Field("double", lambda r: r.totals["conversions"]),
    "metrics.conversions_value": Field("double", lambda r: r.totals["conversions_value"]),
}
for _resource in (*NAMED, "ad_group_ad.ad"):
    FIELDS[f"{_resource}.resource_name"] = Field(
        "string", lambda r, resource=_resource: _name(resource, r)
    )


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def field_mask(query: Query) -> str:
    return ",".join(".".join(camel(part) for part in name.split(".")) for name in query.fields)


def run(
    data: GoogleAdsData, customer: Customer, query: Query, today: date | None = None
) -> list[dict[str, Any]]:
    """The result rows of ``query`` on ``customer``, JSON-ready; ``today`` is the request day."""
    if query.resource == CLICK_VIEW:
        return _click_view(data, customer, query, today)
    if query.resource in (KEYWORD_VIEW, SEARCH_TERM_VIEW):
        return _keyword_views(data, customer, query)
    if query.resource == LANDING_PAGE_VIEW:
        return _landing_page_views(data, customer, query)
    if query.resource not in LEVELS:
        served = ", ".join((*LEVELS, CLICK_VIEW, KEYWORD_VIEW, SEARCH_TERM_VIEW, LANDING_PAGE_VIEW))
        raise GaqlError(
            "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
            f"Error in FROM clause: the sandbox serves {served}; not {query.resource}.",
        )
    level = LEVELS.index(query.resource)
    used = _used(query)
    for name in used:
        _check_field(name, level)
        _check_owner(name, query.resource)
    by_day = "segments.date" in query.fields
    metric_rows = by_day or any(n.split(".")[0] in ("metrics", "segments") for n in used)
    if metric_rows:
        _refuse_manager(customer)
    dated = _date_conditions(query, by_day)
    scopes = _scopes(data, customer, level)
    if metric_rows:
        rows: dict[tuple[int, date | None], Row] = {}
        for metrics in data.metrics:
            if metrics.customer_id != customer.customer_id:
                continue
            if not all(_matches(c, metrics.day.isoformat()) for c in dated):
                continue
            key = (_key(metrics, level), metrics.day if by_day else None)
            if key not in rows:
                rows[key] = Row(scopes[key[0]], key[1])
            rows[key].add(metrics)
        position = {key: index for index, key in enumerate(scopes)}
        ordered = [rows[k] for k in sorted(rows, key=lambda k: (position[k[0]], k[1]))]
    else:
        ordered = [Row(scope) for scope in scopes.values()]
    return _finish(ordered, query)


def _finish(rows: list[Row], query: Query) -> list[dict[str, Any]]:
    """Non-date filters, ORDER BY and LIMIT, then the JSON shape."""
    others = [c for c in query.conditions if c.field != "segments.date"]
    rows = [r for r in rows if all(_matches(c, FIELDS[c.field].get(r)) for c in others)]
    for name, descending in reversed(query.order_by):
        rows.sort(key=lambda r, name=name: _sortable(FIELDS[name].get(r)), reverse=descending)
    if query.limit is not None:
        rows = rows[: query.limit]
    return [_encode(row, query) for row in rows]


def _click_view(
    data: GoogleAdsData, customer: Customer, query: Query, today: date | None
) -> list[dict[str, Any]]:
    """One row per click on one day, as ``FROM click_view`` answers."""
    for name in _used(query):
        _check_field(name, LEVELS.index("ad_group_ad"))
        _check_owner(name, CLICK_VIEW)
        if name.startswith("metrics.") and name != "metrics.clicks":
            raise GaqlError(
                "PROHIBITED_METRIC_IN_SELECT_OR_WHERE_CLAUSE",
                f"The metric {name!r} cannot be selected with the resource click_view.",
            )
    _refuse_manager(customer)
    day = _single_day([c for c in query.conditions if c.field == "segments.date"])
    if day is None:
        raise GaqlError(
            "EXPECTED_FILTER_ON_A_SINGLE_DAY",
            "Queries including ClickView must have a filter limiting the results to one day.",
            category="clickViewError",
        )
    if today is not None and day < today - timedelta(days=CLICK_VIEW_DAYS):
        raise GaqlError(
            "DATE_TOO_OLD",
            "The requested date is too old.",
            category="clickViewError",
        )
    scopes = _scopes(data, customer, LEVELS.index("ad_group_ad"))
    clicks = sorted(
        (c for c in data.paid_clicks if c.customer_id == customer.customer_id and c.day == day),
        key=lambda click: (click.at_ms, click.gclid),
    )
    rows = []
    for click in clicks:
        row = Row(scopes[click.ad_id], click.day, click=click, keyword=data.click_keyword(click))
        row.totals["clicks"] = 1
        rows.append(row)
    return _finish(rows, query)


def _keyword_views(data: GoogleAdsData, customer: Customer, query: Query) -> list[dict[str, Any]]:
    """``FROM keyword_view`` or ``FROM search_term_view``: the search ad groups' keywords, or
    the search terms they matched, summed over the days unless ``segments.date`` is selected."""
    for name in _used(query):
        _check_field(name, LEVELS.index("ad_group"))
        _check_owner(name, query.resource)
    _refuse_manager(customer)
    by_day = "segments.date" in query.fields
    dated = _date_conditions(query, by_day)
    terms = query.resource == SEARCH_TERM_VIEW
    scopes = _scopes(data, customer, LEVELS.index("ad_group"))
    rows: dict[tuple[Keyword, SearchTerm | None, date | None], Row] = {}
    for metrics in data.search_term_metrics if terms else data.keyword_metrics:
        keyword, term = _criterion(metrics)
        if keyword.customer_id != customer.customer_id:
            continue
        if not all(_matches(c, metrics.day.isoformat()) for c in dated):
            continue
        key = (keyword, term, metrics.day if by_day else None)
        if key not in rows:
            rows[key] = Row(scopes[keyword.ad_group_id], key[2], keyword=keyword, term=term)
        rows[key].add(metrics)
    # Google's privacy threshold applies to the rows as served, after summing.
    served = [
        r for r in rows.values() if not terms or r.totals["impressions"] >= PRIVACY_IMPRESSIONS
    ]
    position = {entity: n for n, entity in enumerate((*data.keywords, *data.search_terms))}
    served.sort(key=lambda r: (position[r.term or r.keyword], r.day or date.min))
    return _finish(served, query)


def _landing_page_views(
    data: GoogleAdsData, customer: Customer, query: Query
) -> list[dict[str, Any]]:
    """``FROM landing_page_view``: the ads' metrics per final URL, split by campaign, ad group
    and day only when the query selects them (segmenting resources)."""
    used = _used(query)
    for name in used:
        _check_field(name, LEVELS.index("ad_group"))
        _check_owner(name, LANDING_PAGE_VIEW)
    _refuse_manager(customer)
    by_day = "segments.date" in query.fields
    dated = _date_conditions(query, by_day)
    level = max(
        (
            LEVELS.index(r)
            for r in ("campaign", "ad_group")
            if any(n.startswith(f"{r}.") for n in used)
        ),
        default=0,
    )
    scopes = _scopes(data, customer, level)
    final_urls = {ad.ad_id: ad.final_url for ad in data.ads}
    rows: dict[tuple[str, int, date | None], Row] = {}
    for metrics in data.metrics:
        if metrics.customer_id != customer.customer_id:
            continue
        if not all(_matches(c, metrics.day.isoformat()) for c in dated):
            continue
        page = final_urls[metrics.ad_id]
        key = (page, _key(metrics, level), metrics.day if by_day else None)
        if key not in rows:
            rows[key] = Row(scopes[key[1]], key[2], page=page)
        rows[key].add(metrics)
    position = {key: index for index, key in enumerate(scopes)}
    ordered = [
        rows[k] for k in sorted(rows, key=lambda k: (k[0], position[k[1]], k[2] or date.min))
    ]
    return _finish(ordered, query)


def _criterion(metrics: KeywordDay | SearchTermDay) -> tuple[Keyword, SearchTerm | None]:
    """The keyword a metrics row is about, and its search term if it is a search term's."""
    if isinstance(metrics, SearchTermDay):
        return metrics.term.keyword, metrics.term
    return metrics.keyword, None


def _refuse_manager(customer: Customer) -> None:
    if customer.is_manager:
        raise GaqlError(
            "REQUESTED_METRICS_FOR_MANAGER",
            "Metrics cannot be requested for a manager account. Query each client account instead.",
        )


def _date_conditions(query: Query, by_day: bool) -> list[Condition]:
    """The ``segments.date`` conditions; selecting ``segments.date`` requires a bounded range."""
    dated = [c for c in query.conditions if c.field == "segments.date"]
    if by_day and not _bounded(dated):
        raise GaqlError(
            "EXPECTED_FILTERS_ON_DATE_RANGE",
            "Filters on the following field must be present in WHERE clause: 'segments.date'.",
        )
    return dated


def _used(query: Query) -> list[str]:
    """Every field a query names: SELECT, WHERE and ORDER BY."""
    return [*query.fields, *(c.field for c in query.conditions), *(f for f, _ in query.order_by)]


def _check_owner(name: str, resource: str) -> None:
    """Fields only another FROM resource's rows have are an error, as Google's incompatible
    field errors are."""
    for owner, prefixes in OWN_FIELDS.items():
        if owner != resource and name.startswith(prefixes):
            raise GaqlError(
                "PROHIBITED_FIELD_IN_SELECT_CLAUSE",
                f"The field {name!r} can only be selected with FROM {owner} in the sandbox.",
            )


def _single_day(conditions: list[Condition]) -> date | None:
    """The one day ``segments.date`` conditions pin (``=``, or a one-day BETWEEN / IN)."""
    if len(conditions) != 1:
        return None
    (condition,) = conditions
    values = {_coerce(None, value, "segments.date") for value in condition.values}
    if condition.operator not in ("=", "BETWEEN", "IN") or len(values) != 1:
        return None
    return date.fromisoformat(values.pop())


def _check_field(name: str, level: int) -> None:
    if name not in FIELDS:
        raise GaqlError("UNRECOGNIZED_FIELD", f"Unrecognized field in the query: {name!r}.")
    resource = name.split(".")[0]
    if resource in LEVELS and LEVELS.index(resource) > level:
        raise GaqlError(
            "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE",
            f"The field {name!r} cannot be selected with the resource in the FROM clause.",
        )


def _bounded(conditions: list[Condition]) -> bool:
    operators = {c.operator for c in conditions}
    return bool(operators & {"=", "BETWEEN", "IN"}) or (
        bool(operators & {">", ">="}) and bool(operators & {"<", "<="})
    )


def _scopes(data: GoogleAdsData, customer: Customer, level: int) -> dict[int, Scope]:
    """Entities at ``level`` for one account, in a stable order, keyed by their id."""
    if level == 0:
        return {customer.customer_id: Scope(customer)}
    campaigns = {c.campaign_id: c for c in data.campaigns if c.customer_id == customer.customer_id}
    if level == 1:
        return {i: Scope(customer, c) for i, c in campaigns.items()}
    groups = {g.ad_group_id: g for g in data.ad_groups if g.campaign_id in campaigns}
    if level == 2:
        return {i: Scope(customer, campaigns[g.campaign_id], g) for i, g in groups.items()}
    return {
        a.ad_id: Scope(customer, campaigns[a.campaign_id], groups[a.ad_group_id], a)
        for a in data.ads
        if a.ad_group_id in groups
    }


def _key(metrics: AdDay, level: int) -> int:
    return (metrics.customer_id, metrics.campaign_id, metrics.ad_group_id, metrics.ad_id)[level]


def _matches(condition: Condition, value: Any) -> bool:
    if value is None:  # an unset field (a keyword without a quality score) equals nothing
        return condition.operator in ("!=", "NOT IN")
    wanted = [_coerce(value, literal, condition.field) for literal in condition.values]
    match condition.operator:
        case "=":
            return value == wanted[0]
        case "!=":
            return value != wanted[0]
        case ">":
            return value > wanted[0]
        case ">=":
            return value >= wanted[0]
        case "<":
            return value < wanted[0]
        case "<=":
            return value <= wanted[0]
        case "BETWEEN":
            return wanted[0] <= value <= wanted[1]
        case "IN":
            return value in wanted
        case _:  # NOT IN
            return value not in wanted


def _coerce(value: Any, literal: Literal, name: str) -> Any:
    """A literal as the type of the field it is compared with."""
    try:
        if name == "segments.date":
            return date.fromisoformat(str(literal)).isoformat()
        if isinstance(value, bool):
            return str(literal).upper() == "TRUE"
        if isinstance(value, int | float):
            return type(value)(literal)
    except ValueError as error:
        raise GaqlError("BAD_VALUE", f"Invalid value {literal!r} for {name!r}.") from error
    return str(literal)


def _sortable(value: Any) -> tuple[bool, Any]:
    return (value is None, value if value is not None else 0)


def _encode(row: Row, query: Query) -> dict[str, Any]:
    result: dict[str, Any] = {}
    # The FROM resource and every selected resource carry their resourceName.
    for name in (f"{query.resource}.resource_name", *query.fields):
        resource = name.split(".")[0]
        if resource in NAMED:
            result.setdefault(camel(resource), {"resourceName": _name(resource, row)})
        if name.startswith("ad_group_ad.ad."):
            result["adGroupAd"].setdefault("ad", {"resourceName": _name("ad_group_ad.ad", row)})
        if resource == "metrics":
            result.setdefault("metrics", {})
    for name in query.fields:
        spec = FIELDS[name]
        value = spec.get(row)
        if value is None or (name.startswith("metrics.") and value == 0):
            continue  # proto3 JSON leaves out defaults: zero metrics are absent
        if spec.kind == "int64":
            value = str(value)
        elif spec.kind == "double":
            value = float(value)
        *parents, leaf = [camel(part) for part in name.split(".")]
        target = result
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return result
