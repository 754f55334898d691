-- The backtest (models/marts/sales/README_forecast.md): each forecast method as it would have
-- been made at the end of each past week (int_forecast_predictions: only states and outcomes
-- known by then) for that week's fiscal quarter, against what was actually booked by the
-- quarter's end, per team and for the company. Only quarters that have ended by the build date.
-- actual = won deals (fct_deals as it stands, amount_reporting) with a close date in the
-- quarter: a team's are its reps' (int_quota_bookings, as fct_quota_attainment books them),
-- the company's every won deal.
with

predictions as (

    select * from {{ ref('int_forecast_predictions') }}

),

bookings as (

    select * from {{ ref('int_quota_bookings') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_reps') }}

),

as_of_weeks as (

    select distinct
        as_of_date,
        period_start,
        period_end,
        elapsed_share
    from predictions
    where
        owner_type = 'company'
        and is_week_end
        and period_end <= {{ as_of_date() }}

),

owners as (

    select distinct
        'team' as owner_type,
        team_key as owner_id,
        team_name as owner_name
    from sales_reps
    where team_key is not null
    union all
    select
        'company' as owner_type,
        'company' as owner_id,
        'Company' as owner_name

),

periods as (

    select distinct
        period_start,
        period_end
    from as_of_weeks

),

actuals as (

    select
        'team' as owner_type,
        bookings.owner_id,
        periods.period_start,
        sum(bookings.booked) as actual
    from bookings
    inner join periods
        on bookings.close_date between periods.period_start and periods.period_end
    where bookings.owner_type = 'team'
    group by bookings.owner_id, periods.period_start
    union all
    select
        'company' as owner_type,
        'company' as owner_id,
        periods.period_start,
        sum(deals.amount_reporting) as actual
    from deals
    inner join periods
        on deals.close_date between periods.period_start and periods.period_end
    where deals.is_won
    group by periods.period_start

),

-- an owner without a row on a day had nothing booked or open: every forecast is 0
owner_forecasts as (

    select
        owners.owner_type,
        owners.owner_id,
        owners.owner_name,
        as_of_weeks.as_of_date,
        as_of_weeks.period_start,
        as_of_weeks.period_end,
        as_of_weeks.elapsed_share,
        coalesce(
            predictions.statistical_forecast, case when predictions.owner_id is null then 0 end
        )
            as statistical_forecast,
        coalesce(
            predictions.statistical_forecast_lower,
            case when predictions.owner_id is null then 0 end
        ) as statistical_forecast_lower,
        coalesce(
            predictions.statistical_forecast_upper,
            case when predictions.owner_id is null then 0 end
        ) as statistical_forecast_upper,
        coalesce(predictions.commit_forecast, 0) as commit_forecast,
        case
            when predictions.owner_id is not null then predictions.run_rate_forecast
            when as_of_weeks.elapsed_share > 0 then 0
        end as run_rate_forecast,
        coalesce(actuals.actual, 0) as actual
    from owners
    cross join as_of_weeks
    left join predictions
        on
            owners.owner_type = predictions.owner_type
            and owners.owner_id = predictions.owner_id
            and as_of_weeks.as_of_date = predictions.as_of_date
    left join actuals
        on
            owners.owner_type = actuals.owner_type
            and owners.owner_id = actuals.owner_id
            and as_of_weeks.period_start = actuals.period_start

),

methods as (

    select
        owner_forecasts.*,
        'statistical' as forecast_method,
        owner_forecasts.statistical_forecast as forecast,
        owner_forecasts.statistical_forecast_lower as forecast_lower,
        owner_forecasts.statistical_forecast_upper as forecast_upper
    from owner_forecasts
    union all
    select
        owner_forecasts.*,
        'commit' as forecast_method,
        owner_forecasts.commit_forecast as forecast,
        null as forecast_lower,
        null as forecast_upper
    from owner_forecasts
    union all
    select
        owner_forecasts.*,
        'run_rate' as forecast_method,
        owner_forecasts.run_rate_forecast as forecast,
        null as forecast_lower,
        null as forecast_upper
    from owner_forecasts

),

final as (

    select
        {{ key_from(['owner_type', 'owner_id', 'as_of_date', 'forecast_method']) }}
            as forecast_accuracy_key,
        as_of_date,
        owner_type,
        owner_id,
        owner_name,
        'quarter' as period_type,
        period_start,
        period_end,
        round(cast(elapsed_share as numeric), 6) as elapsed_share,
        forecast_method,
        cast(forecast as numeric(38, 2)) as forecast,
        cast(forecast_lower as numeric(38, 2)) as forecast_lower,
        cast(forecast_upper as numeric(38, 2)) as forecast_upper,
        actual,
        forecast - actual as error,
        round((forecast - actual) / nullif(actual, 0), 6) as bias,
        round(abs(forecast - actual) / nullif(actual, 0), 6) as absolute_percentage_error,
        {{ currency_var('reporting_currency') }} as reporting_currency_code
    from methods

)

select * from final
