"""Runs a parsed GAQL query against one account of the world and shapes rows as the REST API does.

Rows nest by resource in lowerCamelCase (``adGroupAd.ad.id``), int64 values are strings,
doubles are numbers, zero metrics are left out, and each selected resource carries its
``resourceName``. Metrics of a campaign or ad group are the sums of its ads' metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sandbox.gaql import Condition, GaqlError, Literal, Query
from sandbox.google_ads_data import Ad, AdDay, AdGroup, Campaign, Customer, GoogleAdsData

LEVELS = ("customer", "campaign", "ad_group", "ad_group_ad")  # FROM resources, coarse to fine
METRICS = ("impressions", "clicks", "cost_micros", "conversions", "conversions_value")


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

    def add(self, metrics: AdDay) -> None:
        for name in METRICS:
            self.totals[name] += getattr(metrics, name)


@dataclass(frozen=True)
class Field:
    kind: str  # int64, double, string, bool, list
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
    return None


def _attr(entity: str, attribute: str) -> Callable[[Row], Any]:
    return lambda row: getattr(getattr(row.scope, entity), attribute)


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
    "metrics.impressions": Field("int64", lambda r: r.totals["impressions"]),
    "metrics.clicks": Field("int64", lambda r: r.totals["clicks"]),
    "metrics.cost_micros": Field("int64", lambda r: r.totals["cost_micros"]),
    "metrics.conversions": Field("double", lambda r: r.totals["conversions"]),
    "metrics.conversions_value": Field("double", lambda r: r.totals["conversions_value"]),
}
for _resource in (*LEVELS, "ad_group_ad.ad"):
    FIELDS[f"{_resource}.resource_name"] = Field(
        "string", lambda r, resource=_resource: _name(resource, r)
    )


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def field_mask(query: Query) -> str:
    return ",".join(".".join(camel(part) for part in name.split(".")) for name in query.fields)


def run(data: GoogleAdsData, customer: Customer, query: Query) -> list[dict[str, Any]]:
    """The result rows of ``query`` on ``customer``, JSON-ready."""
    if query.resource not in LEVELS:
        raise GaqlError(
            "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
            f"Error in FROM clause: the sandbox serves {', '.join(LEVELS)}; not {query.resource}.",
        )
    level = LEVELS.index(query.resource)
    used = [*query.fields, *(c.field for c in query.conditions), *(f for f, _ in query.order_by)]
    for name in used:
        _check_field(name, level)
    by_day = "segments.date" in query.fields
    metric_rows = by_day or any(n.split(".")[0] in ("metrics", "segments") for n in used)
    if metric_rows and customer.is_manager:
        raise GaqlError(
            "REQUESTED_METRICS_FOR_MANAGER",
            "Metrics cannot be requested for a manager account. Query each client account instead.",
        )
    dated = [c for c in query.conditions if c.field == "segments.date"]
    if by_day and not _bounded(dated):
        raise GaqlError(
            "EXPECTED_FILTERS_ON_DATE_RANGE",
            "Filters on the following field must be present in WHERE clause: 'segments.date'.",
        )
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
    others = [c for c in query.conditions if c.field != "segments.date"]
    ordered = [r for r in ordered if all(_matches(c, FIELDS[c.field].get(r)) for c in others)]
    for name, descending in reversed(query.order_by):
        ordered.sort(key=lambda r, name=name: _sortable(FIELDS[name].get(r)), reverse=descending)
    if query.limit is not None:
        ordered = ordered[: query.limit]
    return [_encode(row, query) for row in ordered]


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
        if resource in LEVELS:
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
