{{ config(materialized='table') }}

-- Every forecast of the period's bookings made at the end of each as-of day
-- (int_forecast_deal_snapshots: every Sunday and the build date), for the fiscal quarter
-- containing that day, per rep, team and the company (models/marts/sales/README_forecast.md):
-- * booked_to_date: deals won (as of the day) with a close date in the quarter;
-- * commit: booked + open deals in the commit category closing in the quarter (the CRM's view);
-- * run_rate: booked_to_date / elapsed_share (pacing days, as fct_quota_attainment);
-- * statistical: booked + the sum over every open deal of its cell's win rate x its amount
--   (int_forecast_win_rates), with the variance of that sum taken as a sum of independent
--   Bernoulli outcomes (p (1 - p) amount^2) and an 80% interval from the normal approximation
--   (+-1.2816 standard deviations), the lower bound never under booked_to_date; null when
--   an open deal's cell has no history yet.
-- Rows only for owners with a deal booked or open on the day; amounts in reporting currency.
{%- set fine_cell = [
    'standard_stage', 'horizon_band', 'is_close_in_period', 'age_band', 'size_band'
] %}
with

snapshots as (

    select * from {{ ref('int_forecast_deal_snapshots') }}

),

win_rates as (

    select * from {{ ref('int_forecast_win_rates') }}

),

deal_values as (

    select
        snapshots.as_of_date,
        snapshots.is_week_end,
        snapshots.period_start,
        snapshots.period_end,
        snapshots.sales_rep_id,
        snapshots.team_key,
        case
            when
                snapshots.deal_status = 'booked'
                and snapshots.close_date between snapshots.period_start and snapshots.period_end
                then coalesce(snapshots.amount_reporting, 0)
            else 0
        end as booked,
        case
            when
                snapshots.deal_status = 'open'
                and snapshots.forecast_category = 'commit'
                and snapshots.close_date between snapshots.period_start and snapshots.period_end
                then coalesce(snapshots.amount_reporting, 0)
            else 0
        end as open_commit,
        case
            when snapshots.deal_status = 'open'
                then coalesce(snapshots.amount_reporting, 0) * win_rates.win_rate
            else 0
        end as expected_open,
        case
            when snapshots.deal_status = 'open'
                then
                    power(coalesce(snapshots.amount_reporting, 0), 2)
                    * win_rates.win_rate * (1 - win_rates.win_rate)
            else 0
        end as variance_open
    from snapshots
    left join win_rates
        on
            snapshots.as_of_date = win_rates.as_of_date
            {%- for column in fine_cell %}
                and snapshots.{{ column }} = win_rates.{{ column }}
            {%- endfor %}

),

owner_values as (

    select
        'rep' as owner_type,
        deal_values.sales_rep_id as owner_id,
        deal_values.*
    from deal_values
    where deal_values.sales_rep_id is not null
    union all
    select
        'team' as owner_type,
        deal_values.team_key as owner_id,
        deal_values.*
    from deal_values
    where deal_values.team_key is not null
    union all
    select
        'company' as owner_type,
        'company' as owner_id,
        deal_values.*
    from deal_values

),

owner_sums as (

    select
        owner_type,
        owner_id,
        as_of_date,
        is_week_end,
        period_start,
        period_end,
        sum(booked) as booked_to_date,
        sum(open_commit) as open_commit,
        -- null (no forecast) when any open deal's cell has no history yet
        sum(expected_open) as expected_open,
        sum(variance_open) as variance_open,
        count(*) - count(expected_open) as deals_without_rate
    from owner_values
    group by owner_type, owner_id, as_of_date, is_week_end, period_start, period_end

),

final as (

    select
        owner_type,
        owner_id,
        as_of_date,
        is_week_end,
        'quarter' as period_type,
        period_start,
        period_end,
        booked_to_date,
        cast(
            {{ quota_weighted_days('period_start', 'as_of_date') }} as numeric
        ) / nullif({{ quota_weighted_days('period_start', 'period_end') }}, 0) as elapsed_share,
        booked_to_date + open_commit as commit_forecast,
        round(
            booked_to_date
            / nullif(
                cast({{ quota_weighted_days('period_start', 'as_of_date') }} as numeric)
                / nullif({{ quota_weighted_days('period_start', 'period_end') }}, 0),
                0
            ),
            2
        ) as run_rate_forecast,
        case
            when deals_without_rate = 0 then round(booked_to_date + expected_open, 2)
        end as statistical_forecast,
        case
            when deals_without_rate = 0
                then round(greatest(
                        booked_to_date,
                        booked_to_date + expected_open - 1.2816 * sqrt(variance_open)
                    ), 2)
        end as statistical_forecast_lower,
        case
            when deals_without_rate = 0
                then round(booked_to_date + expected_open + 1.2816 * sqrt(variance_open), 2)
        end as statistical_forecast_upper
    from owner_sums

)

select * from final
