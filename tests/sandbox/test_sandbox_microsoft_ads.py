"""The Microsoft Advertising stand-in speaks Bing Ads API v13 REST as documented, and its
synthetic data is deterministic, self-consistent and drawn apart from every other source."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox import Faults, WorldConfig, build_world
from sandbox.microsoft_ads_data import build_microsoft_ads
from sandbox.microsoft_ads_server import (
    AD_GROUPS,
    ADS,
    POLL,
    SUBMIT,
    TOKEN_PATH,
    MicrosoftAdsServer,
)
from sandbox.serve import serve

COLUMNS = ["TimePeriod", "AccountId", "CampaignId", "CurrencyCode", "Spend", "Clicks"]


@pytest.fixture(scope="module")
def world():
    return build_world(WorldConfig(end=date(2026, 2, 28)))


def token(client: httpx.Client, server: MicrosoftAdsServer, **form: str) -> httpx.Response:
    credentials = server.credentials
    return client.post(
        TOKEN_PATH,
        data={
            "grant_type": "refresh_token",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "refresh_token": credentials.refresh_token,
            "scope": "https://ads.microsoft.com/msads.manage offline_access",
            **form,
        },
    )


def headers(server: MicrosoftAdsServer, access_token: str, account_id: int) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {access_token}",
        "DeveloperToken": server.credentials.developer_token,
        "CustomerId": str(server.data.customer_id),
        "CustomerAccountId": str(account_id),
    }


def report_request(account_id: int, **flags: Any) -> dict[str, Any]:
    return {
        "ReportRequest": {
            "Type": "CampaignPerformanceReportRequest",
            "Format": "Csv",
            "Aggregation": "Daily",
            "Columns": COLUMNS,
            "Scope": {"AccountIds": [account_id]},
            "Time": {
                "CustomDateRangeStart": {"Day": 1, "Month": 2, "Year": 2026},
                "CustomDateRangeEnd": {"Day": 7, "Month": 2, "Year": 2026},
            },
            **flags,
        }
    }


def download(client: httpx.Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        (name,) = archive.namelist()
        raw = archive.read(name)
    assert raw.startswith("\ufeff".encode())  # UTF-8 with a byte order mark
    return raw.decode("utf-8-sig")


def test_a_report_is_submitted_polled_and_downloaded_as_a_zipped_csv(world) -> None:
    account = world.microsoft_ads.accounts[0]
    with MicrosoftAdsServer(world) as server, httpx.Client(base_url=server.url) as client:
        access = token(client, server).json()
        assert access["token_type"] == "Bearer" and access["expires_in"] == 3600
        assert access["refresh_token"] != server.credentials.refresh_token  # rotated
        auth = headers(server, access["access_token"], account.account_id)
        texts = {}
        for excluded in (False, True):
            flags = {"ExcludeReportHeader": excluded, "ExcludeReportFooter": excluded}
            body = client.post(
                SUBMIT, json=report_request(account.account_id, **flags), headers=auth
            )
            request_id = body.json()["ReportRequestId"]
            first = client.post(POLL, json={"ReportRequestId": request_id}, headers=auth).json()
            assert first == {
                "ReportRequestStatus": {"ReportDownloadUrl": None, "Status": "Pending"}
            }
            second = client.post(POLL, json={"ReportRequestId": request_id}, headers=auth).json()
            status = second["ReportRequestStatus"]
            assert status["Status"] == "Success"
            texts[excluded] = download(client, status["ReportDownloadUrl"])

    with_header = texts[False].splitlines()
    assert with_header[0].startswith('"Report Name: ') and with_header[-1].startswith('"©')
    rows = list(csv.reader(io.StringIO(texts[True])))
    assert rows[0] == COLUMNS and all(len(row) == len(COLUMNS) for row in rows)
    assert '"Spend"' in texts[True]  # every field quoted
    expected = {
        (r["campaign_id"], r["date"]): r["spend"]
        for r in world.truth()["ad_spend"]
        if r["platform"] == "microsoft_ads"
        and r["customer_id"] == str(account.account_id)
        and "2026-02-01" <= r["date"] <= "2026-02-07"
    }
    assert {(row[2], row[0]): row[4] for row in rows[1:]} == expected
    assert {row[3] for row in rows[1:]} == {account.currency}


def test_credentials_and_accounts_are_checked_in_microsofts_words(world) -> None:
    account_id = world.microsoft_ads.accounts[0].account_id
    with MicrosoftAdsServer(world) as server, httpx.Client(base_url=server.url) as client:
        refused = token(client, server, scope="openid")
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
        stale = token(client, server, refresh_token="M.C105_stale")
        assert stale.json()["error"] == "invalid_grant"
        access = token(client, server).json()["access_token"]
        good = headers(server, access, account_id)
        cases = {
            "DeveloperToken": ("wrong", 401, 105),
            "CustomerAccountId": ("999", 400, 106),
            "Authorization": ("Bearer nope", 401, 105),
        }
        for header, (value, status, code) in cases.items():
            answer = client.post(
                "/CustomerManagement/v13/Account/Query",
                json={"AccountId": account_id},
                headers={**good, header: value},
            )
            assert answer.status_code == status, header
            assert answer.json()["Errors"][0]["Code"] == code, header
        account = client.post(
            "/CustomerManagement/v13/Account/Query", json={"AccountId": account_id}, headers=good
        ).json()["Account"]
        assert account["CurrencyCode"] == "USD" and account["AccountLifeCycleStatus"] == "Active"
        campaigns = client.post(
            "/CampaignManagement/v13/Campaigns/QueryByAccountId",
            json={"AccountId": account_id, "CampaignType": "Search"},
            headers=good,
        ).json()["Campaigns"]
        assert {c["Status"] for c in campaigns} <= {"Active", "Paused"} and len(campaigns) == 3


def test_ad_groups_and_ads_come_from_campaign_management_as_rest_json(world) -> None:
    """GetAdGroupsByCampaignId and GetAdsByAdGroupId: longs as JSON strings, only the
    requested ad types, deterministic final URLs from the ad group's name."""
    data = world.microsoft_ads
    account_id = data.accounts[0].account_id
    campaign = next(c for c in data.campaigns if c.account_id == account_id)
    with MicrosoftAdsServer(world) as server, httpx.Client(base_url=server.url) as client:
        good = headers(server, token(client, server).json()["access_token"], account_id)
        answer = client.post(
            AD_GROUPS, json={"CampaignId": str(campaign.campaign_id)}, headers=good
        ).json()
        groups = answer["AdGroups"]
        assert list(answer) == ["AdGroups"] and groups
        expected = [g for g in data.ad_groups if g.campaign_id == campaign.campaign_id]
        assert [(g["Id"], g["Name"], g["Status"]) for g in groups] == [
            (str(g.ad_group_id), g.name, "Active") for g in expected
        ]
        assert groups[0]["FinalUrlSuffix"].startswith("utm_source=bing&utm_medium=cpc")
        group_id = groups[0]["Id"]
        every = client.post(
            ADS,
            json={"AdGroupId": group_id, "AdTypes": ["ExpandedText", "ResponsiveSearch"]},
            headers=good,
        ).json()["Ads"]
        assert {ad["Type"] for ad in every} == {"ResponsiveSearch", "ExpandedText"}
        slug = groups[0]["Name"].lower()
        by_type = {ad["Type"]: ad for ad in every}
        assert by_type["ResponsiveSearch"]["FinalUrls"] == [f"https://thinline.example/{slug}"]
        assert by_type["ResponsiveSearch"]["Status"] == "Active"
        assert by_type["ExpandedText"]["Status"] == "Paused"
        assert all(isinstance(ad["Id"], str) and ad["Id"].isdigit() for ad in every)
        only = client.post(
            ADS, json={"AdGroupId": group_id, "AdTypes": ["ResponsiveSearch"]}, headers=good
        ).json()["Ads"]
        assert [ad["Type"] for ad in only] == ["ResponsiveSearch"]
        # another account's campaign, an unknown ad group, no AdTypes: Microsoft's codes
        other = next(c for c in data.campaigns if c.account_id != account_id)
        refusals = [
            (AD_GROUPS, {"CampaignId": str(other.campaign_id)}, 1100),
            (ADS, {"AdGroupId": "1", "AdTypes": ["ResponsiveSearch"]}, 1201),
            (ADS, {"AdGroupId": group_id}, 100),
        ]
        for path, body, code in refusals:
            refused = client.post(path, json=body, headers=good)
            assert refused.status_code == 400 and refused.json()["Errors"][0]["Code"] == code


def test_ads_draw_apart_so_no_earlier_number_changes() -> None:
    """Ad ids come from their own generator: the keywords' numbers are what they were before
    ads existed (pinned: keyword days, their spend in cents and conversions)."""
    config = WorldConfig(end=date(2026, 2, 28))
    data = build_microsoft_ads(config)
    assert data == build_microsoft_ads(config)
    days = data.keyword_days
    assert (len(days), sum(r.spend_cents for r in days), sum(r.conversions for r in days)) == (
        1006,
        3397434,
        956,
    )
    assert {ad.ad_group_id for ad in data.ads} == {g.ad_group_id for g in data.ad_groups}
    assert {g.ad_group_id for g in data.ad_groups} == {k.ad_group_id for k in data.keywords}
    assert len({ad.ad_id for ad in data.ads}) == len(data.ads)
    # the ad report: each ad group's delivery on its active ad, adding up to the campaigns
    campaign_of = {ad.ad_id: ad.campaign_id for ad in data.ads}
    per_campaign: dict[tuple[int, date], int] = {}
    for (ad_id, day), total in data.ad_days().items():
        key = (campaign_of[ad_id], day)
        per_campaign[key] = per_campaign.get(key, 0) + total["spend_cents"]
    assert per_campaign == {k: t["spend_cents"] for k, t in data.campaign_days().items()}
    early = build_microsoft_ads(WorldConfig(end=date(2026, 1, 2)))  # before a campaign starts
    assert len(early.campaigns) < len(data.campaigns)
    assert set(early.ads) <= set(data.ads)  # a later end only adds ads, never renumbers one
    paused = [ad for ad in data.ads if ad.ad_type == "ExpandedText"]
    assert len(paused) == len(data.campaigns) and {ad.status for ad in paused} == {"Paused"}


def test_faults_answer_as_microsoft_does(world) -> None:
    account_id = world.microsoft_ads.accounts[0].account_id
    faults = Faults(rate_limit=1, retry_after_seconds=3, expired_tokens=1)
    with (
        MicrosoftAdsServer(world, faults=faults) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        access = token(client, server).json()["access_token"]  # the token endpoint takes none
        auth = headers(server, access, account_id)
        url, body = "/CustomerManagement/v13/Account/Query", {"AccountId": account_id}
        throttled = client.post(url, json=body, headers=auth)
        assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "3"
        assert throttled.json()["Errors"][0]["ErrorCode"] == "CallRateExceeded"
        expired = client.post(url, json=body, headers=auth)
        assert expired.status_code == 401 and expired.json()["Errors"][0]["Code"] == 109
        again = client.post(url, json=body, headers=auth)  # the token stays expired
        assert again.json()["Errors"][0]["Code"] == 105


def test_reports_add_up_and_a_later_end_only_restates_recent_conversions() -> None:
    config = WorldConfig(end=date(2026, 2, 28))
    data = build_microsoft_ads(config)
    assert data == build_microsoft_ads(config)  # deterministic
    for row in data.keyword_days:
        assert sum(q.spend_cents for q in row.queries) == row.spend_cents
        assert sum(q.clicks for q in row.queries) == row.clicks <= row.impressions
    totals = data.campaign_days()
    assert sum(t["spend_cents"] for t in totals.values()) == sum(
        row.spend_cents for row in data.keyword_days
    )
    later = build_microsoft_ads(WorldConfig(end=date(2026, 3, 31)))
    assert later.accounts == data.accounts and later.customer_id == data.customer_id
    late = {(r.keyword.keyword_id, r.day): r for r in later.keyword_days}
    for row in data.keyword_days:
        again = late[row.keyword.keyword_id, row.day]
        assert (again.spend_cents, again.clicks) == (row.spend_cents, row.clicks)
        if again.conversions != row.conversions:
            assert row.day > date(2026, 2, 21) and again.conversions > row.conversions
    spend = [
        Decimal(r["spend"])
        for r in build_world(config).truth()["ad_spend"]
        if r["platform"] == "microsoft_ads"
    ]
    assert spend and all(value == round(value, 2) for value in spend)


def test_serve_starts_it_with_the_others(world) -> None:
    with serve(world) as sources:
        assert "microsoft_ads" in sources.running
        env = sources.env
    assert env["THINLINE_MICROSOFT_ADS__ACCOUNT_IDS"] == ",".join(
        str(account.account_id) for account in world.microsoft_ads.accounts
    )
    assert env["THINLINE_MICROSOFT_ADS__TOKEN_URL"].endswith(TOKEN_PATH)
