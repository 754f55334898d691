{{ config(materialized='table') }}

-- The quota row in force for each owner (rep or team) and month, converted to the reporting
-- currency: the owner's own rows before defaults ('*', 'hubspot:*': the longer prefix wins),
-- then the latest period_start on or before the month. Owners without any matching row have
-- no row here (their quota is 0). Rules in models/marts/sales/README_quotas.md.
with

quotas as (

    select * from {{ ref('quotas') }}

),

months as (

    select * from {{ ref('int_quota_months') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

quota_rows as (

    select
        owner_type,
        owner_id,
        period_start,
        -- a quarter or year amount is spread evenly over its months
        amount / case period_type when 'quarter' then 3 when 'year' then 12 else 1 end
            as monthly_amount,
        coalesce(nullif(upper(btrim(currency_code)), ''), {{ currency_var('reporting_currency') }})
            as currency_code,
        {{ dbt.right('owner_id', 1) }} = '*' as is_default
    from quotas

),

owners as (

    select * from {{ ref('int_quota_owners') }}

),

owner_months as (

    select
        owners.owner_type,
        owners.owner_id,
        months.month_start
    from owners
    cross join months

),

-- the rows that may apply: the owner's own (an equality join) and the defaults whose prefix
-- the owner id starts with (few rows; '*' matches every owner)
candidate_rows as (

    select
        owner_months.owner_type,
        owner_months.owner_id,
        owner_months.month_start,
        quota_rows.owner_id as quota_owner_id,
        quota_rows.period_start,
        quota_rows.monthly_amount,
        quota_rows.currency_code,
        quota_rows.is_default
    from owner_months
    inner join quota_rows
        on
            owner_months.owner_type = quota_rows.owner_type
            and owner_months.owner_id = quota_rows.owner_id
            and owner_months.month_start >= quota_rows.period_start
    where not quota_rows.is_default
    union all
    select
        owner_months.owner_type,
        owner_months.owner_id,
        owner_months.month_start,
        quota_rows.owner_id as quota_owner_id,
        quota_rows.period_start,
        quota_rows.monthly_amount,
        quota_rows.currency_code,
        quota_rows.is_default
    from owner_months
    inner join quota_rows
        on
            owner_months.owner_type = quota_rows.owner_type
            and owner_months.month_start >= quota_rows.period_start
            and starts_with(owner_months.owner_id, rtrim(quota_rows.owner_id, '*'))
    where quota_rows.is_default

),

ranked_rows as (

    select
        owner_type,
        owner_id,
        month_start,
        quota_owner_id,
        period_start,
        monthly_amount,
        currency_code,
        is_default,
        row_number() over (
            partition by owner_type, owner_id, month_start
            order by is_default asc, length(quota_owner_id) desc, period_start desc
        ) as choice_rank
    from candidate_rows

),

chosen_rows as (

    select
        ranked_rows.owner_type,
        ranked_rows.owner_id,
        ranked_rows.month_start,
        ranked_rows.quota_owner_id,
        ranked_rows.period_start as quota_period_start,
        ranked_rows.is_default,
        ranked_rows.monthly_amount,
        ranked_rows.currency_code,
        -- the quota's currency at the rate of the month's first day; null without a rate
        case
            when ranked_rows.currency_code = {{ currency_var('reporting_currency') }} then 1
            else fx_rates.reporting_per_unit
        end as fx_rate_to_reporting,
        case
            when ranked_rows.currency_code = {{ currency_var('reporting_currency') }}
                then ranked_rows.month_start
            else fx_rates.fx_rate_date
        end as fx_rate_date,
        case
            when ranked_rows.currency_code = {{ currency_var('reporting_currency') }}
                then 'same_currency'
            else fx_rates.fx_rate_source
        end as fx_rate_source
    from ranked_rows
    left join fx_rates
        on
            ranked_rows.month_start = fx_rates.date_day
            and ranked_rows.currency_code = fx_rates.currency_code
            -- a rep's or team's quota converts like its bookings: with its CRM's rates first
            and fx_rates.rate_scope = case
                when split_part(ranked_rows.owner_id, ':', 1) in ('hubspot', 'salesforce')
                    then split_part(ranked_rows.owner_id, ':', 1)
                else 'all'
            end
    where ranked_rows.choice_rank = 1

),

final as (

    select
        owner_type,
        owner_id,
        month_start,
        quota_owner_id,
        quota_period_start,
        is_default,
        monthly_amount,
        currency_code,
        fx_rate_to_reporting,
        fx_rate_date,
        fx_rate_source,
        monthly_amount * fx_rate_to_reporting as monthly_quota_reporting
    from chosen_rows

)

select * from final
