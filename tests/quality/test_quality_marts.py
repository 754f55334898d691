"""The marts suite against hand-made ``analytics_build`` tables: reconciled marts pass, a
broken reconciliation stops the gate with the rule it breaks."""

from __future__ import annotations

import pytest

from quality.results import QualityGateError
from quality.runner import validate_marts
from tests.quality import quality_data as data
from tests.quality.quality_data import Database

pytestmark = pytest.mark.integration


@pytest.fixture
def marts(warehouse: Database) -> Database:
    data.create_marts(warehouse.conn)
    return warehouse


def failing(error: QualityGateError) -> tuple[set[str], set[str]]:
    report = error.report
    return (
        {failure.rule for failure in report.critical_failures},
        {failure.rule for failure in report.warning_failures},
    )


def test_reconciled_marts_pass(marts: Database) -> None:
    report = validate_marts(marts.url, "run-marts")

    # 18 reconciliations and 9 currency rules (MART-FXDEAL/-FXSPEND/-FXQUOTA 001, 002, 004; the
    # ECB and CRM recomputations skip: no raw rates here)
    assert (report.passed, report.failed, report.warnings) == (27, 0, 0)
    assert {result.table_name for result in report.results} == {
        "analytics_build.fct_ad_spend_daily",
        "analytics_build.fct_deals",
        "analytics_build.fct_attribution",
        "analytics_build.fct_quota_attainment",
        "analytics_build.fct_quota_months",
        "analytics_build.rpt_landing_page_performance",
        "analytics_build.rpt_lead_response",
        "analytics_build.rpt_forecast_accuracy",
        "analytics_build.rpt_pipeline_waterfall",
    }
    assert len(marts.results("run-marts")) == 27


def test_broken_reconciliations_fail_the_gate(marts: Database) -> None:
    marts.conn.execute(
        "update analytics_build.fct_ad_spend_daily set spend = spend + 0.01 "
        "where ad_id = '690123456789' and spend_date = '2024-06-02'"
    )
    marts.conn.execute(
        "update analytics_build.fct_deals set amount = 12000 where deal_id = '8078784221'"
    )
    marts.conn.execute(
        "update analytics_build.fct_deals set owner_id = '99999' where deal_id = '8078784222'"
    )

    with pytest.raises(QualityGateError) as raised:
        validate_marts(marts.url, "run-broken")

    # the changed amounts no longer equal their reporting amounts x the named rate either
    assert failing(raised.value) == (
        {
            "MART-SPEND-001",
            "MART-SPEND-002",
            "MART-DEAL-002",
            "MART-FXSPEND-002",
            "MART-FXDEAL-002",
        },
        {"MART-DEAL-003"},
    )
    samples = {r.rule: r.sample_bad_values for r in raised.value.report.results if not r.passed}
    assert samples["MART-SPEND-001"] == [
        {"spend_date": "2024-06-02", "mart_spend": "26.012001", "raw_spend": "26.0020010000000000"}
    ]
    assert samples["MART-DEAL-002"] == [{"mart_amount": "16800.50", "raw_amount": "17300.50"}]
    assert samples["MART-DEAL-003"] == [{"deal_id": "8078784222", "owner_id": "99999"}]
    lines = str(raised.value).splitlines()
    assert len(lines) == 6  # summary + the five critical failures, not the warning
    stored = {row["rule"]: row for row in marts.results("run-broken") if not row["passed"]}
    assert stored["MART-SPEND-001"]["sample_bad_values"][0]["spend_date"] == "2024-06-02"
    assert stored["MART-DEAL-003"]["severity"] == "warning"


def test_campaign_remainder_and_deal_count_are_reconciled(marts: Database) -> None:
    # Without the Performance Max remainder row, ad-level spend still matches but the day's
    # total no longer equals the campaign report; without the amount-less deal only the
    # count is off.
    marts.conn.execute("delete from analytics_build.fct_ad_spend_daily where ad_id is null")
    marts.conn.execute("delete from analytics_build.fct_deals where deal_id = '8078784223'")

    with pytest.raises(QualityGateError) as raised:
        validate_marts(marts.url, "run-remainder")

    assert failing(raised.value) == ({"MART-SPEND-002", "MART-DEAL-001"}, set())


def test_missing_mart_fails_and_unloaded_source_is_skipped(marts: Database) -> None:
    marts.conn.execute("drop table analytics_build.fct_deals")
    marts.conn.execute("drop schema raw_google_ads cascade")  # source not enabled

    with pytest.raises(QualityGateError) as raised:
        validate_marts(marts.url, "run-missing")

    report = raised.value.report
    deals = [r for r in report.results if r.table_name == "analytics_build.fct_deals"]
    assert "analytics_build.fct_ad_spend_daily" not in {r.table_name for r in report.results}
    assert {r.rule for r in deals} == {f"MART-DEAL-00{n}" for n in (1, 2, 3, 7, 8)} | {
        f"MART-FXDEAL-00{n}" for n in (1, 2, 4)
    }
    assert {result.observed_value for result in deals} == {"table does not exist"}
    # attribution and the backtest reconcile against fct_deals, so they cannot pass without it
    assert failing(raised.value) == (
        {"MART-DEAL-001", "MART-DEAL-002", "MART-DEAL-007", "MART-DEAL-008", "MART-ATTR-001"}
        | {"MART-FXDEAL-001", "MART-FXDEAL-002", "MART-FCST-001"},
        {"MART-DEAL-003", "MART-FXDEAL-004"},
    )


def test_lead_response_report_and_sla_status_must_agree(marts: Database) -> None:
    # the report drops the unanswered breach; a lead answered in 1.5 business hours is marked
    # breached and another is answered before it arrived
    marts.conn.execute(
        "update analytics_build.rpt_lead_response set sla_breached_leads = 0 "
        "where channel = 'organic_search'"
    )
    marts.conn.execute(
        "update analytics_build.fct_lead_response set sla_status = 'breached' "
        "where lead_key = 'hubspot:1'"
    )
    marts.conn.execute(
        "update analytics_build.fct_lead_response set first_outbound_at = '2024-06-04 13:00+00' "
        "where lead_key = 'hubspot:2'"
    )

    with pytest.raises(QualityGateError) as raised:
        validate_marts(marts.url, "run-leads")

    assert failing(raised.value) == ({"MART-LEAD-001", "MART-LEAD-002"}, set())
    samples = {r.rule: r.sample_bad_values for r in raised.value.report.critical_failures}
    assert [row["lead_key"] for row in samples["MART-LEAD-002"]] == ["hubspot:1", "hubspot:2"]
    # fct: hubspot:1 (now), hubspot:2 and the unanswered hubspot:3; the report: 1
    bad = samples["MART-LEAD-001"][0]
    assert (bad["breached"], bad["fact_breached"]) == ("1", 3)


def test_pipeline_waterfall_must_add_up_to_the_daily_pipeline(marts: Database) -> None:
    # team 1's won loses 5 (the row no longer adds up); the unassigned team's opening and
    # closing both gain 10 (it adds up, but no longer closes at the daily pipeline)
    marts.conn.execute(
        "update analytics_build.rpt_pipeline_waterfall set won = won - 5 "
        "where owner_key = 'hubspot:t1'"
    )
    marts.conn.execute(
        "update analytics_build.rpt_pipeline_waterfall set opening_pipeline = 10, "
        "closing_pipeline = 210 where owner_key = 'unassigned'"
    )

    with pytest.raises(QualityGateError) as raised:
        validate_marts(marts.url, "run-pipeline")

    assert failing(raised.value) == ({"MART-PIPE-001", "MART-PIPE-002"}, set())
    samples = {r.rule: r.sample_bad_values for r in raised.value.report.critical_failures}
    assert [(row["team_key"], row["closing_pipeline"]) for row in samples["MART-PIPE-001"]] == [
        ("unassigned", "210")
    ]
    assert [(row["owner_key"], row["won"]) for row in samples["MART-PIPE-002"]] == [
        ("hubspot:t1", "-205")
    ]


def test_unknown_owner_or_account_fails(marts: Database) -> None:
    marts.conn.execute(
        "update analytics_build.fct_deals set sales_rep_id = 'hubspot:1' "
        "where deal_id = '8078784222'"
    )
    marts.conn.execute("delete from analytics_build.dim_accounts")

    with pytest.raises(QualityGateError) as raised:
        validate_marts(marts.url, "run-parties")

    assert failing(raised.value) == ({"MART-DEAL-007", "MART-DEAL-008"}, set())
    samples = {r.rule: r.sample_bad_values for r in raised.value.report.critical_failures}
    assert samples["MART-DEAL-007"] == [
        {"deal_key": "hubspot:8078784222", "sales_rep_id": "hubspot:1"}
    ]
    assert len(samples["MART-DEAL-008"]) == 3  # every live deal names the deleted account


def test_attributed_revenue_must_equal_closed_won_revenue(marts: Database) -> None:
    marts.conn.execute(
        "update analytics_build.fct_attribution set revenue_credit = revenue_credit * 0.9 "
        "where model = 'time_decay'"
    )
    marts.conn.execute("delete from analytics_build.fct_attribution where model = 'data_driven'")

    with pytest.raises(QualityGateError) as raised:
        validate_marts(marts.url, "run-attribution")

    # the landing-page report no longer hands out what fct_attribution credits either
    assert failing(raised.value) == ({"MART-ATTR-001", "MART-LP-001"}, set())
    (failure,) = [f for f in raised.value.report.critical_failures if f.rule == "MART-ATTR-001"]
    assert [(row["attribution_scope"], row["model"]) for row in failure.sample_bad_values] == [
        ("account", "data_driven"),
        ("account", "time_decay"),
        ("contact", "data_driven"),
        ("contact", "time_decay"),
    ]
    assert failure.sample_bad_values[0]["closed_won_revenue"] == "13750.0"


def test_each_attribution_scope_must_hand_out_the_revenue(marts: Database) -> None:
    """The buying committee's credit is checked on its own: one lost account-scope touch fails
    MART-ATTR-001 for that scope and model; the landing pages (contact scope) still agree."""
    marts.conn.execute(
        "delete from analytics_build.fct_attribution "
        "where attribution_scope = 'account' and model = 'linear' and touchpoint_id = 'touch-3'"
    )

    with pytest.raises(QualityGateError) as raised:
        validate_marts(marts.url, "run-account-scope")

    assert failing(raised.value) == ({"MART-ATTR-001"}, set())
    (failure,) = raised.value.report.critical_failures
    assert [(row["attribution_scope"], row["model"]) for row in failure.sample_bad_values] == [
        ("account", "linear")
    ]


def test_landing_pages_must_hand_out_the_credit_and_carry_the_spend(marts: Database) -> None:
    marts.conn.execute(
        "update analytics_build.rpt_landing_page_performance "
        "set attributed_revenue = attributed_revenue + 1 where model = 'linear'"
    )
    marts.conn.execute(
        "update analytics_build.rpt_landing_page_performance set spend = spend - 0.01 "
        "where model = 'first_touch'"
    )

    with pytest.raises(QualityGateError) as raised:
        validate_marts(marts.url, "run-landing-pages")

    assert failing(raised.value) == ({"MART-LP-001"}, {"MART-LP-002"})
    samples = {r.rule: r.sample_bad_values for r in raised.value.report.results if not r.passed}
    assert [row["model"] for row in samples["MART-LP-001"]] == ["linear"]
    assert [row["model"] for row in samples["MART-LP-002"]] == ["first_touch"]


def test_a_backtest_actual_off_fct_deals_fails_an_inverted_interval_warns(
    marts: Database,
) -> None:
    marts.conn.execute(
        "update analytics_build.rpt_forecast_accuracy set actual = actual - 0.01 "
        "where owner_type = 'team' and as_of_date = '2024-04-14' and forecast_method = 'commit'"
    )
    marts.conn.execute(
        "update analytics_build.rpt_forecast_accuracy set forecast_lower = 10001 "
        "where owner_type = 'company' and as_of_date = '2024-04-07' "
        "and forecast_method = 'statistical'"
    )

    with pytest.raises(QualityGateError) as raised:
        validate_marts(marts.url, "run-forecast")

    assert failing(raised.value) == ({"MART-FCST-001"}, {"MART-FCST-002"})
    samples = {r.rule: r.sample_bad_values for r in raised.value.report.results if not r.passed}
    assert [
        (row["owner_id"], row["as_of_date"], row["forecast_method"])
        for row in samples["MART-FCST-001"]
    ] == [("hubspot:1", "2024-04-14", "commit")]
    assert [row["as_of_date"] for row in samples["MART-FCST-002"]] == ["2024-04-07"]


def test_a_won_deal_moved_out_of_the_quarter_fails_the_backtest_actual(marts: Database) -> None:
    marts.conn.execute(
        "update analytics_build.fct_deals set close_date = '2024-07-01' where is_won"
    )

    with pytest.raises(QualityGateError) as raised:
        validate_marts(marts.url, "run-forecast-moved")

    assert failing(raised.value) == ({"MART-FCST-001"}, set())
    samples = {r.rule: r.sample_bad_values for r in raised.value.report.results if not r.passed}
    # every row of the quarter fails (2 weeks x 3 methods x company and team; the sample
    # shows the first 10, company and team)
    assert {row["owner_type"] for row in samples["MART-FCST-001"]} == {"company", "team"}
    assert {row["fct_deals_won"] for row in samples["MART-FCST-001"]} == {"0"}


def test_negative_attainment_fails_negative_quota_warns(marts: Database) -> None:
    marts.conn.execute(
        "insert into analytics_build.fct_quota_attainment values "
        "('rep', 'hubspot:41629780', '2024-06-02', 'month', -5, -10, -0.5)"
    )

    with pytest.raises(QualityGateError) as raised:
        validate_marts(marts.url, "run-quota")

    assert failing(raised.value) == ({"MART-QUOTA-001"}, {"MART-QUOTA-002"})


def test_a_quota_without_a_rate_or_with_a_wrong_conversion_stops_the_publish(
    marts: Database,
) -> None:
    marts.conn.execute(
        "insert into analytics_build.fct_quota_months values "
        "('rep:hubspot:41629780:2024-07-01', 500, 'GBP', null, 'USD', null, '2024-07-01', "
        "null, null)"
    )
    marts.conn.execute(
        "update analytics_build.fct_quota_months set quota_amount_reporting = 1000 "
        "where quota_month_key = 'team:hubspot:1:2024-06-01'"
    )

    with pytest.raises(QualityGateError) as raised:
        validate_marts(marts.url, "run-quota-fx")

    assert failing(raised.value) == ({"MART-FXQUOTA-001", "MART-FXQUOTA-002"}, set())
    samples = {r.rule: r.sample_bad_values for r in raised.value.report.results if not r.passed}
    assert samples["MART-FXQUOTA-001"] == [
        {"currency_code": "GBP", "rate_day": "2024-07-01", "facts": 1}
    ]


def test_marts_only_suites_skip_without_a_crm(marts: Database) -> None:
    marts.conn.execute("drop table analytics_build.fct_attribution")
    report = validate_marts(marts.url, "run-ads-only", sources=["google_ads"])
    assert {r.table_name for r in report.results} == {"analytics_build.fct_ad_spend_daily"}


def test_activities_must_be_the_live_raw_rows(marts: Database) -> None:
    data.create_activities(marts.conn)
    report = validate_marts(marts.url, "run-activities")
    activities = {r.rule: r.passed for r in report.results if r.table_name.endswith("activities")}
    assert activities == {"MART-ACT-001": True, "MART-ACT-002": True}

    marts.conn.execute("delete from analytics_build.fct_activities where activity_id = 'c2'")
    marts.conn.execute(
        "insert into analytics_build.fct_activities values "
        "('salesforce:00T0', 'salesforce', '00T0', 'Task')"  # a deleted task published
    )
    with pytest.raises(QualityGateError) as raised:
        validate_marts(marts.url, "run-activities-lost")
    assert failing(raised.value) == ({"MART-ACT-001", "MART-ACT-002"}, set())
