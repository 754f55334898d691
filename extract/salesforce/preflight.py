"""Salesforce pre-flight checks (``thinline doctor``), in the order a night's extract needs them.

1. ``token``: the configured grant answers a session (else Salesforce's OAuth error, and the
   settings to fix).
2. ``api version (org)``: the org serves the configured version (``GET /services/data/``, free).
3. ``currency``: multi-currency (records carry ``CurrencyIsoCode``) or single-currency (every
   amount is in ``Organization.DefaultCurrencyIsoCode``, which only such orgs have). A
   multi-currency org whose integration user cannot see ``CurrencyType`` (Describe Global does
   not list it) is a WARN: its deals would convert at the ECB's rates, not the org's.
4. ``fields <Object>``: each object Thinline reads is describable and shows the integration user
   every field Thinline's models need (else: its field-level security / permission set).
5. ``api usage``: ``DailyApiRequests`` from ``/limits``; WARN when under :data:`LOW_SHARE` is left.

About a dozen calls: one token, one describe per object (the run reuses none of them), one
``/limits``, Describe Global in a multi-currency org and one SOQL row in a single-currency one.
"""

from __future__ import annotations

import functools
import time
from datetime import date

from extract.api_versions import default_version
from extract.base import SourceError
from extract.http import Sleep
from extract.oauth import AccessToken
from extract.preflight import Check, Level, failed, guarded
from extract.salesforce.client import SalesforceClient
from extract.salesforce.fields import FLS_FIX, missing_required, readable_fields
from extract.salesforce.settings import SalesforceSettings
from extract.salesforce.streams import ACTIVITY_OBJECTS, OBJECTS, SObjectType, org_objects

SOURCE = "salesforce"
LOW_SHARE = 0.10  # of the org's rolling 24-hour API request allowance


def preflight(
    settings: SalesforceSettings, today: date, *, sleep: Sleep = time.sleep
) -> list[Check]:
    """One row per check; a failing call is a FAIL row, never an exception."""
    with SalesforceClient(settings, AccessToken(), sleep=sleep) as api:
        checks = guarded(SOURCE, "token", functools.partial(_token, api))
        if failed(checks):
            return checks  # nothing else answers without a session
        checks += guarded(SOURCE, "api version (org)", functools.partial(_version, api))
        if failed(checks):
            return checks  # a retired version answers nothing else
        checks += guarded(SOURCE, "currency", functools.partial(_currency, api))
        for sobject in (*OBJECTS, *ACTIVITY_OBJECTS):
            name = f"fields {sobject.name}"
            checks += guarded(SOURCE, name, functools.partial(_fields, api, sobject))
        checks += guarded(SOURCE, "api usage", functools.partial(_usage, api))
    return checks


def _token(api: SalesforceClient) -> Check:
    instance = api.session()
    flow = api.settings.auth_flow.replace("_", " ")
    return Check(SOURCE, "token", Level.OK, f"a session for {instance} ({flow} flow)")


def _version(api: SalesforceClient) -> Check:
    version = api.settings.api_version
    served = api.versions()
    span = f"{served[0]} to {served[-1]}" if served else "none"
    if version in served:
        return Check(SOURCE, "api version (org)", Level.OK, f"the org serves {version} ({span})")
    later = served and _number(version) > _number(served[-1])
    detail = (
        f"the org does not serve {version} yet (it serves {span})"
        if later
        else f"the org no longer serves {version} (it serves {span})"
    )
    fix = (
        f"set THINLINE_SALESFORCE__API_VERSION to {default_version(SOURCE)} (README: API versions)"
    )
    return Check(SOURCE, "api version (org)", Level.FAIL, detail, fix)


def _currency(api: SalesforceClient) -> Check:
    if "DefaultCurrencyIsoCode" not in readable_fields(api.describe("Organization")):
        return _multi_currency(api)
    (page,) = list(api.query_all("SELECT Id, DefaultCurrencyIsoCode FROM Organization"))
    code = next((r.get("DefaultCurrencyIsoCode") for r in page["records"]), None)
    if not code:
        return Check(
            SOURCE,
            "currency",
            Level.WARN,
            "single-currency, but Organization.DefaultCurrencyIsoCode is empty",
            "check the org's currency under Setup > Company Information",
        )
    return Check(SOURCE, "currency", Level.OK, f"single-currency, amounts in {code}")


def _multi_currency(api: SalesforceClient) -> Check:
    """Which of the org's own rates the integration user can read (Thinline's first choice for
    converting the org's deals, var fx_rate_sources)."""
    visible = org_objects(api)
    if "CurrencyType" not in visible:
        return Check(
            SOURCE,
            "currency",
            Level.WARN,
            "multi-currency, but the integration user cannot see CurrencyType: deals convert "
            "at the ECB's rates, not the org's",
            "give the integration user read access to CurrencyType (and DatedConversionRate "
            "with advanced currency management) in its profile or a permission set",
        )
    rates = (
        "dated rates (advanced currency management)"
        if "DatedConversionRate" in visible
        else "static rates (no advanced currency management)"
    )
    return Check(
        SOURCE, "currency", Level.OK, f"multi-currency (each record's CurrencyIsoCode), {rates}"
    )


def _fields(api: SalesforceClient, sobject: SObjectType) -> Check:
    name = f"fields {sobject.name}"
    describe = api.describe(sobject.name)
    if missing := missing_required(sobject, describe):
        hidden = ", ".join(f"{sobject.name}.{field}" for field in missing)
        detail = f"the integration user cannot see {hidden}"
        return Check(SOURCE, name, Level.FAIL, detail, FLS_FIX)
    readable = readable_fields(describe)
    custom = sum(bool(field.get("custom")) for field in readable.values())
    detail = (
        f"{len(readable)} fields readable ({custom} custom), all {len(sobject.required)} needed"
    )
    return Check(SOURCE, name, Level.OK, detail)


def _usage(api: SalesforceClient) -> Check:
    try:
        limits = api.get(f"{api.data_path}/limits")
        daily = limits["DailyApiRequests"]
        allowance, left = int(daily["Max"]), int(daily["Remaining"])
    except (SourceError, KeyError, TypeError, ValueError) as error:
        return Check(
            SOURCE,
            "api usage",
            Level.WARN,
            f"could not read /limits ({str(error).partition(' — ')[0]})",
            "give the integration user View Setup and Configuration to see the org's API usage",
        )
    share = left / allowance if allowance else 0.0
    detail = f"DailyApiRequests: {left} of {allowance} left ({share:.0%})"
    if share < LOW_SHARE:
        fix = (
            "other integrations are spending the org's rolling 24-hour allowance; run when it "
            "frees up, or ask Salesforce for more"
        )
        return Check(SOURCE, "api usage", Level.WARN, detail, fix)
    return Check(SOURCE, "api usage", Level.OK, detail)


def _number(version: str) -> float:
    try:
        return float(version.removeprefix("v"))
    except ValueError:
        return 0.0
