"""How each source reads its error bodies (wire shapes from the shared source_apis.md)."""

from __future__ import annotations

import httpx
import pytest

from extract.base import ConfigError
from extract.google_ads import GoogleAdsSettings
from extract.google_ads import client as google_ads
from extract.http import FailureKind, parse_duration, retry_after
from extract.hubspot import HubSpotSettings
from extract.hubspot import client as hubspot

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
        (GoogleAdsSettings(), "THINLINE_GOOGLE_ADS__DEVELOPER_TOKEN"),
        (
            GoogleAdsSettings(developer_token="d", client_id="c", client_secret="s"),
            "THINLINE_GOOGLE_ADS__REFRESH_TOKEN",
        ),
        (
            GoogleAdsSettings(
                developer_token="d", client_id="c", client_secret="s", refresh_token="r"
            ),
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
