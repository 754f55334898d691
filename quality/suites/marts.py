"""Suites for the marts dbt builds aside (``analytics_build``) before publish: reconciliations
of mart totals against the raw JSON, by a path independent of the dbt models.

Keys, not-nulls and relationships inside the marts are dbt tests and are not repeated here.
Each suite names the raw tables it reads; the runner skips a suite whose source is not
loaded in this warehouse (a disabled source has no raw tables and no mart rows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import great_expectations as gx

from quality.results import CRITICAL, WARNING
from quality.suites.marts_fx import (
    ECB_RATES,
    FACTS,
    HUBSPOT_RATES,
    SALESFORCE_RATES,
    build_crm_suite,
    build_ecb_suite,
    build_fx_suite,
)
from quality.suites.rules import INTEGER, LIVE, NUMBER, rows_check
from thinline.attribution_models import ATTRIBUTION_MODELS, ATTRIBUTION_SCOPES

GOOGLE_ADS = "google_ads"  # fct_ad_spend_daily.platform
HUBSPOT = "hubspot"  # fct_deals.crm
SALESFORCE = "salesforce"


def _raw_cost(table: str, columns: list[str]) -> str:
    """Micros per group of live raw rows (absent costMicros is 0; malformed ones fail raw)."""
    cost = "record->'metrics'->>'costMicros'"
    positions = ", ".join(str(position) for position in range(1, len(columns) + 1))
    return (
        f"select {', '.join(columns)}, sum(coalesce(case when {cost} ~ '{INTEGER}' "
        f"then ({cost})::numeric end, 0)) as cost_micros "
        f"from {table} where {LIVE} group by {positions}"
    )


def _daily_mismatch(mart_filter: str, raw_daily: str, platform: str = GOOGLE_ADS) -> str:
    """Days where the mart's spend of ``platform`` and the raw spend differ (missing = 0)."""
    return (
        "select coalesce(mart.spend_date, raw.spend_date) as spend_date, "
        "mart.spend as mart_spend, raw.spend as raw_spend "
        "from (select fct.spend_date, sum(fct.spend) as spend from {batch} as fct "
        f"where fct.platform = '{platform}'{mart_filter} group by fct.spend_date) as mart "
        f"full outer join ({raw_daily}) as raw on mart.spend_date = raw.spend_date "
        "where coalesce(mart.spend, 0) <> coalesce(raw.spend, 0) "
        "order by 1"
    )


def _raw_daily(table: str) -> str:
    """Spend per day of a Google Ads raw metrics table (costMicros / 1e6)."""
    return (
        "select metric_date as spend_date, sum(cost_micros) / 1000000 as spend "
        f"from ({_raw_cost(table, ['metric_date'])}) as raw group by metric_date"
    )


def build_ad_spend_suite() -> gx.ExpectationSuite:
    ad_level = _raw_daily("raw_google_ads.ad_daily_metrics")
    # The mart adds a campaign-level remainder row where the campaign report exceeds its ads
    # (e.g. Performance Max), so a day's total is each campaign's report when it has one,
    # else the sum of its ads.
    campaign_level = (
        "select coalesce(campaign.metric_date, ad.metric_date) as spend_date, "
        "sum(coalesce(campaign.cost_micros, ad.cost_micros)) / 1000000 as spend "
        "from ("
        + _raw_cost(
            "raw_google_ads.campaign_daily_metrics",
            ["customer_id", "campaign_id::text as campaign_id", "metric_date"],
        )
        + ") as campaign full outer join ("
        + _raw_cost(
            "raw_google_ads.ad_daily_metrics",
            ["customer_id", "record->'campaign'->>'id' as campaign_id", "metric_date"],
        )
        + ") as ad on campaign.customer_id = ad.customer_id "
        "and campaign.campaign_id = ad.campaign_id and campaign.metric_date = ad.metric_date "
        "group by 1"
    )
    return gx.ExpectationSuite(
        name="marts.fct_ad_spend_daily",
        expectations=[
            rows_check(
                "MART-SPEND-001",
                CRITICAL,
                "Google Ads ad-level spend per day equals raw ad_daily_metrics costMicros / 1e6",
                _daily_mismatch(" and fct.ad_id is not null", ad_level),
            ),
            rows_check(
                "MART-SPEND-002",
                CRITICAL,
                "Google Ads spend per day equals the raw campaign report "
                "(ad rows where a campaign has no report row)",
                _daily_mismatch("", campaign_level),
            ),
        ],
    )


def build_keyword_suite() -> gx.ExpectationSuite:
    """Google Ads keywords against raw keyword_view."""
    return gx.ExpectationSuite(
        name="marts.fct_keyword_performance_daily",
        expectations=[
            rows_check(
                "MART-KW-001",
                CRITICAL,
                "Google Ads keyword spend per day equals raw keyword_daily_metrics "
                "costMicros / 1e6",
                _daily_mismatch("", _raw_daily("raw_google_ads.keyword_daily_metrics")),
            ),
        ],
    )


def build_keyword_campaign_suite() -> gx.ExpectationSuite:
    """Every platform's keywords against their campaigns' spend."""
    return gx.ExpectationSuite(
        name="marts.fct_keyword_performance_daily.campaigns",
        expectations=[
            rows_check(
                "MART-KW-002",
                # Google and Microsoft report a search campaign's spend through its keywords,
                # except what keywords do not drive (e.g. dynamic search ads): worth a look.
                WARNING,
                "a search campaign's keywords add up to its spend in fct_ad_spend_daily per day",
                "select kw.campaign_key, kw.spend_date, kw.spend as keyword_spend, "
                "coalesce(ads.spend, 0) as campaign_spend "
                "from (select campaign_key, spend_date, sum(spend) as spend "
                "from {batch} as kw_rows group by campaign_key, spend_date) as kw "
                "left join (select campaign_key, spend_date, sum(spend) as spend "
                "from fct_ad_spend_daily group by campaign_key, spend_date) as ads "
                "on ads.campaign_key = kw.campaign_key and ads.spend_date = kw.spend_date "
                "where kw.spend <> coalesce(ads.spend, 0) order by 1, 2",
            ),
        ],
    )


def build_search_term_suite() -> gx.ExpectationSuite:
    """Google Ads search terms against raw search_term_view."""
    return gx.ExpectationSuite(
        name="marts.fct_search_term_performance_daily",
        expectations=[
            rows_check(
                "MART-ST-001",
                CRITICAL,
                "Google Ads search-term spend per day equals raw search_term_daily_metrics "
                "costMicros / 1e6",
                _daily_mismatch("", _raw_daily("raw_google_ads.search_term_daily_metrics")),
            ),
        ],
    )


def build_search_term_keyword_suite() -> gx.ExpectationSuite:
    """Every platform's search terms: never more than their keyword."""
    return gx.ExpectationSuite(
        name="marts.fct_search_term_performance_daily.keywords",
        expectations=[
            rows_check(
                "MART-ST-002",
                WARNING,
                "a keyword's search terms add up to at most its spend, clicks and impressions",
                "select terms.keyword_performance_key, terms.spend as search_term_spend, "
                "kw.spend as keyword_spend from (select keyword_performance_key, "
                "sum(spend) as spend, sum(clicks) as clicks, sum(impressions) as impressions "
                "from {batch} as term_rows group by keyword_performance_key) as terms "
                "left join fct_keyword_performance_daily as kw "
                "on kw.keyword_performance_key = terms.keyword_performance_key "
                "where kw.keyword_performance_key is null or terms.spend > kw.spend "
                "or terms.clicks > kw.clicks or terms.impressions > kw.impressions order by 1",
            ),
        ],
    )


def _raw_decimal_daily(table: str, day_column: str, spend_field: str) -> str:
    """Spend per day of a raw table whose spend is a decimal string (Meta, LinkedIn,
    Microsoft)."""
    spend = f"record->>'{spend_field}'"
    return (
        f"select {day_column} as spend_date, "
        f"sum(case when {spend} ~ '{NUMBER}' then ({spend})::numeric else 0 end) as spend "
        f"from {table} where {LIVE} group by 1"
    )


def build_platform_raw_suite(
    name: str,
    platform: str,
    rule: str,
    table: str,
    day_column: str,
    spend_field: str,
    mart_filter: str = "",
) -> gx.ExpectationSuite:
    """One platform's rows of a mart (those of ``mart_filter``) against its raw decimal-string
    spend, per day, exactly."""
    raw = _raw_decimal_daily(table, day_column, spend_field)
    return gx.ExpectationSuite(
        name=f"{name}.{platform}",
        expectations=[
            rows_check(
                rule,
                CRITICAL,
                f"{platform} spend per day equals the sum of live {table} {spend_field}",
                _daily_mismatch(mart_filter, raw, platform),
            )
        ],
    )


def build_social_spend_suite(
    platform: str, rule: str, table: str, day_column: str, spend_field: str
) -> gx.ExpectationSuite:
    """Meta / LinkedIn / Microsoft Advertising: spend per day equals the raw decimal-string
    spend, exactly."""
    return build_platform_raw_suite(
        "marts.fct_ad_spend_daily", platform, rule, table, day_column, spend_field
    )


def build_deals_suite() -> gx.ExpectationSuite:
    amount = "record->'properties'->>'amount'"
    raw_deals = (
        "select count(*) as deal_count, "
        f"sum(case when {amount} ~ '{NUMBER}' then ({amount})::numeric end) as amount "
        f"from raw_hubspot.deals where {LIVE}"
    )
    mart_deals = (
        "select count(*) as deal_count, sum(fct.amount) as amount "
        f"from {{batch}} as fct where fct.crm = '{HUBSPOT}'"
    )
    totals = f"from ({mart_deals}) as mart cross join ({raw_deals}) as raw "
    return gx.ExpectationSuite(
        name="marts.fct_deals",
        expectations=[
            rows_check(
                "MART-DEAL-001",
                CRITICAL,
                "HubSpot deal count equals live raw_hubspot.deals rows",
                "select mart.deal_count as mart_deal_count, raw.deal_count as raw_deal_count "
                + totals
                + "where mart.deal_count <> raw.deal_count",
            ),
            rows_check(
                "MART-DEAL-002",
                CRITICAL,
                "HubSpot deal amount total equals the sum of live raw amounts",
                "select mart.amount as mart_amount, raw.amount as raw_amount "
                + totals
                + "where coalesce(mart.amount, 0) <> coalesce(raw.amount, 0)",
            ),
            rows_check(
                "MART-DEAL-003",
                WARNING,
                "every HubSpot deal owner exists in raw_hubspot.owners",
                "select fct.deal_id, fct.owner_id from {batch} as fct "
                "left join raw_hubspot.owners as owners "
                "on owners.owner_id::text = fct.owner_id::text "
                f"where fct.crm = '{HUBSPOT}' and fct.owner_id is not null "
                "and owners.owner_id is null order by fct.deal_id",
            ),
        ],
    )


def build_salesforce_deals_suite() -> gx.ExpectationSuite:
    amount = "record->>'Amount'"
    raw = (
        "select count(*) as deal_count, "
        f"sum(case when {amount} ~ '{NUMBER}' then ({amount})::numeric end) as amount "
        f"from raw_salesforce.opportunities where {LIVE}"
    )
    mart = (
        "select count(*) as deal_count, sum(fct.amount) as amount "
        f"from {{batch}} as fct where fct.crm = '{SALESFORCE}'"
    )
    totals = f"from ({mart}) as mart cross join ({raw}) as raw "
    return gx.ExpectationSuite(
        name="marts.fct_deals.salesforce",
        expectations=[
            rows_check(
                "MART-DEAL-004",
                CRITICAL,
                "Salesforce deal count equals live raw_salesforce.opportunities rows",
                "select mart.deal_count as mart_deal_count, raw.deal_count as raw_deal_count "
                + totals
                + "where mart.deal_count <> raw.deal_count",
            ),
            rows_check(
                "MART-DEAL-005",
                CRITICAL,
                "Salesforce deal amount total equals the sum of live raw Amounts",
                "select mart.amount as mart_amount, raw.amount as raw_amount "
                + totals
                + "where coalesce(mart.amount, 0) <> coalesce(raw.amount, 0)",
            ),
            rows_check(
                "MART-DEAL-006",
                WARNING,
                "every Salesforce deal owner exists in raw_salesforce.users",
                "select fct.deal_id, fct.owner_id from {batch} as fct "
                "left join raw_salesforce.users as users on users.user_id = fct.owner_id "
                f"where fct.crm = '{SALESFORCE}' and fct.owner_id is not null "
                "and users.user_id is null order by fct.deal_id",
            ),
        ],
    )


CENT = "0.01"  # credits are fractions: sums may differ from the amount in far decimals


def build_attribution_suite() -> gx.ExpectationSuite:
    """Every model hands out exactly the closed-won revenue (reporting currency) of fct_deals in
    each attribution scope (contact: the primary contact's journey; account: the buying
    committee's), and every model is there. ``fct_deals`` is read from the same (build)
    schema."""
    models = ", ".join(f"('{model}')" for model in ATTRIBUTION_MODELS)
    scopes = ", ".join(f"('{scope}')" for scope in ATTRIBUTION_SCOPES)
    return gx.ExpectationSuite(
        name="marts.fct_attribution",
        expectations=[
            rows_check(
                "MART-ATTR-001",
                CRITICAL,
                "per attribution scope and model, closed_won revenue_credit sums to the "
                "closed-won amount_reporting of fct_deals (to the cent)",
                "select scopes.attribution_scope, models.model, "
                "credited.revenue as attributed_revenue, won.revenue as closed_won_revenue "
                f"from (values {scopes}) as scopes (attribution_scope) "
                f"cross join (values {models}) as models (model) "
                "left join (select attr.attribution_scope, attr.model, "
                "coalesce(sum(attr.revenue_credit), 0) as revenue "
                "from {batch} as attr where attr.conversion_type = 'closed_won' "
                "group by attr.attribution_scope, attr.model) as credited "
                "on credited.attribution_scope = scopes.attribution_scope "
                "and credited.model = models.model "
                "cross join (select coalesce(sum(deals.amount_reporting), 0) as revenue "
                "from fct_deals as deals where deals.is_won) as won "
                f"where abs(coalesce(credited.revenue, 0) - won.revenue) > {CENT} "
                "order by scopes.attribution_scope, models.model",
            ),
        ],
    )


def build_landing_page_suite() -> gx.ExpectationSuite:
    """Per model, the landing-page report hands out what fct_attribution credits (contact scope)
    to touchpoints with a landing page, and its spend (Google's from landing_page_view) is the
    ad-level spend of every ad with a final URL."""
    models = ", ".join(f"('{model}')" for model in ATTRIBUTION_MODELS)
    return gx.ExpectationSuite(
        name="marts.rpt_landing_page_performance",
        expectations=[
            rows_check(
                "MART-LP-001",
                CRITICAL,
                "per model, leads and closed-won revenue equal fct_attribution's credit to "
                "touchpoints with a landing page",
                "select models.model, report.leads, report.revenue, "
                "credited.leads as credited_leads, credited.revenue as credited_revenue "
                f"from (values {models}) as models (model) "
                "left join (select model, sum(leads) as leads, sum(attributed_revenue) as revenue "
                "from {batch} as lp group by model) as report on report.model = models.model "
                "left join (select attr.model, "
                "sum(case when attr.conversion_type = 'lead' then attr.credit end) as leads, "
                "sum(case when attr.conversion_type = 'closed_won' then attr.revenue_credit end) "
                "as revenue from fct_attribution as attr inner join fct_touchpoints as touch "
                "on touch.touchpoint_id = attr.touchpoint_id "
                "where touch.landing_page_url is not null and attr.attribution_scope = 'contact' "
                "group by attr.model) as credited "
                "on credited.model = models.model "
                f"where abs(coalesce(report.leads, 0) - coalesce(credited.leads, 0)) > {CENT} "
                "or abs(coalesce(report.revenue, 0) - coalesce(credited.revenue, 0)) > "
                f"{CENT} order by models.model",
            ),
            rows_check(
                "MART-LP-002",
                # Google's pages come from its landing_page_view, a report of its own: a
                # difference from its ad report is worth a look, not a stop.
                WARNING,
                "per model, spend equals fct_ad_spend_daily's spend of ads with a final URL",
                "select models.model, report.spend, paged.spend as ads_spend "
                f"from (values {models}) as models (model) "
                "left join (select model, sum(spend) as spend from {batch} as lp "
                "group by model) as report on report.model = models.model "
                "cross join (select coalesce(sum(spend.spend_reporting), 0) as spend "
                "from fct_ad_spend_daily as spend inner join dim_ads as ads "
                "on ads.platform = spend.platform and ads.ad_id = spend.ad_id "
                "where ads.landing_page_url is not null) as paged "
                "where coalesce(report.spend, 0) <> paged.spend order by models.model",
            ),
        ],
    )


def build_deal_parties_suite() -> gx.ExpectationSuite:
    """Every deal's owner is a rep of dim_sales_reps and its account one of dim_accounts."""
    return gx.ExpectationSuite(
        name="marts.fct_deals.parties",
        expectations=[
            rows_check(
                "MART-DEAL-007",
                CRITICAL,
                "every deal's owner (sales_rep_id) exists in dim_sales_reps",
                "select fct.deal_key, fct.sales_rep_id from {batch} as fct "
                "left join dim_sales_reps as reps on reps.sales_rep_id = fct.sales_rep_id "
                "where fct.sales_rep_id is not null and reps.sales_rep_id is null "
                "order by fct.deal_key",
            ),
            rows_check(
                "MART-DEAL-008",
                CRITICAL,
                "every deal's account (account_key) exists in dim_accounts",
                "select fct.deal_key, fct.account_key from {batch} as fct "
                "left join dim_accounts as accounts on accounts.account_key = fct.account_key "
                "where fct.account_key is not null and accounts.account_key is null "
                "order by fct.deal_key",
            ),
        ],
    )


# fct_activities.crm_activity_type of each raw activity table
HUBSPOT_ACTIVITIES = {
    "calls": "raw_hubspot.calls",
    "emails": "raw_hubspot.emails",
    "meetings": "raw_hubspot.meetings",
    "tasks": "raw_hubspot.tasks",
    "notes": "raw_hubspot.notes",
}
SALESFORCE_ACTIVITIES = {"Task": "raw_salesforce.tasks", "Event": "raw_salesforce.events"}


def build_activities_suite(crm: str, rule: str, tables: dict[str, str]) -> gx.ExpectationSuite:
    """Nothing lost between raw and the mart: per CRM activity type, the mart's rows are the
    raw table's live rows."""
    raw = " union all ".join(
        f"select '{kind}' as crm_activity_type, count(*) as raw_rows from {table} where {LIVE}"
        for kind, table in tables.items()
    )
    mart = (
        "select fct.crm_activity_type, count(*) as mart_rows from {batch} as fct "
        f"where fct.crm = '{crm}' group by fct.crm_activity_type"
    )
    return gx.ExpectationSuite(
        name=f"marts.fct_activities.{crm}",
        expectations=[
            rows_check(
                rule,
                CRITICAL,
                f"{crm} activities per type equal the live raw rows",
                "select coalesce(raw.crm_activity_type, mart.crm_activity_type) as "
                "crm_activity_type, raw.raw_rows, mart.mart_rows "
                f"from ({raw}) as raw full join ({mart}) as mart "
                "on raw.crm_activity_type = mart.crm_activity_type "
                "where coalesce(raw.raw_rows, 0) <> coalesce(mart.mart_rows, 0)",
            ),
        ],
    )


def build_quota_suite() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="marts.fct_quota_attainment",
        expectations=[
            rows_check(
                "MART-QUOTA-001",
                CRITICAL,
                "attainment is never negative",
                "select owner_type, owner_id, period_type, date_day, attainment from {batch} "
                "where attainment < 0 order by owner_type, owner_id, period_type, date_day",
            ),
            rows_check(
                "MART-QUOTA-002",
                WARNING,
                "quota and booked_to_date are never negative",
                "select owner_type, owner_id, period_type, date_day, quota, booked_to_date "
                "from {batch} where quota < 0 or booked_to_date < 0 "
                "order by owner_type, owner_id, period_type, date_day",
            ),
        ],
    )


def build_forecast_accuracy_suite() -> gx.ExpectationSuite:
    """The backtest scores against what was booked: every row's actual is fct_deals' won
    amount in its quarter (a team's: its reps' deals), and a statistical interval holds its
    forecast."""
    return gx.ExpectationSuite(
        name="marts.rpt_forecast_accuracy",
        expectations=[
            rows_check(
                "MART-FCST-001",
                CRITICAL,
                "every row's actual (each as-of week and method) equals the amount_reporting of "
                "fct_deals' won deals closing in its quarter: the company's all of them, a "
                "team's those of reps with its dim_sales_reps.team_key",
                "with accuracy as (select * from {batch} as batch_rows), "
                "quarters as (select distinct period_start, period_end from accuracy), "
                "won as (select 'company' as owner_type, 'company' as owner_id, "
                "quarters.period_start, sum(deals.amount_reporting) as amount from quarters "
                "inner join fct_deals as deals on deals.is_won "
                "and deals.close_date between quarters.period_start and quarters.period_end "
                "group by quarters.period_start "
                "union all select 'team', reps.team_key, quarters.period_start, "
                "sum(deals.amount_reporting) from quarters "
                "inner join fct_deals as deals on deals.is_won "
                "and deals.close_date between quarters.period_start and quarters.period_end "
                "inner join dim_sales_reps as reps on reps.sales_rep_id = deals.sales_rep_id "
                "where reps.team_key is not null group by reps.team_key, quarters.period_start) "
                "select accuracy.owner_type, accuracy.owner_id, accuracy.period_start, "
                "accuracy.as_of_date, accuracy.forecast_method, accuracy.actual, "
                "coalesce(won.amount, 0) as fct_deals_won from accuracy "
                "left join won on won.owner_type = accuracy.owner_type "
                "and won.owner_id = accuracy.owner_id and won.period_start = accuracy.period_start "
                "where accuracy.actual <> coalesce(won.amount, 0) "
                "order by 1, 2, 3, 4, 5",
            ),
            rows_check(
                "MART-FCST-002",
                WARNING,
                "a statistical forecast lies within its interval (forecast_lower <= forecast "
                "<= forecast_upper)",
                "select owner_type, owner_id, as_of_date, forecast_lower, forecast, "
                "forecast_upper from {batch} where forecast_method = 'statistical' "
                "and (forecast_lower > forecast or forecast > forecast_upper) "
                "order by owner_type, owner_id, as_of_date",
            ),
        ],
    )


def build_lead_response_suite() -> gx.ExpectationSuite:
    """Speed to lead: the report loses and double counts no lead of fct_lead_response, and
    each lead's SLA status agrees with its business hours and its team's SLA."""
    return gx.ExpectationSuite(
        name="marts.rpt_lead_response",
        expectations=[
            rows_check(
                "MART-LEAD-001",
                CRITICAL,
                "per rep and arrival month, the report's leads, answered leads and SLA "
                "breaches equal fct_lead_response's live leads",
                "select coalesce(report.sales_rep_id, fact.sales_rep_id) as sales_rep_id, "
                "coalesce(report.arrived_month, fact.arrived_month) as arrived_month, "
                "report.leads, fact.leads as fact_leads, report.answered, "
                "fact.answered as fact_answered, report.breached, fact.breached as fact_breached "
                "from (select coalesce(sales_rep_id, '') as sales_rep_id, arrived_month, "
                "sum(leads) as leads, sum(answered_leads) as answered, "
                "sum(sla_breached_leads) as breached from {batch} as rpt group by 1, 2) as report "
                "full outer join (select coalesce(sales_rep_id, '') as sales_rep_id, "
                "cast(date_trunc('month', arrived_date) as date) as arrived_month, "
                "count(*) as leads, count(*) filter (where is_answered) as answered, "
                "count(*) filter (where sla_status = 'breached') as breached "
                "from fct_lead_response where not is_deleted group by 1, 2) as fact "
                "on report.sales_rep_id = fact.sales_rep_id "
                "and report.arrived_month = fact.arrived_month "
                "where coalesce(report.leads, 0) <> coalesce(fact.leads, 0) "
                "or coalesce(report.answered, 0) <> coalesce(fact.answered, 0) "
                "or coalesce(report.breached, 0) <> coalesce(fact.breached, 0) order by 1, 2",
            ),
            rows_check(
                "MART-LEAD-002",
                CRITICAL,
                "no lead is answered before it arrived, and an answered lead's SLA status "
                "agrees with its business hours (met: at most the SLA; breached: more)",
                "select lead_key, arrived_at, first_outbound_at, business_hours_to_first_touch, "
                "sla_business_hours, sla_status from fct_lead_response "
                "where first_outbound_at < arrived_at "
                "or (first_outbound_at is not null and sla_status = 'met' "
                "and business_hours_to_first_touch > sla_business_hours) "
                "or (first_outbound_at is not null and sla_status = 'breached' "
                "and business_hours_to_first_touch < sla_business_hours) "
                "or (first_outbound_at is not null and sla_status = 'pending') "
                "order by lead_key",
            ),
        ],
    )


PIPELINE_FLOWS = (
    "created",
    "reopened",
    "pulled_in",
    "reassigned_in",
    "increased",
    "decreased",
    "fx_movement",
    "pushed_out",
    "reassigned_out",
    "won",
    "lost",
)


def build_pipeline_suite() -> gx.ExpectationSuite:
    """The pipeline waterfall (models/marts/sales/README.md, "Pipeline over time"): each
    team's closing pipeline is fct_pipeline_daily's on the closing day, and every row adds
    up (opening + every flow = closing, outflows negative)."""
    flows = " + ".join(PIPELINE_FLOWS)
    return gx.ExpectationSuite(
        name="marts.rpt_pipeline_waterfall",
        expectations=[
            rows_check(
                "MART-PIPE-001",
                CRITICAL,
                "per period and team, the closing pipeline equals fct_pipeline_daily's open "
                "deals on the closing day whose close date falls in the period",
                "select coalesce(report.period_type, fact.period_type) as period_type, "
                "coalesce(report.period_start, fact.period_start) as period_start, "
                "coalesce(report.owner_key, fact.owner_key) as team_key, "
                "report.closing_pipeline, fact.closing_pipeline as fact_closing_pipeline "
                "from (select period_type, period_start, owner_key, closing_pipeline "
                "from {batch} as rpt where owner_level = 'team') as report "
                "full outer join (select periods.period_type, periods.period_start, "
                "coalesce(daily.team_key, 'unassigned') as owner_key, "
                "sum(coalesce(daily.amount_reporting, 0)) as closing_pipeline "
                "from (select distinct period_type, period_start, period_end, closing_date "
                "from {batch} as rpt) as periods "
                "inner join fct_pipeline_daily as daily on daily.date_day = periods.closing_date "
                "and daily.close_date between periods.period_start and periods.period_end "
                "group by 1, 2, 3) as fact "
                "on report.period_type = fact.period_type "
                "and report.period_start = fact.period_start "
                "and report.owner_key = fact.owner_key "
                "where coalesce(report.closing_pipeline, 0) <> coalesce(fact.closing_pipeline, 0) "
                "order by 1, 2, 3",
            ),
            rows_check(
                "MART-PIPE-002",
                CRITICAL,
                "every row adds up: opening + every flow = closing, exactly",
                "select period_type, period_start, owner_level, owner_key, opening_pipeline, "
                f"{flows.replace(' + ', ', ')}, closing_pipeline from {{batch}} "
                f"where not coalesce(opening_pipeline + {flows} = closing_pipeline, false) "
                "order by period_type, period_start, owner_level, owner_key",
            ),
        ],
    )


@dataclass(frozen=True)
class MartSuite:
    table: str  # the mart it checks
    build: Callable[[], gx.ExpectationSuite]
    sources: tuple[str, ...]  # raw tables the reconciliation reads (all needed)
    any_of: tuple[str, ...] = ()  # raw tables of which one must be loaded (marts-only suites)


CRM_DEALS = ("raw_hubspot.deals", "raw_salesforce.opportunities")
MS_KEYWORDS = "raw_microsoft_ads.keyword_daily_performance"
MS_SEARCH_QUERIES = "raw_microsoft_ads.search_query_daily_performance"
KEYWORDS = ("raw_google_ads.keyword_daily_metrics", MS_KEYWORDS)
SEARCH_TERMS = ("raw_google_ads.search_term_daily_metrics", MS_SEARCH_QUERIES)
CRM_LEADS = ("raw_hubspot.contacts", "raw_salesforce.leads")


# One suite per mart and source: a source that is not loaded skips only its own suite.
SUITES: dict[str, MartSuite] = {
    "fct_ad_spend_daily": MartSuite(
        "fct_ad_spend_daily",
        build_ad_spend_suite,
        ("raw_google_ads.ad_daily_metrics", "raw_google_ads.campaign_daily_metrics"),
    ),
    "fct_ad_spend_daily.meta_ads": MartSuite(
        "fct_ad_spend_daily",
        partial(
            build_social_spend_suite,
            "meta_ads",
            "MART-SPEND-003",
            "raw_meta_ads.ad_daily_insights",
            "insight_date",
            "spend",
        ),
        ("raw_meta_ads.ad_daily_insights",),
    ),
    "fct_ad_spend_daily.linkedin_ads": MartSuite(
        "fct_ad_spend_daily",
        partial(
            build_social_spend_suite,
            "linkedin_ads",
            "MART-SPEND-004",
            "raw_linkedin_ads.creative_daily_analytics",
            "analytics_date",
            "costInLocalCurrency",
        ),
        ("raw_linkedin_ads.creative_daily_analytics",),
    ),
    "fct_ad_spend_daily.microsoft_ads": MartSuite(
        "fct_ad_spend_daily",
        partial(
            build_social_spend_suite,
            "microsoft_ads",
            "MART-SPEND-005",
            "raw_microsoft_ads.campaign_daily_performance",
            "report_date",
            "Spend",
        ),
        ("raw_microsoft_ads.campaign_daily_performance",),
    ),
    "fct_ad_spend_daily.microsoft_ads_ads": MartSuite(
        "fct_ad_spend_daily",
        partial(
            build_platform_raw_suite,
            "marts.fct_ad_spend_daily.ads",
            "microsoft_ads",
            "MART-SPEND-006",
            "raw_microsoft_ads.ad_daily_performance",
            "report_date",
            "Spend",
            " and fct.ad_id is not null",
        ),
        ("raw_microsoft_ads.ad_daily_performance",),
    ),
    "fct_keyword_performance_daily": MartSuite(
        "fct_keyword_performance_daily",
        build_keyword_suite,
        ("raw_google_ads.keyword_daily_metrics",),
    ),
    "fct_keyword_performance_daily.microsoft_ads": MartSuite(
        "fct_keyword_performance_daily",
        partial(
            build_platform_raw_suite,
            "marts.fct_keyword_performance_daily",
            "microsoft_ads",
            "MART-KW-003",
            MS_KEYWORDS,
            "report_date",
            "Spend",
        ),
        (MS_KEYWORDS,),
    ),
    "fct_keyword_performance_daily.campaigns": MartSuite(
        "fct_keyword_performance_daily", build_keyword_campaign_suite, (), KEYWORDS
    ),
    "fct_search_term_performance_daily": MartSuite(
        "fct_search_term_performance_daily",
        build_search_term_suite,
        ("raw_google_ads.search_term_daily_metrics",),
    ),
    "fct_search_term_performance_daily.microsoft_ads": MartSuite(
        "fct_search_term_performance_daily",
        partial(
            build_platform_raw_suite,
            "marts.fct_search_term_performance_daily",
            "microsoft_ads",
            "MART-ST-003",
            MS_SEARCH_QUERIES,
            "report_date",
            "Spend",
        ),
        (MS_SEARCH_QUERIES,),
    ),
    "fct_search_term_performance_daily.keywords": MartSuite(
        "fct_search_term_performance_daily", build_search_term_keyword_suite, (), SEARCH_TERMS
    ),
    "fct_deals": MartSuite(
        "fct_deals", build_deals_suite, ("raw_hubspot.deals", "raw_hubspot.owners")
    ),
    "fct_deals.salesforce": MartSuite(
        "fct_deals",
        build_salesforce_deals_suite,
        ("raw_salesforce.opportunities", "raw_salesforce.users"),
    ),
    "fct_deals.parties": MartSuite("fct_deals", build_deal_parties_suite, (), CRM_DEALS),
    "fct_attribution": MartSuite("fct_attribution", build_attribution_suite, (), CRM_DEALS),
    "rpt_landing_page_performance": MartSuite(
        "rpt_landing_page_performance", build_landing_page_suite, (), CRM_DEALS
    ),
    "fct_quota_attainment": MartSuite("fct_quota_attainment", build_quota_suite, (), CRM_DEALS),
    "rpt_forecast_accuracy": MartSuite(
        "rpt_forecast_accuracy", build_forecast_accuracy_suite, (), CRM_DEALS
    ),
    "rpt_lead_response": MartSuite("rpt_lead_response", build_lead_response_suite, (), CRM_LEADS),
    "rpt_pipeline_waterfall": MartSuite(
        "rpt_pipeline_waterfall", build_pipeline_suite, (), CRM_DEALS
    ),
    "fct_activities.hubspot": MartSuite(
        "fct_activities",
        partial(build_activities_suite, HUBSPOT, "MART-ACT-001", HUBSPOT_ACTIVITIES),
        tuple(HUBSPOT_ACTIVITIES.values()),
    ),
    "fct_activities.salesforce": MartSuite(
        "fct_activities",
        partial(build_activities_suite, SALESFORCE, "MART-ACT-002", SALESFORCE_ACTIVITIES),
        tuple(SALESFORCE_ACTIVITIES.values()),
    ),
}

# Currency conversion (quality/suites/marts_fx.py): per converted fact, the lineage rules
# whenever the fact has rows' sources, and the ECB recomputation when raw_ecb is loaded too.
CONVERTED_FROM = {
    "fct_deals": CRM_DEALS,
    "fct_quota_months": CRM_DEALS,
    "fct_ad_spend_daily": (
        "raw_google_ads.ad_daily_metrics",
        "raw_meta_ads.ad_daily_insights",
        "raw_linkedin_ads.creative_daily_analytics",
        "raw_microsoft_ads.campaign_daily_performance",
    ),
    "fct_keyword_performance_daily": KEYWORDS,
    "fct_search_term_performance_daily": SEARCH_TERMS,
}
for _table, _fact in FACTS.items():
    SUITES[f"{_table}.fx"] = MartSuite(
        _table, partial(build_fx_suite, _fact), (), CONVERTED_FROM[_table]
    )
    SUITES[f"{_table}.fx_ecb"] = MartSuite(
        _table, partial(build_ecb_suite, _fact), (ECB_RATES,), CONVERTED_FROM[_table]
    )
for _table in ("fct_deals", "fct_quota_months"):  # converted at a CRM's own rates
    SUITES[f"{_table}.fx_salesforce"] = MartSuite(
        _table, partial(build_crm_suite, "salesforce", FACTS[_table]), SALESFORCE_RATES
    )
    SUITES[f"{_table}.fx_hubspot"] = MartSuite(
        _table, partial(build_crm_suite, "hubspot", FACTS[_table]), HUBSPOT_RATES
    )
