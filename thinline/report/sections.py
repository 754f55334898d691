"""What the report shows: its sections, each chart's query and how it is drawn.

Queries read the published ``analytics`` schema (what BI sees) and the ``ops`` tables only.
A section whose tables are absent (a run over a subset of sources) is shown with a note;
a query that fails against tables that exist raises, so a broken report fails the run.
Parameters: ``as_of`` (the run's day) and ``window_end`` (the end of the run's interval).
"""

from __future__ import annotations

from thinline.attribution_models import ATTRIBUTION_MODELS
from thinline.report import charts
from thinline.report.conversions import CONVERSION_OUTCOMES, CONVERSION_SYNC_DAYS
from thinline.report.data import Result
from thinline.report.pipeline import (
    FORECAST_ACCURACY,
    FORECAST_VS_QUOTA,
    PIPELINE_TREND,
    PIPELINE_WATERFALL,
)
from thinline.report.spec import LABELS as _LABELS
from thinline.report.spec import Chart, Section

MODEL_ORDER = "array[" + ", ".join(f"'{model}'" for model in ATTRIBUTION_MODELS) + "]"
PERIODS = ("day", "week", "month", "quarter", "year")
PERIOD_ORDER = "array[" + ", ".join(f"'{period}'" for period in PERIODS) + "]"
TARGET_COVERAGE = 3.0  # the usual rule of thumb: open pipeline three times the quota left


# -- marketing -------------------------------------------------------------------------------

# spend, attributed revenue and ROAS summed over rpt_channel_performance rows
_SPEND_REVENUE_ROAS = """sum(spend) as spend,
        sum(attributed_revenue) as attributed_revenue,
        round(sum(attributed_revenue) / nullif(sum(spend), 0), 4) as roas"""

CHANNEL_SPEND_REVENUE = Chart(
    "channel_spend_revenue",
    "Spend and attributed revenue by channel (data-driven model)",
    "All months in the warehouse; revenue credited by the data-driven (Markov) model, "
    "in the reporting currency.",
    f"""
    select
        channel,
        {_SPEND_REVENUE_ROAS}
    from analytics.rpt_channel_performance
    where period_type = 'month' and model = 'data_driven'
    group by channel
    order by sum(spend) desc nulls last, channel
    """,
    lambda result: charts.bars(
        result, "channel", {"spend": "spend", "attributed_revenue": "attributed revenue"}
    ),
)

MONTHLY_SPEND_REVENUE = Chart(
    "monthly_spend_revenue",
    "Spend and attributed revenue by month (data-driven model)",
    "All channels together; the current month is still running.",
    f"""
    select
        period_start as month,
        {_SPEND_REVENUE_ROAS}
    from analytics.rpt_channel_performance
    where period_type = 'month' and model = 'data_driven'
    group by period_start
    order by period_start
    """,
    lambda result: charts.bars(
        result, "month", {"spend": "spend", "attributed_revenue": "attributed revenue"}
    ),
)

CHANNEL_ROAS = Chart(
    "channel_roas_by_model",
    "ROAS by channel and attribution model",
    "Attributed revenue ÷ spend over all months, for the channels with spend.",
    f"""
    select
        channel,
        model,
        {_SPEND_REVENUE_ROAS}
    from analytics.rpt_channel_performance
    where period_type = 'month'
    group by channel, model
    having sum(spend) > 0
    order by array_position({MODEL_ORDER}, model), channel
    """,
    lambda result: charts.bars_by(result, "channel", "model", "roas", "ROAS"),
)

MODEL_REVENUE_SHARE = Chart(
    "model_revenue_share",
    "Share of closed-won revenue by channel, per model",
    "How each attribution model splits the same won revenue across channels.",
    f"""
    with credited as (
        select
            model,
            channel,
            sum(revenue_credit) as revenue_credit
        from analytics.fct_attribution
        where conversion_type = 'closed_won' and attribution_scope = 'contact'
        group by model, channel
    ),

    final as (
        select
            model,
            channel,
            revenue_credit,
            round(revenue_credit / nullif(sum(revenue_credit) over (partition by model), 0), 4)
                as revenue_share
        from credited
    )

    select * from final
    order by array_position({MODEL_ORDER}, model), channel
    """,
    lambda result: charts.bars_by(
        result, "model", "channel", "revenue_share", "share of revenue", stacked=True
    ),
)

MODEL_OPPORTUNITIES = Chart(
    "model_opportunity_credit",
    "Opportunities credited to each channel, per model",
    "Credit of opportunity-creation conversions (each conversion's credit sums to 1).",
    f"""
    select
        channel,
        model,
        sum(credit) as opportunities
    from analytics.fct_attribution
    where conversion_type = 'opportunity' and attribution_scope = 'contact'
    group by channel, model
    order by array_position({MODEL_ORDER}, model), channel
    """,
    lambda result: charts.bars_by(result, "channel", "model", "opportunities", "opportunities"),
)

FUNNEL_TOTAL = Chart(
    "funnel",
    "Funnel: leads to won deals",
    "All cohorts; each stage's share of the previous one and of the leads.",
    """
    select
        sum(leads) as leads,
        sum(mqls) as mqls,
        sum(sqls) as sqls,
        sum(opportunities) as opportunities,
        sum(won_deals) as won_deals
    from analytics.rpt_funnel
    having count(*) > 0
    """,
    lambda result: charts.funnel(
        ["leads", "MQLs", "SQLs", "opportunities", "won deals"], list(result.rows[0])
    ),
)

FUNNEL_BY_CHANNEL = Chart(
    "funnel_by_channel",
    "Conversion rates by channel",
    "Stage-to-stage rates of all cohorts together (counts summed before dividing).",
    """
    with totals as (
        select
            channel,
            sum(leads) as leads,
            sum(mqls) as mqls,
            sum(sqls) as sqls,
            sum(opportunities) as opportunities,
            sum(won_deals) as won_deals
        from analytics.rpt_funnel
        group by channel
    ),

    final as (
        select
            channel,
            leads,
            mqls,
            sqls,
            opportunities,
            won_deals,
            round(mqls::numeric / nullif(leads, 0), 4) as lead_to_mql_rate,
            round(opportunities::numeric / nullif(leads, 0), 4) as lead_to_opportunity_rate,
            round(won_deals::numeric / nullif(opportunities, 0), 4) as opportunity_to_won_rate
        from totals
    )

    select * from final
    order by leads desc, channel
    """,
    lambda result: charts.bars(
        result,
        "channel",
        {
            "lead_to_mql_rate": "lead → MQL",
            "lead_to_opportunity_rate": "lead → opportunity",
            "opportunity_to_won_rate": "opportunity → won",
        },
        "rate",
    ),
)

# -- what the money bought -------------------------------------------------------------------

TOP_ROWS = 15


def _on_platform(result: Result, column: str) -> Result:
    """``column`` labelled with its platform, so the same keyword on two platforms is two
    bars, not one."""
    index, platform = result.columns.index(column), result.columns.index("platform")
    rows = tuple(
        (*row[:index], f"{row[index]} ({row[platform]})", *row[index + 1 :]) for row in result.rows
    )
    return Result(result.columns, rows)


TOP_KEYWORDS = Chart(
    "top_keywords",
    f"Top {TOP_ROWS} keywords by spend: leads and revenue (data-driven model)",
    "All days in the warehouse, reporting currency. Leads and won revenue are what the "
    "data-driven model credits to the clicks that came through each keyword (Google Ads "
    "only: Microsoft Advertising names no click's keyword, so its keywords show spend alone).",
    f"""
    -- one row per platform, keyword text and match type: the same keyword in several ad groups
    -- adds up; Google's and Microsoft's stay apart (only Google's clicks are credited)
    select
        platform,
        keyword_text || ' [' || lower(match_type) || ']' as keyword,
        sum(spend) as spend,
        sum(clicks) as clicks,
        round(sum(spend) / nullif(sum(clicks), 0), 2) as cost_per_click,
        round(sum(leads), 2) as leads,
        round(sum(spend) / nullif(sum(leads), 0), 2) as cost_per_lead,
        round(sum(attributed_revenue), 2) as attributed_revenue,
        round(sum(attributed_revenue) / nullif(sum(spend), 0), 4) as roas
    from analytics.rpt_keyword_attribution
    where model = 'data_driven'
    group by platform, keyword_text, match_type
    order by sum(spend) desc, keyword, platform
    limit {TOP_ROWS}
    """,
    lambda result: charts.bars(
        _on_platform(result, "keyword"),
        "keyword",
        {"spend": "spend", "attributed_revenue": "attributed revenue"},
        horizontal=True,
    ),
)

TOP_SEARCH_TERMS = Chart(
    "top_search_terms",
    f"Top {TOP_ROWS} search terms by spend",
    "What people searched when the keywords matched. The platform leaves out rarely "
    "searched terms: shown_share is the part of all keyword spend that the terms it shows "
    "account for.",
    f"""
    with terms as (
        select
            platform,
            search_term,
            keyword_text,
            sum(spend_reporting) as spend,
            sum(clicks) as clicks,
            sum(platform_conversions) as platform_conversions
        from analytics.fct_search_term_performance_daily
        group by platform, search_term, keyword_text
    )

    select
        platform,
        search_term,
        keyword_text as matched_keyword,
        spend,
        clicks,
        platform_conversions,
        round(
            (select sum(spend) from terms)
            / nullif(
                (select sum(spend_reporting) from analytics.fct_keyword_performance_daily), 0
            ),
            4
        ) as shown_share
    from terms
    order by spend desc nulls last, search_term, platform
    limit {TOP_ROWS}
    """,
)


TOP_LANDING_PAGES = Chart(
    "top_landing_pages",
    f"Top {TOP_ROWS} landing pages by spend: leads and revenue (data-driven model)",
    "All days, reporting currency; pages without spend follow by leads. Spend is the ads "
    "whose final URL is the page; touches, leads and won revenue are what the data-driven "
    "model credits to the visits that landed there (paid or not).",
    f"""
    -- one row per page: the same page in several campaigns adds up
    select
        landing_page_url as landing_page,
        sum(spend) as spend,
        sum(clicks) as clicks,
        sum(touches) as touches,
        round(sum(leads), 2) as leads,
        round(nullif(sum(spend), 0) / nullif(sum(leads), 0), 2) as cost_per_lead,
        round(sum(attributed_revenue), 2) as attributed_revenue,
        round(sum(attributed_revenue) / nullif(sum(spend), 0), 4) as roas
    from analytics.rpt_landing_page_performance
    where model = 'data_driven'
    group by landing_page_url
    order by sum(spend) desc, sum(leads) desc, landing_page
    limit {TOP_ROWS}
    """,
)

# -- sales -----------------------------------------------------------------------------------

# Labels for reps and teams: the same person in two CRMs is two reps (and a team name may
# exist in both), so a name shared by two keys gets its CRM added.


# -- hand-off: marketing's leads meet sales ---------------------------------------------------

SCORECARD_WEEKS = 4

REP_ACTIVITY = Chart(
    "rep_activity",
    f"Rep activity, the last {SCORECARD_WEEKS} weeks",
    "Per rep, the weeks starting in the 28 days up to the report's day: activities logged, "
    "meetings held, the contacts first reached and the share of them who got a meeting "
    "(to date), and the deals decided.",
    f"""
    with {_LABELS}

    weeks as (
        select *
        from analytics.rpt_rep_activity_scorecard
        where
            week_start <= %(as_of)s
            and week_start > cast(%(as_of)s as date) - {7 * SCORECARD_WEEKS}
    ),

    final as (
        select
            coalesce(rep_labels.rep, weeks.sales_rep_id) as rep,
            coalesce(rep_labels.team, 'no team') as team,
            sum(weeks.activities) as activities,
            sum(weeks.calls) as calls,
            sum(weeks.calls_connected) as calls_connected,
            sum(weeks.emails) as emails,
            sum(weeks.meetings_held) as meetings_held,
            sum(weeks.contacts_first_reached) as contacts_first_reached,
            round(
                sum(weeks.reached_with_meeting)
                / nullif(sum(weeks.contacts_first_reached), 0),
                4
            ) as activity_to_meeting_rate,
            sum(weeks.deals_won) as deals_won,
            sum(weeks.deals_lost) as deals_lost,
            round(
                sum(weeks.deals_won) / nullif(sum(weeks.deals_won + weeks.deals_lost), 0), 4
            ) as win_rate
        from weeks
        left join rep_labels on weeks.sales_rep_id = rep_labels.sales_rep_id
        group by 1, 2
    )

    select * from final
    order by team, activities desc, rep
    """,
)

LEAD_WINDOW_DAYS = 90

SPEED_TO_LEAD = Chart(
    "speed_to_lead",
    f"Speed to lead per team and channel, the last {LEAD_WINDOW_DAYS} days",
    "Leads that arrived (became MQLs, or were created where the CRM has no MQL) in the 90 "
    "days up to the report's day: median business hours of the rep's team to the first "
    "outbound sales touch, and the share of leads whose SLA is decided that breached it "
    "(answered late, or still waiting past it).",
    f"""
    with leads as (
        select *
        from analytics.fct_lead_response
        where
            not is_deleted
            and arrived_date <= %(as_of)s
            and arrived_date > cast(%(as_of)s as date) - {LEAD_WINDOW_DAYS}
    ),

    final as (
        select
            coalesce(team_name, 'no team') as team,
            channel,
            count(*) as leads,
            count(*) filter (where is_answered) as answered,
            round(
                cast(
                    percentile_cont(0.5) within group (order by business_hours_to_first_touch)
                    as numeric
                ),
                2
            ) as median_business_hours,
            count(*) filter (where is_sla_breached) as sla_breached,
            round(
                cast(count(*) filter (where is_sla_breached) as numeric)
                / nullif(count(*) filter (where is_sla_met or is_sla_breached), 0),
                4
            ) as sla_breach_rate
        from leads
        group by 1, 2
    )

    select * from final
    order by team, leads desc, channel
    """,
    lambda result: charts.bars_by(
        result, "channel", "team", "median_business_hours", "median business hours"
    ),
)

SLA_CONVERSION_GAP = Chart(
    "sla_conversion_gap",
    "What fast follow-up is worth: leads answered within the SLA vs after it",
    "Every lead answered so far, per team: the share that got a meeting, became an "
    "opportunity and was won, for those answered within the team's SLA and those answered "
    "after it (unanswered leads are in neither).",
    """
    with answered as (
        select
            coalesce(team_name, 'no team') as team,
            case when is_sla_met then 'within SLA' else 'after SLA' end as follow_up,
            has_meeting,
            is_opportunity,
            is_won
        from analytics.fct_lead_response
        where not is_deleted and is_answered and (is_sla_met or is_sla_breached)
    ),

    final as (
        select
            team,
            follow_up,
            count(*) as leads,
            round(avg(case when has_meeting then 1.0 else 0 end), 4) as meeting_rate,
            round(avg(case when is_opportunity then 1.0 else 0 end), 4) as opportunity_rate,
            round(avg(case when is_won then 1.0 else 0 end), 4) as win_rate
        from answered
        group by 1, 2
    )

    select * from final
    order by team, follow_up desc
    """,
    lambda result: charts.bars_by(
        result, "team", "follow_up", "opportunity_rate", "opportunity rate"
    ),
)

_ATTAINMENT_AS_OF = """
    as_of as (
        select max(date_day) as date_day
        from analytics.fct_quota_attainment
        where date_day <= %(as_of)s
    ),
"""

_THIS_QUARTER = """
    this_quarter as (
        select max(period_start) as period_start
        from analytics.rpt_sales_rep_performance
        where period_type = 'quarter' and period_start <= %(as_of)s
    ),
"""

PACING_CAP = 3.0  # a day's pacing can be 20x: cut the axis so the others stay readable
COVERAGE_CAP = 4 * TARGET_COVERAGE

# the fct_quota_attainment columns both pacing charts show, per owner and period type
_PACING_COLUMNS = """attainment.period_type,
            attainment.period_start,
            attainment.period_end,
            attainment.quota,
            attainment.booked_to_date,
            attainment.attainment,
            attainment.expected_to_date,
            attainment.pacing,
            attainment.projected"""

TEAM_PACING = Chart(
    "quota_pacing_teams",
    "Quota pacing per team",
    "Booked ÷ expected to date on the report's day, for each period type (1 = on pace).",
    f"""
    with {_ATTAINMENT_AS_OF}

    {_LABELS}

    final as (
        select
            attainment.date_day,
            coalesce(team_labels.team, attainment.owner_id) as team,
            {_PACING_COLUMNS}
        from analytics.fct_quota_attainment as attainment
        inner join as_of on attainment.date_day = as_of.date_day
        left join team_labels on attainment.owner_id = team_labels.team_key
        where attainment.owner_type = 'team'
    )

    select * from final
    order by team, array_position({PERIOD_ORDER}, period_type)
    """,
    lambda result: charts.bars_by(
        result, "period_type", "team", "pacing", "pacing", reference=1.0, cap=PACING_CAP
    ),
)

REP_PACING = Chart(
    "quota_pacing_reps",
    "Quota pacing per rep",
    "Booked ÷ expected to date on the report's day, per rep and period type (1 = on pace, "
    "green ahead, red behind); reps with a quota or bookings in the period.",
    f"""
    with {_ATTAINMENT_AS_OF}

    {_LABELS}

    final as (
        select
            attainment.date_day,
            coalesce(rep_labels.rep, attainment.owner_id) as rep,
            rep_labels.team,
            {_PACING_COLUMNS}
        from analytics.fct_quota_attainment as attainment
        inner join as_of on attainment.date_day = as_of.date_day
        left join rep_labels on attainment.owner_id = rep_labels.sales_rep_id
        where
            attainment.owner_type = 'rep'
            and (attainment.quota > 0 or attainment.booked_to_date > 0)
    )

    select * from final
    order by team, rep, array_position({PERIOD_ORDER}, period_type)
    """,
    lambda result: charts.heatmap(
        result, "period_type", "rep", "pacing", PERIODS, middle=1.0, top=2.0, z_title="pacing"
    ),
)

TEAM_COVERAGE = Chart(
    "pipeline_coverage_teams",
    "Pipeline coverage per team, this quarter",
    "The team's open pipeline ÷ the quota its reps still have to book in the quarter "
    f"(dashed line: {TARGET_COVERAGE:g}×).",
    f"""
    with {_THIS_QUARTER}

    {_LABELS}

    final as (
        select
            performance.period_start,
            rep_labels.team,
            sum(performance.open_pipeline_reporting) as open_pipeline,
            sum(performance.remaining_quota_reporting) as remaining_quota,
            round(
                sum(performance.open_pipeline_reporting)
                / nullif(sum(performance.remaining_quota_reporting), 0),
                4
            ) as pipeline_coverage
        from analytics.rpt_sales_rep_performance as performance
        inner join this_quarter on performance.period_start = this_quarter.period_start
        inner join rep_labels on performance.sales_rep_id = rep_labels.sales_rep_id
        where performance.period_type = 'quarter'
        group by performance.period_start, rep_labels.team
    )

    select * from final
    order by team
    """,
    lambda result: charts.bars(
        result,
        "team",
        {"pipeline_coverage": "coverage"},
        "coverage",
        reference=TARGET_COVERAGE,
        cap=COVERAGE_CAP,
    ),
)

PIPELINE_COVERAGE = Chart(
    "pipeline_coverage",
    "Pipeline coverage per rep, this quarter",
    "Open pipeline ÷ quota still to book in the quarter of the report's day "
    f"(dashed line: {TARGET_COVERAGE:g}×); reps with open pipeline or quota left.",
    f"""
    with {_THIS_QUARTER}

    {_LABELS}

    final as (
        select
            performance.period_start,
            coalesce(rep_labels.rep, performance.sales_rep_id) as rep,
            rep_labels.team,
            performance.as_of_date,
            performance.open_pipeline_reporting as open_pipeline,
            performance.remaining_quota_reporting as remaining_quota,
            performance.pipeline_coverage
        from analytics.rpt_sales_rep_performance as performance
        inner join this_quarter on performance.period_start = this_quarter.period_start
        left join rep_labels on performance.sales_rep_id = rep_labels.sales_rep_id
        where
            performance.period_type = 'quarter'
            and (
                performance.remaining_quota_reporting > 0
                or performance.open_pipeline_reporting > 0
            )
    )

    select * from final
    order by team, rep
    """,
    lambda result: charts.bars(
        result,
        "rep",
        {"pipeline_coverage": "coverage"},
        "coverage",
        reference=TARGET_COVERAGE,
        cap=COVERAGE_CAP,
    ),
)

# -- operations ------------------------------------------------------------------------------

_LATEST_QUALITY_RUN = """
    latest_run as (
        select run_id
        from ops.quality_results
        order by checked_at desc
        limit 1
    )
"""

QUALITY_BY_SUITE = Chart(
    "quality_by_suite",
    "Checks of the latest run, per suite",
    "Great Expectations results in ops.quality_results: passed, failed warnings, failed "
    "critical checks.",
    f"""
    with {_LATEST_QUALITY_RUN}

    select
        results.run_id,
        results.suite,
        count(*) filter (where results.passed) as passed,
        count(*) filter (where not results.passed and results.severity = 'warning') as warnings,
        count(*) filter (where not results.passed and results.severity = 'critical') as failed
    from ops.quality_results as results
    inner join latest_run on results.run_id = latest_run.run_id
    group by results.run_id, results.suite
    order by results.suite
    """,
    lambda result: charts.bars(
        result,
        "suite",
        {"passed": "passed", "warnings": "warnings", "failed": "failed (critical)"},
        "checks",
        stacked=True,
        horizontal=True,
        colors=("#2ca02c", "#ff7f0e", "#d62728"),
    ),
)

QUALITY_FAILURES = Chart(
    "quality_failures",
    "Failed checks of the latest run",
    "Every expectation that did not pass, with what was observed.",
    f"""
    with {_LATEST_QUALITY_RUN}

    select
        results.suite,
        results.table_name,
        results.rule,
        results.severity,
        results.expectation,
        results.observed_value,
        results.unexpected_count
    from ops.quality_results as results
    inner join latest_run on results.run_id = latest_run.run_id
    where not results.passed
    order by results.severity, results.suite, results.table_name, results.rule
    """,
)

FRESHNESS_BY_SOURCE = Chart(
    "freshness_by_source",
    "Freshness per source",
    "Hours from each source's newest watermark to the end of the run's interval (0: the "
    "source is complete up to it), and hours from that end to the source's last load.",
    """
    with last_loads as (
        select
            source,
            max(loaded_at) as last_loaded_at
        from ops.load_batches
        group by source
    ),

    newest as (
        select
            source,
            max(watermark) as newest_watermark
        from ops.watermarks
        group by source
    ),

    final as (
        select
            newest.source,
            newest.newest_watermark,
            last_loads.last_loaded_at,
            round(
                extract(epoch from %(window_end)s::timestamptz - newest.newest_watermark) / 3600,
                1
            ) as hours_behind,
            round(
                extract(epoch from last_loads.last_loaded_at - %(window_end)s::timestamptz)
                / 3600,
                1
            ) as loaded_hours_after
        from newest
        left join last_loads on newest.source = last_loads.source
    )

    select * from final
    order by source
    """,
    lambda result: charts.bars(
        result,
        "source",
        {
            "hours_behind": "newest data: hours before the interval's end",
            "loaded_hours_after": "last load: hours after the interval's end",
        },
        "hours",
    ),
)

FRESHNESS_BY_ENTITY = Chart(
    "freshness_by_entity",
    "Watermarks and last loads per stream",
    "ops.watermarks (a source read account by account: its oldest account's, and how many "
    "accounts) with the latest batch of each stream from ops.load_batches.",
    """
    with watermarks as (
        select
            source,
            entity,
            min(watermark) as watermark,
            count(*) as accounts
        from ops.watermarks
        group by source, entity
    ),

    last_batches as (
        select distinct on (source, entity)
            source,
            entity,
            loaded_at,
            load_mode,
            row_count
        from ops.load_batches
        order by source, entity, loaded_at desc
    )

    select
        watermarks.source,
        watermarks.entity,
        watermarks.watermark,
        watermarks.accounts,
        last_batches.loaded_at as last_loaded_at,
        last_batches.load_mode,
        last_batches.row_count as last_batch_rows
    from watermarks
    left join last_batches
        on watermarks.source = last_batches.source and watermarks.entity = last_batches.entity
    order by watermarks.source, watermarks.entity
    """,
)

SECTIONS = (
    Section(
        "channels",
        "Channels: spend, attributed revenue and ROAS",
        "What each marketing channel cost and the revenue attributed to it.",
        ("analytics.rpt_channel_performance",),
        (CHANNEL_SPEND_REVENUE, CHANNEL_ROAS, MONTHLY_SPEND_REVENUE),
    ),
    Section(
        "attribution",
        "Attribution model comparison",
        "The same conversions credited by each of the eight attribution models.",
        ("analytics.fct_attribution",),
        (MODEL_REVENUE_SHARE, MODEL_OPPORTUNITIES),
    ),
    Section(
        "funnel",
        "Funnel and conversion rates",
        "Leads by cohort month through MQL, SQL, opportunity and won deal.",
        ("analytics.rpt_funnel",),
        (FUNNEL_TOTAL, FUNNEL_BY_CHANNEL),
    ),
    Section(
        "money",
        "What the money bought",
        "The keywords and search terms that spent the search budget, the pages the ads "
        "landed on, and what their clicks brought in.",
        (
            "analytics.rpt_keyword_attribution",
            "analytics.fct_keyword_performance_daily",
            "analytics.fct_search_term_performance_daily",
            "analytics.rpt_landing_page_performance",
        ),
        (TOP_KEYWORDS, TOP_SEARCH_TERMS, TOP_LANDING_PAGES),
    ),
    Section(
        "quota",
        "Quota pacing",
        "Where each team and rep stands against quota for the day, week, month, quarter "
        "and year of the report's day.",
        ("analytics.fct_quota_attainment", "analytics.dim_sales_reps"),
        (TEAM_PACING, REP_PACING),
    ),
    Section(
        "coverage",
        "Pipeline coverage",
        "Whether the open pipeline is enough to book the quota still missing.",
        ("analytics.rpt_sales_rep_performance", "analytics.dim_sales_reps"),
        (TEAM_COVERAGE, PIPELINE_COVERAGE),
    ),
    Section(
        "handoff",
        "Hand-off: how sales follows up marketing's leads",
        "How fast each team answers the leads marketing hands over, whether it keeps its "
        "SLA, what answering late costs, and what each rep did with the leads.",
        (
            "analytics.fct_lead_response",
            "analytics.rpt_rep_activity_scorecard",
            "analytics.dim_sales_reps",
        ),
        (SPEED_TO_LEAD, SLA_CONVERSION_GAP, REP_ACTIVITY),
    ),
    Section(
        "pipeline",
        "Pipeline over time and the forecast",
        "How this quarter's pipeline moved, how the open pipeline has trended, and what the "
        "forecasts say against quota, with the error each made when backtested.",
        (
            "analytics.rpt_pipeline_waterfall",
            "analytics.fct_pipeline_daily",
            "analytics.rpt_pipeline_forecast",
            "analytics.rpt_forecast_accuracy_summary",
            "analytics.fct_quota_attainment",
            "analytics.dim_sales_reps",
        ),
        (PIPELINE_WATERFALL, PIPELINE_TREND, FORECAST_VS_QUOTA, FORECAST_ACCURACY),
    ),
    Section(
        "conversions",
        "Outcomes sent back to the ad platforms",
        "The sales outcomes sent to Google Ads, Meta and LinkedIn as offline conversions, so "
        "they bid for pipeline and revenue: what each platform took and what it refused.",
        ("analytics.rpt_conversion_sync",),
        (CONVERSION_OUTCOMES, CONVERSION_SYNC_DAYS),
    ),
    Section(
        "health",
        "Data health",
        "The quality checks of the latest run (raw tables before dbt, models before publishing).",
        ("ops.quality_results",),
        (QUALITY_BY_SUITE, QUALITY_FAILURES),
    ),
    Section(
        "freshness",
        "Freshness per source",
        "How far each source's data reaches, and when it was last loaded.",
        ("ops.watermarks", "ops.load_batches"),
        (FRESHNESS_BY_SOURCE, FRESHNESS_BY_ENTITY),
    ),
)
