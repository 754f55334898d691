-- Every deal open at the end of each day (UTC), with that day's stage, amount (deal and
-- reporting currency, at that day's rate), close date, owner, team and forecast category.
-- The days come from the incremental int_pipeline_daily (README.md, "Pipeline over time");
-- this table copies them each night with that day's rate and the rep's team.
with

pipeline_days as (

    select * from {{ ref('int_pipeline_daily') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

reps as (

    select * from {{ ref('int_sales_reps_unioned') }}

),

final as (

    select
        pipeline_days.deal_key,
        pipeline_days.date_day,
        pipeline_days.crm,
        pipeline_days.deal_id,
        pipeline_days.pipeline_id,
        pipeline_days.stage_id,
        pipeline_days.standard_stage,
        pipeline_days.standard_stage_order,
        pipeline_days.stage_entered_date,
        pipeline_days.days_in_stage,
        pipeline_days.amount,
        pipeline_days.currency_code,
        pipeline_days.amount * fx_rates.reporting_per_unit as amount_reporting,
        {{ currency_var('reporting_currency') }} as reporting_currency_code,
        fx_rates.reporting_per_unit as fx_rate,
        fx_rates.fx_rate_date,
        fx_rates.fx_rate_source,
        pipeline_days.close_date,
        pipeline_days.owner_id,
        pipeline_days.sales_rep_id,
        case
            when reps.team_id is not null then {{ key_from(['reps.crm', 'reps.team_id']) }}
        end as team_key,
        reps.team_name,
        pipeline_days.forecast_category,
        pipeline_days.crm_forecast_category,
        pipeline_days.created_date,
        pipeline_days.state_number
    from pipeline_days
    -- that day's rate, the deal's own CRM's rates first (var fx_rate_sources), as fct_deals
    left join fx_rates
        on
            pipeline_days.date_day = fx_rates.date_day
            and pipeline_days.currency_code = fx_rates.currency_code
            and pipeline_days.crm = fx_rates.rate_scope
    left join reps
        on pipeline_days.sales_rep_id = reps.sales_rep_id

)

select * from final
