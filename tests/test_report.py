"""The report site from a small hand-made warehouse: numbers, missing tables, errors, serving."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
import pytest
from plotly.offline import get_plotlyjs

from extract.loader import OPS_DDL
from quality.results import RESULTS_DDL
from thinline.report import build_site
from thinline.report.data import Result
from thinline.report.sections import REP_PACING, SECTIONS
from thinline.report.site import report_params
from thinline.state import RunSummary

THINLINE = str(Path(sys.executable).parent / "thinline")
NOW = datetime(2026, 3, 11, 4, 0, tzinfo=UTC)
SUMMARY = RunSummary(
    run_id="manual__2026-03-11T02:00:00+00:00",
    window_start="2026-03-10T00:00:00+00:00",
    window_end="2026-03-11T00:00:00+00:00",
    finished_at="2026-03-11T02:10:00+00:00",
    sources=["hubspot"],
    rows_loaded={"hubspot": {"contacts": 3, "deals": 2}},
    checks={"raw": {"passed": 2, "failed": 0, "warnings": 1}},
    published_tables=["rpt_funnel"],
)

# Only the columns the report reads; names and types as in the dbt models' yml.
ANALYTICS = """
create schema analytics;
create table analytics.rpt_channel_performance (
    period_type text, period_start date, channel text, model text,
    spend numeric, attributed_revenue numeric
);
insert into analytics.rpt_channel_performance values
    ('month', '2026-02-01', 'paid_search', 'data_driven', 100, 300),
    ('month', '2026-03-01', 'paid_search', 'data_driven', 100, 500),
    ('month', '2026-03-01', 'paid_search', 'linear', 200, 200),
    ('month', '2026-03-01', 'paid_social', 'data_driven', 50, 25),
    ('month', '2026-03-01', 'organic', 'data_driven', 0, 75),
    ('day', '2026-03-10', 'paid_search', 'data_driven', 999, 999);
create table analytics.fct_attribution (
    conversion_type text, channel text, model text, credit numeric, revenue_credit numeric,
    attribution_scope text
);
insert into analytics.fct_attribution values
    ('closed_won', 'paid_search', 'linear', 0.5, 300, 'contact'),
    ('closed_won', 'organic', 'linear', 0.5, 100, 'contact'),
    ('closed_won', 'paid_search', 'first_touch', 1, 400, 'contact'),
    ('opportunity', 'paid_search', 'first_touch', 1, 400, 'contact'),
    ('opportunity', 'organic', 'linear', 0.25, 100, 'contact'),
    -- the buying committee's view: the report charts the contact scope only
    ('closed_won', 'events', 'linear', 0.5, 200, 'account'),
    ('opportunity', 'events', 'first_touch', 1, 400, 'account');
create table analytics.fct_keyword_performance_daily (
    keyword_text text, match_type text, spend_reporting numeric, clicks bigint,
    platform_conversions numeric
);
insert into analytics.fct_keyword_performance_daily values
    ('revenue analytics', 'PHRASE', 30, 10, 2),
    ('revenue analytics', 'PHRASE', 20, 5, 0),
    ('thinline', 'EXACT', 80, 40, 0),
    ('sales bi', 'BROAD', 10, 0, 0),
    ('thinline', 'EXACT', 20, 4, 0);
create table analytics.rpt_keyword_attribution (
    platform text, keyword_text text, match_type text, model text, spend numeric,
    clicks numeric, leads numeric, cost_per_lead numeric, attributed_revenue numeric,
    roas numeric
);
insert into analytics.rpt_keyword_attribution values
    ('google_ads', 'revenue analytics', 'PHRASE', 'data_driven', 30, 10, 2, 15, 200, 6.667),
    ('google_ads', 'revenue analytics', 'PHRASE', 'data_driven', 20, 5, 0.5, 40, 100, 5),
    ('google_ads', 'revenue analytics', 'PHRASE', 'linear', 50, 15, 4, 12.5, 100, 2),
    ('google_ads', 'thinline', 'EXACT', 'data_driven', 80, 40, 0, null, 0, 0),
    ('google_ads', 'sales bi', 'BROAD', 'data_driven', 10, 0, 0, null, 0, 0),
    ('microsoft_ads', 'thinline', 'EXACT', 'data_driven', 20, 4, 0, null, 0, 0);
create table analytics.fct_search_term_performance_daily (
    platform text, search_term text, keyword_text text, spend_reporting numeric,
    clicks bigint, platform_conversions numeric
);
insert into analytics.fct_search_term_performance_daily values
    ('google_ads', 'thinline', 'thinline', 60, 30, 0),
    ('google_ads', 'best revenue analytics', 'revenue analytics', 25, 8, 1),
    ('google_ads', 'best revenue analytics', 'revenue analytics', 5, 1, 0),
    ('microsoft_ads', 'thinline', 'thinline', 12, 3, 0);
create table analytics.rpt_landing_page_performance (
    landing_page_url text, model text, spend numeric, clicks numeric, touches bigint,
    leads numeric, attributed_revenue numeric
);
insert into analytics.rpt_landing_page_performance values
    ('https://x.example/a', 'data_driven', 30, 10, 4, 3, 90),
    ('https://x.example/a', 'data_driven', 10, 5, 1, 1, 0),
    ('https://x.example/a', 'linear', 40, 15, 5, 4, 10),
    ('https://x.example/b', 'data_driven', 60, 20, 0, 0, 0),
    ('https://x.example/', 'data_driven', 0, 0, 9, 5.5, 40),
    ('https://x.example/c', 'data_driven', 0, 0, 2, 1, 0);
create table analytics.rpt_funnel (
    cohort_month date, channel text, leads integer, mqls integer, sqls integer,
    opportunities integer, won_deals integer
);
insert into analytics.rpt_funnel values
    ('2026-02-01', 'paid_search', 40, 20, 10, 8, 2),
    ('2026-03-01', 'paid_search', 60, 30, 15, 12, 3),
    ('2026-03-01', 'organic', 100, 10, 5, 5, 0);
create table analytics.dim_sales_reps (
    sales_rep_id text, crm text, rep_name text, team_key text, team_name text,
    is_active boolean
);
insert into analytics.dim_sales_reps values
    ('hubspot:1', 'hubspot', 'Ada Lovelace', 'hubspot:10', 'East', true),
    ('hubspot:2', 'hubspot', 'Alan Turing', 'hubspot:10', 'East', true),
    ('hubspot:3', 'hubspot', 'Gone Rep', 'hubspot:10', 'East', false),
    ('salesforce:005A', 'salesforce', 'Ada Lovelace', 'salesforce:00E1', 'East', true);
create table analytics.fct_lead_response (
    team_name text, channel text, arrived_date date, is_deleted boolean, is_answered boolean,
    business_hours_to_first_touch numeric, is_sla_met boolean, is_sla_breached boolean,
    has_meeting boolean, is_opportunity boolean, is_won boolean
);
insert into analytics.fct_lead_response values
    ('East', 'paid_search', '2026-03-01', false, true, 2, true, false, true, true, false),
    ('East', 'paid_search', '2026-03-02', false, true, 6, false, true, false, false, false),
    ('East', 'paid_search', '2026-03-03', false, true, 4, true, false, true, false, false),
    ('East', 'paid_search', '2026-03-04', false, false, null, false, true, false, false, false),
    ('East', 'paid_search', '2026-03-05', false, false, null, false, false, false, false, false),
    ('East', 'paid_search', '2026-03-06', true, true, 1, true, false, true, true, true),
    ('East', 'organic', '2025-12-01', false, true, 10, false, true, false, false, false),
    ('West', 'organic', '2026-02-20', false, true, 3, true, false, true, true, true);
create table analytics.rpt_rep_activity_scorecard (
    sales_rep_id text, week_start date, activities bigint, calls bigint,
    calls_connected bigint, emails bigint, meetings_held bigint, contacts_first_reached bigint,
    reached_with_meeting bigint, deals_won bigint, deals_lost bigint
);
insert into analytics.rpt_rep_activity_scorecard values
    ('hubspot:1', '2026-03-09', 10, 4, 2, 5, 1, 4, 1, 1, 0),
    ('hubspot:1', '2026-03-02', 6, 2, 1, 3, 0, 2, 1, 0, 1),
    ('hubspot:1', '2026-02-09', 99, 99, 99, 0, 0, 9, 9, 9, 9),
    ('hubspot:2', '2026-02-16', 3, 3, 0, 0, 0, 3, 0, 0, 0),
    ('salesforce:005A', '2026-03-02', 5, 0, 0, 5, 2, 2, 2, 1, 1);
create table analytics.fct_quota_attainment (
    owner_type text, owner_id text, date_day date, period_type text, period_start date,
    period_end date, quota numeric, booked_to_date numeric, attainment numeric,
    expected_to_date numeric, pacing numeric, projected numeric, projected_method text
);
insert into analytics.fct_quota_attainment values
    ('rep', 'hubspot:1', '2026-03-10', 'month', '2026-03-01', '2026-03-31',
        1000, 400, 0.4, 250, 1.6, 1240),
    ('rep', 'hubspot:1', '2026-03-10', 'day', '2026-03-10', '2026-03-10',
        50, 0, 0, 50, 0, 0),
    ('rep', 'hubspot:2', '2026-03-10', 'month', '2026-03-01', '2026-03-31',
        1000, 125, 0.125, 250, 0.5, 387.5),
    ('rep', 'hubspot:3', '2026-03-10', 'month', '2026-03-01', '2026-03-31',
        0, 0, null, 0, null, 0),
    ('team', 'hubspot:10', '2026-03-10', 'month', '2026-03-01', '2026-03-31',
        2000, 525, 0.2625, 500, 1.05, 1627.5),
    ('rep', 'salesforce:005A', '2026-03-10', 'month', '2026-03-01', '2026-03-31',
        500, 500, 1, 250, 2, 1550),
    ('team', 'salesforce:00E1', '2026-03-10', 'month', '2026-03-01', '2026-03-31',
        500, 500, 1, 250, 2, 1550),
    ('rep', 'hubspot:1', '2026-03-11', 'month', '2026-03-01', '2026-03-31',
        1000, 900, 0.9, 300, 3, 2500);
insert into analytics.fct_quota_attainment values
    ('team', 'hubspot:10', '2026-03-10', 'quarter', '2026-01-01', '2026-03-31',
        6000, 4000, 0.6667, 5000, 0.8, 5200, 'statistical'),
    ('team', 'salesforce:00E1', '2026-03-10', 'quarter', '2026-01-01', '2026-03-31',
        1500, 500, 0.3333, 1250, 0.4, 600, 'run_rate');
create table analytics.rpt_pipeline_waterfall (
    period_type text, period_start date, period_end date, closing_date date, owner_level text,
    owner_key text, opening_pipeline numeric, created numeric, reopened numeric,
    pulled_in numeric, reassigned_in numeric, increased numeric, decreased numeric,
    fx_movement numeric, pushed_out numeric, reassigned_out numeric, won numeric,
    lost numeric, closing_pipeline numeric
);
insert into analytics.rpt_pipeline_waterfall values
    ('quarter', '2026-01-01', '2026-03-31', '2026-03-10', 'company', 'company',
        1000, 500, 0, 200, 0, 100, -50, 10, -300, 0, -400, -60, 1000),
    ('quarter', '2026-01-01', '2026-03-31', '2026-03-10', 'team', 'hubspot:10',
        800, 400, 0, 200, 30, 100, -50, 0, -300, 0, -400, -60, 720),
    ('quarter', '2026-01-01', '2026-03-31', '2026-03-10', 'rep', 'hubspot:1',
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 12),
    ('quarter', '2025-10-01', '2025-12-31', '2025-12-31', 'company', 'company',
        9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 108),
    ('month', '2026-03-01', '2026-03-31', '2026-03-10', 'company', 'company',
        9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 108);
create table analytics.rpt_conversion_sync (
    sync_date date, platform text, conversion_type text, currency_code text, sent_count bigint,
    accepted_count bigint, rejected_count bigint, failed_count bigint,
    retry_pending_count bigint, skipped_count bigint, value_sent numeric
);
insert into analytics.rpt_conversion_sync values
    ('2026-03-10', 'google_ads', 'closed_won', 'USD', 4, 3, 1, 0, 0, 2, 4500),
    ('2026-03-09', 'google_ads', 'sql', null, 5, 5, 0, 0, 0, 0, 0),
    ('2026-03-10', 'meta_ads', 'closed_won', 'EUR', 2, 1, 0, 1, 0, 7, 900),
    ('2026-01-02', 'meta_ads', 'closed_won', 'EUR', 50, 50, 0, 0, 0, 0, 99999);
create table analytics.fct_pipeline_daily (
    date_day date, deal_key text, forecast_category text, amount_reporting numeric
);
insert into analytics.fct_pipeline_daily values
    ('2026-03-08', 'hubspot:1', 'commit', 100),
    ('2026-03-08', 'hubspot:2', 'pipeline', 30),
    ('2026-03-08', 'hubspot:3', 'pipeline', 20),
    ('2026-03-10', 'hubspot:1', 'commit', 120),
    ('2026-03-04', 'hubspot:1', 'commit', 999),
    ('2025-11-30', 'hubspot:1', 'commit', 999);
create table analytics.rpt_pipeline_forecast (
    owner_type text, owner_id text, owner_name text, period_name text, period_start date,
    period_end date, booked_amount numeric, commit_forecast numeric,
    statistical_forecast numeric, statistical_forecast_lower numeric,
    statistical_forecast_upper numeric
);
insert into analytics.rpt_pipeline_forecast values
    ('team', 'hubspot:10', 'East', 'current', '2026-01-01', '2026-03-31',
        4000, 4500, 5100, 4700, 5500),
    ('team', 'hubspot:10', 'East', 'next', '2026-04-01', '2026-06-30', 0, 9, 9, 9, 9),
    ('team', 'salesforce:00E1', 'East', 'current', '2026-01-01', '2026-03-31',
        500, 500, null, null, null),
    ('company', 'company', 'Company', 'current', '2026-01-01', '2026-03-31',
        4500, 5000, 5600, 5100, 6100),
    ('rep', 'hubspot:1', 'Ada Lovelace', 'current', '2026-01-01', '2026-03-31',
        9, 9, 9, 9, 9);
create table analytics.rpt_forecast_accuracy_summary (
    owner_type text, owner_id text, owner_name text, period_start date, period_end date,
    forecast_method text, scored_weeks bigint, mape numeric, bias numeric
);
insert into analytics.rpt_forecast_accuracy_summary values
    ('team', 'hubspot:10', 'East', '2025-07-01', '2025-09-30', 'statistical', 10, 0.2, 0.1),
    ('team', 'hubspot:10', 'East', '2025-10-01', '2025-12-31', 'statistical', 30, 0.4, -0.1),
    ('team', 'hubspot:10', 'East', '2025-04-01', '2025-06-30', 'statistical', 0, null, null),
    ('team', 'hubspot:10', 'East', '2026-01-01', '2026-03-31', 'statistical', 5, 0.9, 0.9),
    ('team', 'hubspot:10', 'East', '2025-10-01', '2025-12-31', 'run_rate', 30, 0.5, -0.5),
    ('company', 'company', 'Company', '2025-10-01', '2025-12-31', 'commit', 12, 0.25, -0.25);
create table analytics.rpt_sales_rep_performance (
    sales_rep_id text, period_type text, period_start date, as_of_date date,
    open_pipeline_reporting numeric, remaining_quota_reporting numeric,
    pipeline_coverage numeric
);
insert into analytics.rpt_sales_rep_performance values
    ('hubspot:1', 'quarter', '2025-10-01', '2025-12-31', 1, 1, 1),
    ('hubspot:1', 'quarter', '2026-01-01', '2026-03-10', 1800, 600, 3),
    ('hubspot:2', 'quarter', '2026-01-01', '2026-03-10', 875, 875, 1),
    ('hubspot:3', 'quarter', '2026-01-01', '2026-03-10', 0, 0, null),
    ('hubspot:1', 'month', '2026-03-01', '2026-03-10', 9, 9, 9);
"""

OPS = """
insert into ops.watermarks (source, entity, watermark, batch_id) values
    ('hubspot', 'contacts', '2026-03-10T18:00:00Z', 'b1'),
    ('hubspot', 'deals', '2026-03-10T12:00:00Z', 'b2'),
    ('google_ads', 'campaign_daily_metrics', '2026-03-11T00:00:00Z', 'b3');
insert into ops.load_batches (batch_id, run_id, source, entity, load_mode, window_start,
    window_end, row_count, deleted_count, loaded_at) values
    ('b1', 'r', 'hubspot', 'contacts', 'merge', '2026-03-10', '2026-03-11', 30, 0,
        '2026-03-11T02:05:00Z'),
    ('b2', 'r', 'hubspot', 'deals', 'merge', '2026-03-10', '2026-03-11', 7, 0,
        '2026-03-11T02:06:00Z'),
    ('b3', 'r', 'google_ads', 'campaign_daily_metrics', 'replace_days', '2026-02-09',
        '2026-03-11', 60, 0, '2026-03-11T02:04:00Z');
insert into ops.quality_results (run_id, checked_at, suite, table_name, rule, expectation,
    severity, passed, observed_value) values
    ('old', '2026-03-09T02:00:00Z', 'raw_hubspot', 'contacts', 'HS1', 'not_null', 'critical',
        false, 'old failure'),
    ('new', '2026-03-11T02:10:00Z', 'raw_hubspot', 'contacts', 'HS1', 'not_null', 'critical',
        true, null),
    ('new', '2026-03-11T02:10:00Z', 'raw_hubspot', 'deals', 'HS7', 'volume', 'warning',
        false, '7 rows vs median 70'),
    ('new', '2026-03-11T02:11:00Z', 'marts', 'fct_deals', 'M1', 'reconcile', 'critical',
        true, null);
"""


def load(url: str, *scripts: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for script in scripts:
            conn.execute(script)


def read_csv(site: Path, chart_id: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((site / "data" / f"{chart_id}.csv").read_text())))


@pytest.fixture
def warehouse(fresh_database: str) -> str:
    load(fresh_database, ANALYTICS, OPS_DDL, RESULTS_DDL, OPS)
    return fresh_database


def test_every_chart_drawn_with_its_numbers(warehouse: str, tmp_path: Path) -> None:
    index = build_site(warehouse, tmp_path, SUMMARY, now=NOW)
    site = tmp_path / "site"
    page = index.read_text()

    assert index == site / "index.html"
    assert (site / "assets" / "plotly.min.js").read_text() == get_plotlyjs()
    assert "Not available in this warehouse" not in page
    for section in SECTIONS:
        for chart in section.charts:
            assert (site / "data" / f"{chart.chart_id}.csv").is_file()
            if chart.draw is not None:
                assert f'id="chart-{chart.chart_id}"' in page, chart.chart_id
                assert re.search(rf'Plotly.newPlot\(\s*"chart-{chart.chart_id}"', page)
    assert "cdn" not in page.lower()  # everything the page loads is in the site

    # Month rows only; ROAS is summed revenue over summed spend, not an average of ratios.
    spend_revenue = read_csv(site, "channel_spend_revenue")
    assert [row["channel"] for row in spend_revenue] == ["paid_search", "paid_social", "organic"]
    assert spend_revenue[0] == {
        "channel": "paid_search",
        "spend": "200",
        "attributed_revenue": "800",
        "roas": "4.0000",
    }
    assert spend_revenue[2]["roas"] == ""  # no spend: no ROAS
    monthly = read_csv(site, "monthly_spend_revenue")
    assert [(r["month"], r["spend"], r["attributed_revenue"]) for r in monthly] == [
        ("2026-02-01", "100", "300"),
        ("2026-03-01", "150", "600"),
    ]
    roas = {(r["channel"], r["model"]): r["roas"] for r in read_csv(site, "channel_roas_by_model")}
    assert roas == {
        ("paid_search", "linear"): "1.0000",
        ("paid_search", "data_driven"): "4.0000",
        ("paid_social", "data_driven"): "0.5000",
    }

    shares = read_csv(site, "model_revenue_share")
    assert [(r["model"], r["channel"], r["revenue_share"]) for r in shares] == [
        ("first_touch", "paid_search", "1.0000"),
        ("linear", "organic", "0.2500"),
        ("linear", "paid_search", "0.7500"),
    ]

    # The data-driven model's rows, one per platform, keyword text and match type, by spend;
    # no CPC without clicks; Microsoft's keyword beside Google's, spend without credit.
    keywords = read_csv(site, "top_keywords")
    assert [
        (
            r["platform"],
            r["keyword"],
            r["spend"],
            r["cost_per_click"],
            r["leads"],
            r["attributed_revenue"],
        )
        for r in keywords
    ] == [
        ("google_ads", "thinline [exact]", "80", "2.00", "0.00", "0.00"),
        ("google_ads", "revenue analytics [phrase]", "50", "3.33", "2.50", "300.00"),
        ("microsoft_ads", "thinline [exact]", "20", "5.00", "0.00", "0.00"),
        ("google_ads", "sales bi [broad]", "10", "", "0.00", "0.00"),
    ]
    terms = read_csv(site, "top_search_terms")
    assert [(r["platform"], r["search_term"], r["spend"], r["shown_share"]) for r in terms] == [
        ("google_ads", "thinline", "60", "0.6375"),  # the terms shown spent 102 of 160
        ("google_ads", "best revenue analytics", "30", "0.6375"),
        ("microsoft_ads", "thinline", "12", "0.6375"),
    ]

    # Per page over its campaigns, by spend, then pages without spend by leads.
    pages = read_csv(site, "top_landing_pages")
    assert [
        (r["landing_page"], r["spend"], r["touches"], r["leads"], r["cost_per_lead"], r["roas"])
        for r in pages
    ] == [
        ("https://x.example/b", "60", "0", "0.00", "", "0.0000"),
        ("https://x.example/a", "40", "5", "4.00", "10.00", "2.2500"),  # two campaigns
        ("https://x.example/", "0", "9", "5.50", "", ""),  # unpaid: no cost per lead
        ("https://x.example/c", "0", "2", "1.00", "", ""),
    ]

    # Leads of the last 90 days (not the deleted one, nor December's): the median of 2, 6 and
    # 4 hours; 2 breaches (one answered late, one still waiting) of 4 decided, 1 pending.
    speed = read_csv(site, "speed_to_lead")
    shown = ("team", "channel", "leads", "answered", "median_business_hours")
    shown += ("sla_breached", "sla_breach_rate")
    assert [tuple(r[column] for column in shown) for r in speed] == [
        ("East", "paid_search", "5", "3", "4.00", "2", "0.5000"),
        ("West", "organic", "1", "1", "3.00", "0", "0.0000"),
    ]
    # Answered leads with a decided SLA, all time: December's late answer counts here.
    gap = read_csv(site, "sla_conversion_gap")
    shown = ("team", "follow_up", "leads", "meeting_rate", "opportunity_rate", "win_rate")
    assert [tuple(r[column] for column in shown) for r in gap] == [
        ("East", "within SLA", "2", "1.0000", "0.5000", "0.0000"),
        ("East", "after SLA", "2", "0.0000", "0.0000", "0.0000"),
        ("West", "within SLA", "1", "1.0000", "1.0000", "1.0000"),
    ]

    # The weeks starting in the 28 days up to the run's day (2026-02-09 is one day too old).
    activity = read_csv(site, "rep_activity")
    assert [
        (
            r["rep"],
            r["team"],
            r["activities"],
            r["calls_connected"],
            r["contacts_first_reached"],
            r["activity_to_meeting_rate"],
            r["win_rate"],
        )
        for r in activity
    ] == [
        ("Ada Lovelace (hubspot)", "East (hubspot)", "16", "3", "6", "0.3333", "0.5000"),
        ("Alan Turing", "East (hubspot)", "3", "0", "3", "0.0000", ""),
        ("Ada Lovelace (salesforce)", "East (salesforce)", "5", "0", "2", "1.0000", "0.5000"),
    ]

    funnel = read_csv(site, "funnel")
    assert funnel == [
        {"leads": "200", "mqls": "60", "sqls": "30", "opportunities": "25", "won_deals": "5"}
    ]
    by_channel = {row["channel"]: row for row in read_csv(site, "funnel_by_channel")}
    assert by_channel["paid_search"]["lead_to_mql_rate"] == "0.5000"  # 50 / 100
    assert by_channel["paid_search"]["opportunity_to_won_rate"] == "0.2500"  # 5 / 20
    assert by_channel["organic"]["opportunity_to_won_rate"] == "0.0000"

    # The run's day (2026-03-10), not the later 2026-03-11 row; the rep without quota is left
    # out; reps and teams are named from dim_sales_reps, with the CRM where a name is in both.
    reps = read_csv(site, "quota_pacing_reps")
    assert [(r["rep"], r["team"], r["period_type"], r["pacing"]) for r in reps] == [
        ("Ada Lovelace (hubspot)", "East (hubspot)", "day", "0"),
        ("Ada Lovelace (hubspot)", "East (hubspot)", "month", "1.6"),
        ("Alan Turing", "East (hubspot)", "month", "0.5"),
        ("Ada Lovelace (salesforce)", "East (salesforce)", "month", "2"),
    ]
    teams = read_csv(site, "quota_pacing_teams")
    assert [(r["team"], r["period_type"], r["booked_to_date"]) for r in teams] == [
        ("East (hubspot)", "month", "525"),
        ("East (hubspot)", "quarter", "4000"),
        ("East (salesforce)", "month", "500"),
        ("East (salesforce)", "quarter", "500"),
    ]

    coverage = read_csv(site, "pipeline_coverage")  # this quarter; the idle rep left out
    assert [(r["rep"], r["pipeline_coverage"]) for r in coverage] == [
        ("Ada Lovelace (hubspot)", "3"),
        ("Alan Turing", "1"),
    ]
    teams_coverage = read_csv(site, "pipeline_coverage_teams")
    assert [(r["team"], r["open_pipeline"], r["pipeline_coverage"]) for r in teams_coverage] == [
        ("East (hubspot)", "2675", "1.8136")  # (1800 + 875) / (600 + 875)
    ]

    # Pipeline: this quarter's company and team waterfalls, company first.
    waterfall = read_csv(site, "pipeline_waterfall")
    assert [
        (r["owner"], r["opening_pipeline"], r["won"], r["closing_pipeline"]) for r in waterfall
    ] == [
        ("company", "1000", "-400", "1000"),
        ("East (hubspot)", "800", "-400", "720"),
    ]
    # Sundays and the report's day of the last 13 weeks, by forecast category.
    trend = read_csv(site, "pipeline_trend")
    assert [(r["date_day"], r["forecast_category"], r["open_pipeline"]) for r in trend] == [
        ("2026-03-08", "commit", "100"),
        ("2026-03-08", "pipeline", "50"),
        ("2026-03-10", "commit", "120"),
    ]
    forecast = read_csv(site, "forecast_vs_quota")
    assert [
        (r["team"], r["quota"], r["booked"], r["statistical_forecast"], r["projected_method"])
        for r in forecast
    ] == [
        ("East (hubspot)", "6000", "4000", "5100", "statistical"),
        ("East (salesforce)", "1500", "500", "", "run_rate"),
        ("company", "7500", "4500", "5600", ""),
    ]
    # Completed quarters with scored weeks, MAPE and bias weighted by the weeks.
    accuracy = read_csv(site, "forecast_accuracy")
    assert [(r["team"], r["method"], r["quarters"], r["mape"], r["bias"]) for r in accuracy] == [
        ("East (hubspot)", "run_rate", "1", "0.5000", "-0.5000"),
        ("East (hubspot)", "statistical", "2", "0.3500", "-0.0500"),
        ("company", "commit", "1", "0.2500", "-0.2500"),
    ]

    # Offline conversions of the last 30 days: per platform, and per day, newest first.
    outcomes = read_csv(site, "conversion_outcomes")
    counts = ("accepted_count", "rejected_count", "failed_count", "skipped_count")
    assert [(r["platform"], *(r[name] for name in counts)) for r in outcomes] == [
        ("google_ads", "8", "1", "0", "2"),
        ("meta_ads", "1", "0", "1", "7"),
    ]
    days = read_csv(site, "conversion_sync_days")
    assert [(r["sync_date"], r["platform"], r["currency"], r["value_sent"]) for r in days] == [
        ("2026-03-10", "google_ads", "USD", "4500"),
        ("2026-03-10", "meta_ads", "EUR", "900"),
        ("2026-03-09", "google_ads", "", "0"),
    ]

    # Latest quality run only.
    suites = {row["suite"]: row for row in read_csv(site, "quality_by_suite")}
    assert {name: (r["passed"], r["warnings"], r["failed"]) for name, r in suites.items()} == {
        "marts": ("1", "0", "0"),
        "raw_hubspot": ("1", "1", "0"),
    }
    failures = read_csv(site, "quality_failures")
    assert [(r["rule"], r["observed_value"]) for r in failures] == [("HS7", "7 rows vs median 70")]
    assert "7 rows vs median 70" in page

    # Interval end 03-11 00:00: newest hubspot watermark 03-10 18:00, last load 03-11 02:06.
    freshness = {
        row["source"]: (row["hours_behind"], row["loaded_hours_after"])
        for row in read_csv(site, "freshness_by_source")
    }
    assert freshness == {"google_ads": ("0.0", "2.1"), "hubspot": ("6.0", "2.1")}
    streams = read_csv(site, "freshness_by_entity")
    assert [(r["entity"], r["last_batch_rows"]) for r in streams] == [
        ("campaign_daily_metrics", "60"),
        ("contacts", "30"),
        ("deals", "7"),
    ]

    assert "manual__2026-03-11T02:00:00+00:00" in page
    assert (site / "data" / "run_summary.json").is_file()
    assert "dbt docs (lineage) (not built)" in page  # no dbt_docs/ in this site


def test_rep_pacing_is_a_grid_of_reps_by_period() -> None:
    result = Result(
        ("rep", "period_type", "pacing"),
        (("Ada", "day", Decimal("0")), ("Ada", "month", Decimal("1.6")), ("Alan", "year", None)),
    )
    trace = REP_PACING.draw(result).data[0]
    assert trace.type == "heatmap"
    assert trace.x == ("day", "week", "month", "quarter", "year")
    assert trace.y == ("Ada", "Alan")
    assert [list(row) for row in trace.z] == [[0.0, None, 1.6, None, None], [None] * 5]


def test_missing_tables_are_noted_not_fatal(fresh_database: str, tmp_path: Path) -> None:
    # A warehouse with the ops tables and only the funnel (say, a CRM-only run).
    load(fresh_database, OPS_DDL, RESULTS_DDL, OPS)
    load(
        fresh_database,
        "create schema analytics; create table analytics.rpt_funnel (cohort_month date, "
        "channel text, leads integer, mqls integer, sqls integer, opportunities integer, "
        "won_deals integer)",
    )
    page = build_site(fresh_database, tmp_path).read_text()

    assert "Not available in this warehouse: analytics.rpt_channel_performance" in page
    assert "Not available in this warehouse: analytics.fct_attribution" in page
    assert "Not available in this warehouse: analytics.fct_quota_attainment" in page
    assert "Not available in this warehouse: analytics.fct_lead_response" in page
    assert "Not available in this warehouse: analytics.rpt_conversion_sync" in page
    assert page.count("Not available in this warehouse") == 8
    assert "No rows yet." in page  # the funnel exists but is empty: no chart, a note
    assert 'id="chart-quality_by_suite"' in page  # ops sections still drawn


def test_query_error_on_an_existing_table_fails(fresh_database: str, tmp_path: Path) -> None:
    load(fresh_database, "create schema analytics; create table analytics.rpt_funnel (x int)")
    with pytest.raises(psycopg.errors.UndefinedColumn, match="leads"):
        build_site(fresh_database, tmp_path)


def test_other_builders_folders_are_kept_and_linked(warehouse: str, tmp_path: Path) -> None:
    data_docs = tmp_path / "site" / "data_docs" / "index.html"
    data_docs.parent.mkdir(parents=True)
    data_docs.write_text("<html>gx</html>")
    page = build_site(warehouse, tmp_path, SUMMARY).read_text()
    assert data_docs.read_text() == "<html>gx</html>"
    assert '<a href="data_docs/index.html">Data Docs (quality)</a>' in page


def test_report_params_follow_the_run_window() -> None:
    assert report_params(SUMMARY) == {
        "as_of": date(2026, 3, 10),
        "window_end": datetime(2026, 3, 11, tzinfo=UTC),
    }
    today = datetime.now(UTC).date()
    assert report_params(None) == {  # no run: yesterday, up to today's midnight
        "as_of": today - timedelta(days=1),
        "window_end": datetime.combine(today, time(), tzinfo=UTC),
    }


def _thinline(home: Path, *args: str, **kwargs) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("THINLINE_")}
    return subprocess.Popen(
        [THINLINE, *args],
        env={**clean, "THINLINE_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_report_open_without_a_report_is_one_error_line(tmp_path: Path) -> None:
    process = _thinline(tmp_path, "report", "open", "--no-browser")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert stderr.strip().splitlines() == [
        f"error: no report in {tmp_path / 'site'}: run `thinline run` (or `thinline report build`)"
    ]


def test_report_open_serves_the_site_on_localhost(warehouse: str, tmp_path: Path) -> None:
    build_site(warehouse, tmp_path, SUMMARY)
    process = _thinline(tmp_path, "report", "open", "--port", "0", "--no-browser")
    try:
        line = process.stdout.readline()
        assert line.startswith(f"serving {tmp_path / 'site'} at http://127.0.0.1:")
        url = line.split(" at ", 1)[1].split()[0]
        page = httpx.get(url, timeout=10)
        assert page.status_code == 200
        assert "Thinline nightly report" in page.text
        script = httpx.get(url.replace("index.html", "assets/plotly.min.js"), timeout=10)
        assert script.status_code == 200
        assert len(script.content) > 1_000_000
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0
