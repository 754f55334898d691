"""The report's pipeline section: how the quarter's pipeline moved, how it trends, and what the
forecast says against quota, with the error the forecast made when it was backtested."""

from __future__ import annotations

from thinline.report import charts
from thinline.report.spec import LABELS, Chart

TREND_WEEKS = 13
CATEGORY_ORDER = "array['commit', 'best_case', 'pipeline', 'omitted']"

# every flow of rpt_pipeline_waterfall, inflows first; outflows are stored negative
WATERFALL_STEPS = {
    "created": "created",
    "reopened": "re-opened",
    "pulled_in": "pulled in",
    "reassigned_in": "reassigned in",
    "increased": "increased",
    "decreased": "decreased",
    "fx_movement": "FX movement",
    "pushed_out": "pushed out",
    "reassigned_out": "reassigned out",
    "won": "won",
    "lost": "lost",
}

PIPELINE_WATERFALL = Chart(
    "pipeline_waterfall",
    "Pipeline waterfall, this quarter",
    "The open pipeline whose close date falls in the fiscal quarter of the report's day: what "
    "it was when the quarter began, every flow since (outflows negative) and what it is now. "
    "The chart is the company; the numbers list each team too.",
    f"""
    with {LABELS}

    final as (
        select
            case waterfall.owner_level
                when 'company' then 'company'
                else coalesce(team_labels.team, waterfall.owner_key)
            end as owner,
            waterfall.period_start,
            waterfall.period_end,
            waterfall.closing_date,
            waterfall.opening_pipeline,
            {", ".join(f"waterfall.{column}" for column in WATERFALL_STEPS)},
            waterfall.closing_pipeline
        from analytics.rpt_pipeline_waterfall as waterfall
        left join team_labels on waterfall.owner_key = team_labels.team_key
        where
            waterfall.period_type = 'quarter'
            and waterfall.owner_level in ('company', 'team')
            and waterfall.period_start <= %(as_of)s
            and waterfall.period_end >= %(as_of)s
    )

    select * from final
    order by owner = 'company' desc, owner
    """,
    lambda result: charts.waterfall(
        result, WATERFALL_STEPS, "opening_pipeline", "closing_pipeline"
    ),
)

PIPELINE_TREND = Chart(
    "pipeline_trend",
    f"Open pipeline by forecast category, the last {TREND_WEEKS} weeks",
    "Every open deal at the end of each week (the report's day for the current one), in "
    "reporting currency, by the forecast category it had that day.",
    f"""
    with days as (
        select date_day
        from analytics.fct_pipeline_daily
        where
            date_day <= %(as_of)s
            and date_day > cast(%(as_of)s as date) - {7 * TREND_WEEKS}
            and (extract(isodow from date_day) = 7 or date_day = %(as_of)s)
        group by date_day
    ),

    final as (
        select
            pipeline.date_day,
            pipeline.forecast_category,
            count(*) as deals,
            sum(pipeline.amount_reporting) as open_pipeline
        from analytics.fct_pipeline_daily as pipeline
        inner join days on pipeline.date_day = days.date_day
        group by pipeline.date_day, pipeline.forecast_category
    )

    select * from final
    order by date_day, array_position({CATEGORY_ORDER}, forecast_category)
    """,
    lambda result: charts.bars_by(
        result, "date_day", "forecast_category", "open_pipeline", "open pipeline", stacked=True
    ),
)

FORECAST_VS_QUOTA = Chart(
    "forecast_vs_quota",
    "Forecast vs quota per team, this quarter",
    "Quota, booked so far, the CRM's commit forecast (booked + commit deals) and the "
    "statistical forecast (booked + each open deal's learned chance of closing by quarter "
    "end; the numbers give its 80% interval), in reporting currency. Projected is what quota "
    "attainment projects, by the method the backtest scores best (see the next table).",
    f"""
    with {LABELS}

    forecasts as (
        select *
        from analytics.rpt_pipeline_forecast
        where owner_type in ('team', 'company') and period_name = 'current'
    ),

    attainment as (
        select owner_id, quota, projected, projected_method
        from analytics.fct_quota_attainment
        where
            owner_type = 'team'
            and period_type = 'quarter'
            and date_day = (
                select max(date_day) from analytics.fct_quota_attainment
                where date_day <= %(as_of)s
            )
    ),

    final as (
        select
            case forecasts.owner_type
                when 'company' then 'company'
                else coalesce(team_labels.team, forecasts.owner_name, forecasts.owner_id)
            end as team,
            forecasts.period_start,
            forecasts.period_end,
            case forecasts.owner_type
                when 'company' then (select sum(quota) from attainment)
                else attainment.quota
            end as quota,
            forecasts.booked_amount as booked,
            forecasts.commit_forecast,
            forecasts.statistical_forecast,
            forecasts.statistical_forecast_lower,
            forecasts.statistical_forecast_upper,
            attainment.projected,
            attainment.projected_method
        from forecasts
        left join attainment on forecasts.owner_id = attainment.owner_id
        left join team_labels on forecasts.owner_id = team_labels.team_key
    )

    select * from final
    order by team = 'company', team
    """,
    lambda result: charts.bars(
        result,
        "team",
        {
            "quota": "quota",
            "booked": "booked",
            "commit_forecast": "commit forecast",
            "statistical_forecast": "statistical forecast",
        },
        "reporting currency",
    ),
)

FORECAST_ACCURACY = Chart(
    "forecast_accuracy",
    "How each forecast method scored in the backtest",
    "The forecast each method would have made at the end of every past week of a completed "
    "quarter, against what the quarter booked: mean absolute % error (MAPE) and bias (mean "
    "signed % error, + too high), averaged over the quarters scored, per team and the "
    "company.",
    f"""
    with {LABELS}

    scores as (
        select *
        from analytics.rpt_forecast_accuracy_summary
        where scored_weeks > 0 and period_end < %(as_of)s
    ),

    final as (
        select
            case scores.owner_type
                when 'company' then 'company'
                else coalesce(team_labels.team, scores.owner_name, scores.owner_id)
            end as team,
            scores.forecast_method as method,
            count(*) as quarters,
            sum(scores.scored_weeks) as scored_weeks,
            round(
                sum(scores.mape * scores.scored_weeks) / nullif(sum(scores.scored_weeks), 0), 4
            ) as mape,
            round(
                sum(scores.bias * scores.scored_weeks) / nullif(sum(scores.scored_weeks), 0), 4
            ) as bias
        from scores
        left join team_labels on scores.owner_id = team_labels.team_key
        group by 1, 2
    )

    select * from final
    order by team = 'company', team, method
    """,
)
