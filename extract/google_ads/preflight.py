"""Pre-flight checks of the Google Ads connector (``thinline doctor``), in a handful of calls.

* oauth token: the refresh token still trades for an access token with the ``adwords`` scope.
* api access: Google accepts Thinline's requests (``customers:listAccessibleCustomers``): the API
  version is served, and the developer token, while Google still read one, was valid.
* customer <id>: each configured account answers one cheap GAQL through ``login-customer-id``;
  this is also where a Cloud project with Test access only is refused.
* fields: every report Thinline runs parses on the configured version (``LIMIT 1``, one day).
"""

from __future__ import annotations

from datetime import date, timedelta

from extract.base import SourceError
from extract.google_ads.client import GoogleAdsClient
from extract.google_ads.settings import DEVELOPER_TOKEN_SUNSET, GoogleAdsSettings
from extract.google_ads.streams import CLICK_VIEWS, REPORTS
from extract.http import Sleep
from extract.oauth import AccessToken
from extract.preflight import Check, Level, failed, guarded

SOURCE = "google_ads"
ADWORDS_SCOPE = "https://www.googleapis.com/auth/adwords"
ACCOUNT_QUERY = (
    "SELECT customer.id, customer.descriptive_name, customer.currency_code FROM customer LIMIT 1"
)
QUERY_ERRORS = ("queryError.", "queryParsingError.", "fieldError.")


def preflight(settings: GoogleAdsSettings, today: date, *, sleep: Sleep) -> list[Check]:
    """One row per thing checked; a failed sign-in or API access stops the rest."""
    with GoogleAdsClient(settings, AccessToken(), sleep=sleep) as api:
        checks = guarded(SOURCE, "oauth token", lambda: oauth_token(api))
        if failed(checks):
            return checks
        checks += guarded(SOURCE, "api access", lambda: api_access(api, today))
        if failed(checks):
            return checks
        reachable = []
        for customer_id in api.customer_ids:
            row = guarded(SOURCE, f"customer {customer_id}", lambda c=customer_id: account(api, c))
            checks += row
            if not failed(row):
                reachable.append(customer_id)
        if reachable:
            checks += guarded(SOURCE, "fields", lambda: fields(api, reachable[0], today))
        return checks


def oauth_token(api: GoogleAdsClient) -> Check:
    api.sign_in()
    scope = str(api.token.granted.get("scope") or "")
    if ADWORDS_SCOPE not in scope.split():
        return Check(
            SOURCE,
            "oauth token",
            Level.FAIL,
            f"the access token lacks the {ADWORDS_SCOPE} scope (has: {scope or 'none'})",
            f"authorize THINLINE_GOOGLE_ADS__REFRESH_TOKEN again with the {ADWORDS_SCOPE} scope",
        )
    return Check(SOURCE, "oauth token", Level.OK, "Google issued an access token (adwords scope)")


def api_access(api: GoogleAdsClient, today: date) -> Check:
    direct = api.accessible_customers()
    if today >= DEVELOPER_TOKEN_SUNSET:
        token = f"no developer token needed (Google ignores it since {DEVELOPER_TOKEN_SUNSET})"
    else:
        token = "developer token accepted"
    detail = (
        f"{api.settings.api_version} accepts this OAuth client; {token}; "
        f"{len(direct)} account(s) directly accessible"
    )
    return Check(SOURCE, "api access", Level.OK, detail)


def account(api: GoogleAdsClient, customer_id: str) -> Check:
    rows = list(api.search_stream(customer_id, ACCOUNT_QUERY))
    customer = rows[0].get("customer", {}) if rows else {}
    via = api.settings.login_customer_id
    detail = f"{customer.get('descriptiveName', '?')} ({customer.get('currencyCode', '?')})" + (
        f" through manager {via}" if via else ""
    )
    return Check(SOURCE, f"customer {customer_id}", Level.OK, detail)


def fields(api: GoogleAdsClient, customer_id: str, today: date) -> Check:
    """Each report's GAQL, limited to one row of yesterday, so a renamed field shows now."""
    day = today - timedelta(days=1)
    version = api.settings.api_version
    for report in (*REPORTS, CLICK_VIEWS):
        query = report.query(day, day) if report.daily or report is CLICK_VIEWS else report.query()
        try:
            list(api.search_stream(customer_id, f"{query} LIMIT 1"))
        except SourceError as error:
            detail = str(error).partition(" — ")[0]
            if not any(code in detail for code in QUERY_ERRORS):
                raise
            raise SourceError(
                f"{detail} — Thinline's {report.entity} query does not parse on {version}: keep "
                "THINLINE_GOOGLE_ADS__API_VERSION on the last version that worked and report it "
                "(release notes: developers.google.com/google-ads/api/docs/release-notes)"
            ) from error
    detail = (
        f"the {len(REPORTS) + 1} reports Thinline runs parse on {version} (customer {customer_id})"
    )
    return Check(SOURCE, "fields", Level.OK, detail)
