"""HubSpot pre-flight checks (``thinline doctor``): the key works, each object Thinline reads
is readable with its scopes, and the properties Thinline's models read are on the portal.

One cheap call per row: account details, one record of each object (the sales engagements
too: emails need ``sales-email-read`` besides the contacts scope), the deal pipelines, one
owner, one exchange rate (scope ``settings.currencies.read``; a portal without multi-currency
answers an empty list, which passes), the property definitions of each object (ten calls).
The API version was checked against ``versions.toml`` before these run.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date
from typing import Any

from extract.base import SourceError
from extract.http import Sleep
from extract.hubspot.client import HubSpotClient
from extract.hubspot.settings import HubSpotSettings
from extract.hubspot.streams import CRM_OBJECTS, ENGAGEMENTS, CrmObject
from extract.preflight import Check, Level, failed, guarded

SOURCE = "hubspot"
LISTED = 5  # names shown in a one-line detail before "…"


def run_preflight(
    settings: HubSpotSettings, today: date, *, sleep: Sleep = time.sleep
) -> list[Check]:
    """The rows of ``thinline doctor`` for HubSpot (``today`` is for the framework's checks)."""
    with HubSpotClient(settings, sleep=sleep) as api:
        checks = guarded(SOURCE, "token", lambda: check_token(api))
        if failed(checks):
            return checks  # a rejected key answers nothing else
        reads = [
            (f"read {c.object_type}", api.path("crm/objects", c.object_type))
            for c in (*CRM_OBJECTS, *ENGAGEMENTS)
        ]
        reads += [
            ("read deal pipelines", api.path("crm/pipelines", "deals")),
            ("read owners", api.path("crm/owners")),
            ("read exchange rates", api.path("settings/currencies", "exchange-rates")),
        ]
        for name, path in reads:
            checks += guarded(SOURCE, name, lambda n=name, p=path: check_read(api, n, p))
        for crm in CRM_OBJECTS:
            name = f"properties {crm.object_type}"
            checks += guarded(SOURCE, name, lambda c=crm, n=name: check_properties(api, c, n))
        return checks


def check_token(api: HubSpotClient) -> Check:
    """Account details: any valid key may read them (a 403 still means HubSpot took the key)."""
    try:
        details = api.page(api.path("account-info", "details"), {})
    except SourceError as error:
        if not str(error).startswith(f"{SOURCE}: 403 "):
            raise
        return Check(SOURCE, "token", Level.OK, "accepted (account details need another scope)")
    portal, kind = details.get("portalId"), details.get("accountType") or "account"
    return Check(SOURCE, "token", Level.OK, f"accepted by portal {portal} ({kind.lower()})")


def check_read(api: HubSpotClient, name: str, path: str) -> Check:
    """One record of ``path``: the key's scopes cover it, or HubSpot's 403 names the missing
    ones (the error's fix, via :func:`guarded`)."""
    api.page(path, {"limit": 1})
    return Check(SOURCE, name, Level.OK, f"readable at {path}")


def check_properties(api: HubSpotClient, crm: CrmObject, name: str) -> Check:
    """The properties Thinline's models read, and the configured ones, are on the portal."""
    listed = api.properties(crm.object_type)
    names = {str(item.get("name")) for item in listed}
    custom = sorted(str(item.get("name")) for item in listed if not item.get("hubspotDefined"))
    chosen = api.settings.property_choice(crm.object_type)
    missing_standard = [p for p in crm.properties if p not in names]
    missing_chosen = [p for p in chosen or () if p not in names]
    read = "all of them" if chosen is None else f"{len(chosen)} configured + Thinline's own"
    detail = f"{len(names)} properties ({len(custom)} custom: {_few(custom)}); reads {read}"
    absent = [p for p in crm.custom if p not in names]
    if absent:
        detail += f"; not on this portal (read when present): {_few(absent)}"
    if not missing_standard and not missing_chosen:
        return Check(SOURCE, name, Level.OK, detail)
    problems, fixes = [], []
    if missing_chosen:
        problems.append(f"configured but not on the portal: {_few(missing_chosen)}")
        env = api.settings.property_env(crm.object_type)
        fixes.append(f"create them in HubSpot (Settings > Properties) or remove them from {env}")
    if missing_standard:
        problems.append(
            f"HubSpot properties Thinline reads are not listed: {_few(missing_standard)}"
        )
        fixes.append(
            "check the key in THINLINE_HUBSPOT__TOKEN may read them (sensitive-data scopes)"
        )
    return Check(SOURCE, name, Level.WARN, "; ".join(problems), "; ".join(fixes))


def _few(names: Iterable[Any]) -> str:
    shown = [str(name) for name in names]
    if not shown:
        return "none"
    more = f", … ({len(shown)} in all)" if len(shown) > LISTED else ""
    return ", ".join(shown[:LISTED]) + more
