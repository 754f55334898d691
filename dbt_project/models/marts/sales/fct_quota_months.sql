-- The quota plan as written, one row per owner (rep or team) and month that has a quota row:
-- the seeds/quotas.csv row in force, its amount in its own currency, and the conversion to
-- the reporting currency with its lineage, so every converted quota can be redone by hand.
-- fct_quota_attainment spreads these (ramped for new reps) over its periods.
with

choices as (

    select * from {{ ref('int_quota_choices') }}

),

final as (

    select
        {{ key_from(['owner_type', 'owner_id', 'month_start']) }} as quota_month_key,
        owner_type,
        owner_id,
        month_start,
        quota_owner_id,
        quota_period_start,
        is_default,
        monthly_amount as quota_amount,
        currency_code,
        monthly_quota_reporting as quota_amount_reporting,
        {{ currency_var('reporting_currency') }} as reporting_currency_code,
        fx_rate_to_reporting,
        -- quotas convert at the rate of their month's first day (like bookings, with the
        -- owner's CRM's rates first)
        month_start as fx_conversion_date,
        fx_rate_date,
        fx_rate_source
    from choices

)

select * from final
