with

deals as (

    select * from {{ ref('int_deals_unioned') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

deal_dates as (

    select
        deal_key,
        crm,
        deal_id,
        deal_name,
        account_id,
        owner_id,
        pipeline_id,
        pipeline_name,
        stage_id,
        stage_name,
        stage_probability,
        created_at,
        case when is_closed then close_at end as closed_at,
        {{ to_utc_date('close_at') }} as close_date,
        {{ to_utc_date('created_at') }} as created_date,
        is_closed,
        is_won,
        amount,
        currency_code,
        list_amount
    from deals

),

final as (

    select
        deal_dates.deal_key,
        deal_dates.crm,
        deal_dates.deal_id,
        deal_dates.deal_name,
        deal_dates.account_id,
        deal_dates.owner_id,
        deal_dates.pipeline_id,
        deal_dates.pipeline_name,
        deal_dates.stage_id,
        deal_dates.stage_name,
        deal_dates.stage_probability,
        deal_dates.created_at,
        deal_dates.closed_at,
        deal_dates.close_date,
        deal_dates.is_closed,
        deal_dates.is_won,
        deal_dates.amount,
        deal_dates.currency_code,
        deal_dates.amount * fx_rates.reporting_per_unit as amount_reporting,
        {{ currency_var('reporting_currency') }} as reporting_currency_code,
        deal_dates.list_amount,
        deal_dates.list_amount * fx_rates.reporting_per_unit as list_amount_reporting,
        1 - deal_dates.amount / nullif(deal_dates.list_amount, 0) as discount,
        case
            when deal_dates.is_closed
                then {{ to_utc_date('deal_dates.closed_at') }} - deal_dates.created_date
        end as sales_cycle_days
    from deal_dates
    -- converted at the rate of the close date (expected close for open deals),
    -- or of the created date when the deal has no close date
    left join fx_rates
        on
            coalesce(deal_dates.close_date, deal_dates.created_date) = fx_rates.date_day
            and deal_dates.currency_code = fx_rates.currency_code

)

select * from final
