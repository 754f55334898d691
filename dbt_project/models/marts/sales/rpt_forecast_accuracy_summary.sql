-- The backtest's score per owner (team, company), quarter and method
-- (models/marts/sales/README_forecast.md): the mean signed % error (bias) and the mean
-- absolute % error (MAPE) over the quarter's as-of weeks, counting only the weeks where every
-- method made a forecast and the actual was not 0, so the methods are scored on the same weeks.
with

accuracy as (

    select * from {{ ref('rpt_forecast_accuracy') }}

),

scored_weeks as (

    select
        owner_type,
        owner_id,
        as_of_date
    from accuracy
    group by owner_type, owner_id, as_of_date
    having count(*) = count(absolute_percentage_error)

),

final as (

    select
        {{ key_from([
            'accuracy.owner_type', 'accuracy.owner_id', 'accuracy.period_start', 'accuracy.forecast_method'
        ]) }} as forecast_accuracy_summary_key,
        accuracy.owner_type,
        accuracy.owner_id,
        accuracy.owner_name,
        accuracy.period_type,
        accuracy.period_start,
        accuracy.period_end,
        accuracy.forecast_method,
        count(*) as as_of_weeks,
        count(scored_weeks.as_of_date) as scored_weeks,
        max(accuracy.actual) as actual,
        round(avg(case when scored_weeks.as_of_date is not null then accuracy.error end), 2)
            as mean_error,
        round(avg(case when scored_weeks.as_of_date is not null then accuracy.bias end), 6)
            as bias,
        round(
            avg(
                case
                    when scored_weeks.as_of_date is not null then accuracy.absolute_percentage_error
                end
            ),
            6
        ) as mape,
        max(accuracy.reporting_currency_code) as reporting_currency_code
    from accuracy
    left join scored_weeks
        on
            accuracy.owner_type = scored_weeks.owner_type
            and accuracy.owner_id = scored_weeks.owner_id
            and accuracy.as_of_date = scored_weeks.as_of_date
    group by
        accuracy.owner_type,
        accuracy.owner_id,
        accuracy.owner_name,
        accuracy.period_type,
        accuracy.period_start,
        accuracy.period_end,
        accuracy.forecast_method

)

select * from final
