"""How each source reads its error bodies (wire shapes from the shared source_apis.md)."""

from __future__ import annotations

import hashlib
import hmac

import httpx
import pytest

from extract.base import ConfigError
from extract.google_ads import GoogleAdsSettings
from extract.google_ads import client as google_ads
from extract.http import FailureKind, parse_duration, retry_after
from extract.hubspot import HubSpotSettings
from extract.hubspot import client as hubspot
from extract.linkedin_ads import LinkedInAdsSettings
from extract.linkedin_ads import client as linkedin_ads
from extract.meta_ads import MetaAdsSettings
from extract.meta_ads import client as meta_ads
from extract.salesforce import SalesforceSettings
from extract.salesforce import client as salesforce

FAILURE_TYPE = "type.googleapis.com/google.ads.googleads.v21.errors.GoogleAdsFailure"


def google_error(status: str, code: int, error_code: dict[str, str], **details: object) -> list:
    failure = {"errorCode": error_code, "message": "the API's words"}
    if details:
        failure["details"] = {"quotaErrorDetails": details}
    return [
        {
            "error": {
                "code": code,
                "message": "outer message",
                "status": status,
                "details": [
                    {
                        "@type": FAILURE_TYPE,
                        "errors": [failure],
                    }
                ],
            }
        }
    ]


def test_hubspot_rate_limit_is_retried_and_daily_limit_stops() -> None:
    secondly = {"status": "error", "message": "secondly limit", "errorType": "RATE_LIMIT"}
    daily = {**secondly, "policyName": "DAILY"}
    assert hubspot.classify(httpx.Response(429), secondly).kind is FailureKind.RETRY
    assert hubspot.classify(httpx.Response(429), daily).kind is FailureKind.DAILY_QUOTA


def test_hubspot_auth_failure_names_the_category() -> None:
    body = {"status": "error", "message": "no creds", "category": "INVALID_AUTHENTICATION"}
    failure = hubspot.classify(httpx.Response(401), body)
    assert failure is not None
    assert failure.kind is FailureKind.AUTH
    assert failure.message == "INVALID_AUTHENTICATION: no creds"


def test_hubspot_missing_scopes_name_the_scope_and_keep_the_correlation_id() -> None:
    # The 403 envelope of https://github.com/HubSpot/hubspot-api-nodejs/issues/268, with the
    # granular scopes HubSpot lists today.
    body = {
        "status": "error",
        "message": "This app hasn't been granted all required scopes to make this call. Read "
        "more about required scopes here: https://developers.hubspot.com/scopes.",
        "correlationId": "4f2071b3-bf52-4e77-8dbe-6f80ad4f3a5f",
        "errors": [
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": ["crm.objects.deals.read"]},
            }
        ],
        "links": {"scopes": "https://developers.hubspot.com/scopes"},
        "category": "MISSING_SCOPES",
    }
    failure = hubspot.classify(httpx.Response(403), body)
    assert failure is not None and failure.kind is FailureKind.FATAL
    assert failure.message.startswith(
        "MISSING_SCOPES (requires one of: crm.objects.deals.read): This app hasn't been granted"
    )
    assert failure.message.endswith("(correlationId 4f2071b3-bf52-4e77-8dbe-6f80ad4f3a5f)")
    assert len(failure.message) <= 200  # one line, and the id survives the cut
    assert failure.hint is not None and "THINLINE_HUBSPOT__TOKEN" in failure.hint
    assert "crm.objects.deals.read" in failure.hint


def test_hubspot_unknown_resource_points_at_the_api_version() -> None:
    # HubSpot's 404 for a path it does not serve has no category
    # (https://github.com/HGData/mk-node-hubspot/issues/150).
    body = {
        "status": "error",
        "message": "resource not found",
        "correlationId": "4d6678cf-9944-489a-b19d-8953da927cf5",
        "requestId": "7f9874eb0ee05fa8a28438f155fc1e52",
    }
    failure = hubspot.classify(httpx.Response(404), body)
    assert failure is not None and failure.kind is FailureKind.FATAL
    assert (
        failure.message == "resource not found (correlationId 4d6678cf-9944-489a-b19d-8953da927cf5)"
    )
    assert failure.hint is not None and "THINLINE_HUBSPOT__API_VERSION" in failure.hint


def test_google_ads_quota_retry_delay_comes_from_quota_error_details() -> None:
    body = google_error(
        "RESOURCE_EXHAUSTED", 429, {"quotaError": "RESOURCE_EXHAUSTED"}, retryDelay="30s"
    )
    failure = google_ads.classify(httpx.Response(429), body)
    assert failure is not None
    assert (failure.kind, failure.delay) == (FailureKind.RETRY, 30.0)


def test_google_ads_basic_access_daily_quota_stops() -> None:
    body = google_error(
        "RESOURCE_EXHAUSTED",
        429,
        {"quotaError": "RESOURCE_EXHAUSTED"},
        rateScope="DEVELOPER",
        rateName="Number of operations for basic access",
        retryDelay="40000s",
    )
    failure = google_ads.classify(httpx.Response(429), body)
    assert failure is not None
    assert failure.kind is FailureKind.DAILY_QUOTA


@pytest.mark.parametrize(
    ("status", "code", "error_code", "kind", "hint_names"),
    [
        ("UNAUTHENTICATED", 401, {"authenticationError": "OAUTH_TOKEN_EXPIRED"}, "AUTH", None),
        (
            "PERMISSION_DENIED",
            403,
            {"authorizationError": "USER_PERMISSION_DENIED"},
            "FATAL",
            "LOGIN_CUSTOMER_ID",
        ),
        (
            "PERMISSION_DENIED",
            403,
            {"authorizationError": "DEVELOPER_TOKEN_NOT_APPROVED"},
            "FATAL",
            "DEVELOPER_TOKEN",
        ),
        ("INTERNAL", 500, {"internalError": "INTERNAL_ERROR"}, "RETRY", None),
        ("UNAVAILABLE", 503, {"internalError": "TRANSIENT_ERROR"}, "RETRY", None),
    ],
)
def test_google_ads_error_statuses(
    status: str, code: int, error_code: dict[str, str], kind: str, hint_names: str | None
) -> None:
    failure = google_ads.classify(httpx.Response(code), google_error(status, code, error_code))
    assert failure is not None
    assert failure.kind is FailureKind[kind]
    assert failure.message.startswith(status)
    if hint_names:
        assert f"THINLINE_GOOGLE_ADS__{hint_names}" in (failure.hint or "")


@pytest.mark.parametrize(
    ("status", "code", "kind"), [("FAILED_PRECONDITION", 400, "FATAL"), ("UNKNOWN", 503, "RETRY")]
)
def test_google_ads_unknown_error_codes_keep_googles_code_and_words(
    status: str, code: int, kind: str
) -> None:
    body = google_error(status, code, {"fancyNewError": "NEVER_SEEN_BEFORE"})
    failure = google_ads.classify(httpx.Response(code), body)
    assert failure is not None
    assert failure.kind is FailureKind[kind]
    assert failure.message == f"{status} fancyNewError.NEVER_SEEN_BEFORE: the API's words"
    if failure.kind is FailureKind.FATAL:  # where Google explains the code
        assert "reference/rpc/latest/FancyNewErrorEnum.FancyNewError" in (failure.hint or "")
    else:  # retried first; the client's "gave up after N tries" says what to do
        assert failure.hint is None


def test_google_ads_missing_scope_is_read_from_error_info() -> None:
    body = {
        "error": {
            "code": 403,
            "message": "Request had insufficient authentication scopes.",
            "status": "PERMISSION_DENIED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                    "domain": "googleapis.com",
                }
            ],
        }
    }
    failure = google_ads.classify(httpx.Response(403), body)
    assert failure is not None
    assert failure.message == (
        "PERMISSION_DENIED ACCESS_TOKEN_SCOPE_INSUFFICIENT: "
        "Request had insufficient authentication scopes."
    )
    assert "auth/adwords" in (failure.hint or "")


def test_google_ads_deprecated_version_names_the_version_setting() -> None:
    body = google_error("INVALID_ARGUMENT", 400, {"requestError": "UNKNOWN"})
    message = " Version v21 is deprecated. Requests to this version will be blocked."
    body[0]["error"]["details"][0]["errors"][0]["message"] = message
    failure = google_ads.classify(httpx.Response(400), body)
    assert failure is not None
    assert failure.kind is FailureKind.FATAL
    assert failure.message == f"INVALID_ARGUMENT requestError.UNKNOWN:{message}"
    assert "THINLINE_GOOGLE_ADS__API_VERSION" in (failure.hint or "")


def test_google_ads_404_page_is_read_as_text_and_names_the_version_setting() -> None:
    page = (
        "<!DOCTYPE html>\n<html lang=en>\n  <title>Error 404 (Not Found)!!1</title>\n"
        "  <p><b>404.</b> <ins>That\u2019s an error.</ins>\n  <p>The requested URL "
        "<code>/v99/customers/1/googleAds:searchStream</code> was not found on this server.  "
        "<ins>That\u2019s all we know.</ins>\n"
    )
    failure = google_ads.classify(httpx.Response(404, text=page), None)
    assert failure is not None
    assert failure.kind is FailureKind.FATAL
    assert failure.message == (
        "NOT_FOUND: The requested URL /v99/customers/1/googleAds:searchStream was not found on "
        "this server. That\u2019s all we know."
    )
    assert "THINLINE_GOOGLE_ADS__API_VERSION" in (failure.hint or "")


def test_google_ads_oauth_error_is_fatal_and_names_the_refresh_token() -> None:
    body = {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
    failure = google_ads.classify(httpx.Response(400), body)
    assert failure is not None
    assert failure.kind is FailureKind.FATAL
    assert "THINLINE_GOOGLE_ADS__REFRESH_TOKEN" in (failure.hint or "")


def test_retry_delays_parse() -> None:
    assert parse_duration("30s") == 30.0
    assert parse_duration("1.5s") == 1.5
    assert parse_duration("soon") is None
    assert retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    assert retry_after(httpx.Response(429)) is None


@pytest.mark.parametrize(
    ("settings", "env_name"),
    [
        (HubSpotSettings(), "THINLINE_HUBSPOT__TOKEN"),
        (HubSpotSettings(token=""), "THINLINE_HUBSPOT__TOKEN"),
        (GoogleAdsSettings(), "THINLINE_GOOGLE_ADS__CLIENT_ID"),  # no developer token needed
        (
            GoogleAdsSettings(client_id="c", client_secret="s"),
            "THINLINE_GOOGLE_ADS__REFRESH_TOKEN",
        ),
        (
            GoogleAdsSettings(client_id="c", client_secret="s", refresh_token="r"),
            "THINLINE_GOOGLE_ADS__CUSTOMER_IDS",
        ),
    ],
)
def test_missing_credentials_name_the_setting(settings: object, env_name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings.check_credentials()  # type: ignore[attr-defined]
    assert str(caught.value) == f"{settings.source}: credential {env_name} is not set"  # type: ignore[attr-defined]


def test_google_ads_customer_ids_accept_hyphens() -> None:
    settings = GoogleAdsSettings(
        customer_ids="123-456-7890, 2223334444", login_customer_id="111-222-3333"
    )
    assert settings.customer_id_list() == ["1234567890", "2223334444"]
    assert settings.login_customer_id == "1112223333"
    with pytest.raises(ConfigError, match="THINLINE_GOOGLE_ADS__CUSTOMER_IDS"):
        GoogleAdsSettings(customer_ids="12a").customer_id_list()


def meta_error(message: str, code: int, kind: str = "OAuthException") -> dict:
    return {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "Axyz"}}


def test_meta_deprecated_version_is_fatal_and_names_the_version_setting() -> None:
    body = meta_error(
        "(#2635) You are calling a deprecated version of the Ads API. Please update to the "
        "latest version: v27.0.",
        2635,
    )
    failure = meta_ads.classify(httpx.Response(400), body)
    assert failure is not None and failure.kind is FailureKind.FATAL
    assert failure.message.startswith("OAuthException 2635: (#2635) You are calling")
    assert "THINLINE_META_ADS__API_VERSION" in (failure.hint or "")


@pytest.mark.parametrize(
    "message",
    [
        "API calls from the server require an appsecret_proof argument",
        "Invalid appsecret_proof provided in the API argument",
    ],
)
def test_meta_app_secret_proof_errors_name_the_app_secret_setting(message: str) -> None:
    body = meta_error(message, 100, "GraphMethodException")
    failure = meta_ads.classify(httpx.Response(400), body)
    assert failure is not None and failure.kind is FailureKind.FATAL
    assert failure.message == f"GraphMethodException 100: {message}"
    assert "THINLINE_META_ADS__APP_SECRET" in (failure.hint or "")


def test_meta_sends_the_token_as_access_token_and_a_proof_only_with_a_secret() -> None:
    plain = MetaAdsSettings(access_token="EAABtoken", account_ids="act_1")
    signed = MetaAdsSettings(access_token="EAABtoken", account_ids="act_1", app_secret="s3cret")
    assert meta_ads.auth_params(plain) == {"access_token": "EAABtoken"}
    expected = hmac.new(b"s3cret", b"EAABtoken", hashlib.sha256).hexdigest()
    assert meta_ads.auth_params(signed) == {
        "access_token": "EAABtoken",
        "appsecret_proof": expected,
    }


def test_linkedin_sunset_version_is_fatal_with_linkedins_words() -> None:
    body = {
        "status": 426,
        "code": "NONEXISTENT_VERSION",
        "message": "Requested version 20250401 is not active",
    }
    failure = linkedin_ads.classify(httpx.Response(426), body)
    assert failure is not None and failure.kind is FailureKind.FATAL
    assert failure.message == "NONEXISTENT_VERSION: Requested version 20250401 is not active"
    assert "THINLINE_LINKEDIN_ADS__LINKEDIN_VERSION" in (failure.hint or "")


def test_linkedin_unknown_account_names_the_account_setting() -> None:
    body = {"status": 404, "serviceErrorCode": 404, "code": "NOT_FOUND", "message": "Not found"}
    failure = linkedin_ads.classify(httpx.Response(404), body)
    assert failure is not None and failure.kind is FailureKind.FATAL
    assert "THINLINE_LINKEDIN_ADS__ACCOUNT_IDS" in (failure.hint or "")


@pytest.mark.parametrize(
    ("settings", "env_name"),
    [
        (MetaAdsSettings(account_ids="act_1"), "THINLINE_META_ADS__ACCESS_TOKEN"),
        (MetaAdsSettings(access_token="EAABx"), "THINLINE_META_ADS__ACCOUNT_IDS"),
        (LinkedInAdsSettings(account_ids="1"), "THINLINE_LINKEDIN_ADS__ACCESS_TOKEN"),
    ],
)
def test_meta_and_linkedin_missing_credentials_name_the_setting(
    settings: object, env_name: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        settings.check_credentials()  # type: ignore[attr-defined]
    assert str(caught.value).endswith(f"credential {env_name} is not set")


def test_salesforce_version_errors_name_the_version_setting() -> None:
    gone = salesforce.classify(
        httpx.Response(410), [{"errorCode": "GONE", "message": "API version 30.0 is retired"}]
    )
    missing = salesforce.classify(
        httpx.Response(404),
        [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}],
    )
    for failure in (gone, missing):
        assert failure is not None and failure.kind is FailureKind.FATAL
        assert failure.hint and "THINLINE_SALESFORCE__API_VERSION" in failure.hint
    assert gone is not None and gone.message == "GONE: API version 30.0 is retired"


def test_salesforce_oauth_errors_name_the_settings_of_the_flow() -> None:
    body = {"error": "invalid_client", "error_description": "invalid client credentials"}
    refresh = salesforce.classifier("refresh_token")(httpx.Response(400), body)
    client = salesforce.classifier("client_credentials")(httpx.Response(400), body)
    assert refresh is not None and client is not None
    assert refresh.message == client.message == "invalid_client: invalid client credentials"
    assert refresh.hint and "THINLINE_SALESFORCE__REFRESH_TOKEN" in refresh.hint
    assert client.hint and "THINLINE_SALESFORCE__TOKEN_URL" in client.hint
    assert "REFRESH_TOKEN" not in client.hint


def test_salesforce_client_credentials_settings() -> None:
    settings = SalesforceSettings(auth_flow="client_credentials", client_id="3MVG9x")
    with pytest.raises(ConfigError, match=r"THINLINE_SALESFORCE__CLIENT_SECRET is not set$"):
        settings.check_credentials()
    my_domain = "https://acme.my.salesforce.com/services/oauth2/token"
    ready = SalesforceSettings(
        auth_flow="client_credentials",
        client_id="3MVG9x",
        client_secret="s3cret",
        token_url=my_domain,
    )
    ready.check_credentials()  # no refresh token needed
