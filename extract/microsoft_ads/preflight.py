"""Microsoft Advertising pre-flight checks: the refresh token gives an access token, and each
account answers ``GetAccount`` and is active.

Calls: the refresh-token grant, then ``POST /CustomerManagement/v13/Account/Query`` per account
(https://learn.microsoft.com/en-us/advertising/customer-management-service/getaccount).
"""

from __future__ import annotations

import time
from datetime import date

from extract.http import Sleep
from extract.microsoft_ads.client import MicrosoftAdsClient
from extract.microsoft_ads.settings import MicrosoftAdsSettings
from extract.oauth import AccessToken
from extract.preflight import Check, Level, failed, guarded

SOURCE = "microsoft_ads"


def run_preflight(
    settings: MicrosoftAdsSettings, today: date, *, sleep: Sleep = time.sleep
) -> list[Check]:
    """Token, then each account: ``thinline doctor``. The version is checked against
    ``versions.toml`` by the doctor, not here."""
    token = AccessToken()
    accounts = settings.account_id_list()
    with MicrosoftAdsClient(settings, token, accounts[0], sleep=sleep) as api:
        checks = guarded(SOURCE, "token", lambda: check_token(api))
    if failed(checks):
        return checks  # nothing else answers without a working token
    for account_id in accounts:
        with MicrosoftAdsClient(settings, token, account_id, sleep=sleep) as api:
            checks += guarded(SOURCE, f"account {account_id}", lambda api=api: check_account(api))
    return checks


def check_token(api: MicrosoftAdsClient) -> Check:
    api.refresh()
    return Check(SOURCE, "token", Level.OK, "refreshed with the refresh token")


def check_account(api: MicrosoftAdsClient) -> Check:
    account = api.account()
    status = str(account.get("AccountLifeCycleStatus"))
    name = f"account {api.account_id}"
    detail = f"{account.get('Name')!r} ({account.get('CurrencyCode')}) is {status}"
    if status != "Active":
        return Check(
            SOURCE,
            name,
            Level.WARN,
            detail + ": Microsoft may have no new data for it",
            "reactivate it, or drop it from THINLINE_MICROSOFT_ADS__ACCOUNT_IDS",
        )
    return Check(SOURCE, name, Level.OK, detail)
