"""LinkedIn Ads pre-flight checks: the token works (refreshed first when refresh settings are
given), each sponsored account answers and is active, and the token may read reports.

Calls: the refresh-token grant (or ``GET /rest/adAccounts/{first id}``), ``GET
/rest/adAccounts/{id}`` per account, and one 1-day ``adAnalytics`` call, which needs the
``r_ads_reporting`` scope (https://learn.microsoft.com/en-us/linkedin/marketing/integrations/
ads-reporting/ads-reporting).
"""

from __future__ import annotations

import time
from datetime import date, timedelta

from extract.http import Sleep
from extract.linkedin_ads.client import LinkedInAdsClient, configured_token
from extract.linkedin_ads.settings import LinkedInAdsSettings
from extract.preflight import Check, Level, failed, guarded

SOURCE = "linkedin_ads"
REFRESH_WARN_DAYS = 30  # refresh tokens last 365 days from issue; using one never resets it


def run_preflight(
    settings: LinkedInAdsSettings, today: date, *, sleep: Sleep = time.sleep
) -> list[Check]:
    """Token (refreshed if it can be), each account, reporting access: ``thinline doctor``.
    The version is checked against ``versions.toml`` by the doctor, not here."""
    with LinkedInAdsClient(settings, configured_token(settings), sleep=sleep) as api:
        return preflight(api, today)


def preflight(api: LinkedInAdsClient, today: date) -> list[Check]:
    """One row for the token, one per account, one for reporting access."""
    checks = guarded(SOURCE, "token", lambda: check_token(api))
    if failed(checks):
        return checks  # nothing else answers without a working token
    reachable: list[int] = []
    for account_id in api.account_ids:
        name = f"account {account_id}"
        rows = guarded(SOURCE, name, lambda account=account_id: check_account(api, account))
        reachable += [] if failed(rows) else [account_id]
        checks += rows
    if reachable:  # reporting access is about the token, asked of an account it can read
        day = today - timedelta(days=1)
        checks += guarded(SOURCE, "reporting", lambda: check_reporting(api, reachable[0], day))
    return checks


def check_token(api: LinkedInAdsClient) -> Check:
    if not api.settings.can_refresh():
        api.account(api.account_ids[0])
        detail = "access token accepted (no refresh settings: it lasts 60 days from issue)"
        return Check(SOURCE, "token", Level.OK, detail)
    seconds = api.refresh()
    if seconds is None:
        return Check(SOURCE, "token", Level.OK, "refreshed with the refresh token")
    days = int(seconds // 86_400)
    detail = f"refreshed with the refresh token, which expires in {days} days"
    if days <= REFRESH_WARN_DAYS:
        fix = "re-authorize the app (3-legged OAuth) and set THINLINE_LINKEDIN_ADS__REFRESH_TOKEN"
        return Check(SOURCE, "token", Level.WARN, detail, fix)
    return Check(SOURCE, "token", Level.OK, detail)


def check_account(api: LinkedInAdsClient, account_id: int) -> Check:
    account = api.account(account_id)
    status = str(account.get("status"))
    detail = f"{account.get('name')!r} ({account.get('currency')}) is {status}"
    if status != "ACTIVE":
        return Check(
            SOURCE,
            f"account {account_id}",
            Level.WARN,
            detail + ": LinkedIn may have no new data for it",
            "reactivate it in Campaign Manager, or drop it from THINLINE_LINKEDIN_ADS__ACCOUNT_IDS",
        )
    return Check(SOURCE, f"account {account_id}", Level.OK, detail)


def check_reporting(api: LinkedInAdsClient, account_id: int, day: date) -> Check:
    elements = api.analytics(account_id, day, day, ("dateRange", "pivotValues", "impressions"))
    detail = f"adAnalytics answered for {day} ({len(elements)} elements): r_ads_reporting granted"
    return Check(SOURCE, "reporting", Level.OK, detail)
