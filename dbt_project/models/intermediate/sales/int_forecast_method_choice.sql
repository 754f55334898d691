{{ config(materialized='table') }}

-- Which forecast fct_quota_attainment.projected uses (models/marts/sales/README_forecast.md):
-- the method with the lowest MAPE over the company's backtest (rpt_forecast_accuracy, every
-- as-of week of every ended quarter where all methods made a forecast and the actual was not
-- 0); ties go to run_rate, then commit, then statistical; without any scored week, run_rate
-- (the projection fct_quota_attainment always had). One row per method.
with

accuracy as (

    select * from {{ ref('rpt_forecast_accuracy') }}

),

methods as (

    select
        'run_rate' as forecast_method,
        1 as tie_order
    union all
    select
        'commit' as forecast_method,
        2 as tie_order
    union all
    select
        'statistical' as forecast_method,
        3 as tie_order

),

company_weeks as (

    select * from accuracy
    where owner_type = 'company'

),

scored_weeks as (

    select as_of_date
    from company_weeks
    group by as_of_date
    having count(*) = count(absolute_percentage_error)

),

scores as (

    select
        company_weeks.forecast_method,
        count(*) as scored_weeks,
        avg(company_weeks.absolute_percentage_error) as mape
    from company_weeks
    inner join scored_weeks
        on company_weeks.as_of_date = scored_weeks.as_of_date
    group by company_weeks.forecast_method

),

ranked as (

    select
        methods.forecast_method,
        coalesce(scores.scored_weeks, 0) as scored_weeks,
        round(scores.mape, 6) as mape,
        row_number() over (
            order by
                case when scores.mape is null then 1 else 0 end,
                scores.mape,
                methods.tie_order
        ) as method_rank
    from methods
    left join scores
        on methods.forecast_method = scores.forecast_method

),

final as (

    select
        forecast_method,
        scored_weeks,
        mape,
        method_rank,
        -- no scored week at all: run_rate (tie order 1 ranks first when every mape is null)
        method_rank = 1 as is_chosen
    from ranked

)

select * from final
