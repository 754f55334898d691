"""Meta Ads pre-flight checks: the token works (and its app secret proof, if the app requires
one), it holds ``ads_read``, and each configured ad account answers and is active.

Three kinds of call: ``GET /me`` (a system user token's ``me`` is the system user),
``GET /me/permissions`` and ``GET /act_{id}?fields=name,account_status,currency`` per account.
"""

from __future__ import annotations

import time
from datetime import date

from extract.http import Sleep
from extract.meta_ads.client import MetaAdsClient
from extract.meta_ads.settings import MetaAdsSettings
from extract.preflight import Check, Level, failed, guarded

SOURCE = "meta_ads"
READ_PERMISSIONS = frozenset({"ads_read", "ads_management"})  # either lets Thinline read
# AdAccount.account_status (https://developers.facebook.com/docs/marketing-api/reference/ad-account/)
ACCOUNT_STATUSES = {
    1: "ACTIVE",
    2: "DISABLED",
    3: "UNSETTLED",
    7: "PENDING_RISK_REVIEW",
    8: "PENDING_SETTLEMENT",
    9: "IN_GRACE_PERIOD",
    100: "PENDING_CLOSURE",
    101: "CLOSED",
    201: "ANY_ACTIVE",
    202: "ANY_CLOSED",
}
ACCOUNT_FIELDS = ("name", "account_status", "currency")


def run_preflight(
    settings: MetaAdsSettings, today: date, *, sleep: Sleep = time.sleep
) -> list[Check]:
    """Token (and app secret proof), ``ads_read``, each ad account: ``thinline doctor``.
    The version is checked against ``versions.toml`` by the doctor, not here."""
    with MetaAdsClient(settings, sleep=sleep) as api:
        return preflight(api)


def preflight(api: MetaAdsClient) -> list[Check]:
    """One row for the token, one for its permissions, one per ad account."""
    checks = guarded(SOURCE, "token", lambda: check_token(api))
    if failed(checks):
        return checks  # nothing else answers without a working token
    checks += guarded(SOURCE, "permissions", lambda: check_permissions(api))
    for account_id in api.account_ids:
        name = f"account act_{account_id}"
        checks += guarded(SOURCE, name, lambda account=account_id: check_account(api, account))
    return checks


def check_token(api: MetaAdsClient) -> Check:
    me = api.me()
    proof = " with the app secret proof" if api.signs_calls else ""
    return Check(SOURCE, "token", Level.OK, f"accepted{proof} for {me.get('name') or 'a user'}")


def check_permissions(api: MetaAdsClient) -> Check:
    granted = sorted(
        str(row.get("permission")) for row in api.permissions() if row.get("status") == "granted"
    )
    if READ_PERMISSIONS.isdisjoint(granted):
        return Check(
            SOURCE,
            "permissions",
            Level.FAIL,
            f"the token lacks ads_read (granted: {', '.join(granted) or 'none'})",
            "generate the system user's token with ads_read, then set "
            "THINLINE_META_ADS__ACCESS_TOKEN",
        )
    reads = ", ".join(sorted(READ_PERMISSIONS.intersection(granted)))
    return Check(SOURCE, "permissions", Level.OK, f"{reads} granted")


def check_account(api: MetaAdsClient, account_id: str) -> Check:
    account = api.account(account_id, ACCOUNT_FIELDS)
    code = account.get("account_status")
    status = ACCOUNT_STATUSES.get(code, str(code)) if isinstance(code, int) else str(code)
    detail = f"{account.get('name')!r} ({account.get('currency')}) is {status}"
    if status != "ACTIVE":
        return Check(
            SOURCE,
            f"account act_{account_id}",
            Level.WARN,
            detail + ": Meta may return no new data for it",
            "reactivate it in Ads Manager, or drop it from THINLINE_META_ADS__ACCOUNT_IDS",
        )
    return Check(SOURCE, f"account act_{account_id}", Level.OK, detail)
