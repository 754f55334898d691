{#- Quota pacing per rep and team, day and period type: rules in README_quotas.md. -#}
{%- set ramp_shares = var('quota_ramp_shares') or [] -%}
{%- for share in ramp_shares -%}
    {%- if share is not number or share < 0 -%}
        {{ exceptions.raise_compiler_error(
            "var quota_ramp_shares must be a list of non-negative numbers, got "
            ~ var('quota_ramp_shares')
        ) }}
    {%- endif -%}
{%- endfor -%}
{%- set quota_end_date = var('quota_end_date') -%}
{%- set date_pattern = '\\d{4}-\\d{2}-\\d{2}' -%}
{%- if quota_end_date and modules.re.fullmatch(date_pattern, quota_end_date | string) is none -%}
    {{ exceptions.raise_compiler_error(
        "var quota_end_date must be a date YYYY-MM-DD or null, got '" ~ quota_end_date ~ "'"
    ) }}
{%- endif -%}

with

quotas as (

    select * from {{ ref('quotas') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_reps') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

calendar_periods as (

    {{ quota_periods() }}

),

-- rows run from the later of the first quota and the first deal to the last day with deal
-- activity (or var quota_end_date), inside the calendar vars
report_range as (

    select
        greatest(
            (select min(quotas.period_start) from quotas),
            min({{ to_utc_date('deals.created_at') }})
        ) as first_day,
        {% if quota_end_date -%}
            cast('{{ quota_end_date }}' as date)
        {%- else -%}
            max(greatest(
                {{ to_utc_date('deals.created_at') }}, {{ to_utc_date('deals.closed_at') }}
            ))
        {%- endif %} as last_day
    from deals

),

report_periods as (

    select
        calendar_periods.date_day,
        calendar_periods.period_type,
        calendar_periods.period_start,
        calendar_periods.period_end,
        {{ quota_weighted_days('calendar_periods.period_start', 'calendar_periods.date_day') }}
            as elapsed_days,
        {{ quota_weighted_days('calendar_periods.period_start', 'calendar_periods.period_end') }}
            as period_days
    from calendar_periods
    inner join report_range
        on calendar_periods.date_day between report_range.first_day and report_range.last_day

),

distinct_periods as (

    select distinct
        period_type,
        period_start,
        period_end
    from report_periods

),

-- each month a period overlaps and the share of that month's quota falling in the period
-- (1 for whole months; a week or day gets its pacing days' share of the month)
period_months as (

    select
        distinct_periods.period_type,
        distinct_periods.period_start,
        distinct_periods.period_end,
        cast(months.month_start as date) as month_start,
        cast(
            {{ quota_weighted_days(
                'greatest(distinct_periods.period_start, cast(months.month_start as date))',
                'least(distinct_periods.period_end, '
                ~ "cast(months.month_start + interval '1 month' - interval '1 day' as date))"
            ) }} as numeric
        ) / {{ quota_weighted_days(
            'cast(months.month_start as date)',
            "cast(months.month_start + interval '1 month' - interval '1 day' as date)"
        ) }} as month_share
    from distinct_periods
    cross join lateral generate_series(
        cast(date_trunc('month', cast(distinct_periods.period_start as timestamp)) as timestamp),
        cast(distinct_periods.period_end as timestamp),
        interval '1 month'
    ) as months (month_start)

),

months as (

    select distinct month_start
    from period_months

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
        right(owner_id, 1) = '*' as is_default
    from quotas

),

rep_months as (

    select
        sales_reps.sales_rep_id,
        sales_reps.team_key,
        months.month_start,
        (
            sales_reps.active_from_date is null
            or sales_reps.active_from_date
            < cast(months.month_start + interval '1 month' as date)
        )
        and (
            sales_reps.active_to_date is null
            or sales_reps.active_to_date >= months.month_start
        ) as is_active_in_month,
        (
            cast(extract(year from months.month_start) as integer) * 12
            + cast(extract(month from months.month_start) as integer)
        )
        - (
            cast(extract(year from sales_reps.active_from_date) as integer) * 12
            + cast(extract(month from sales_reps.active_from_date) as integer)
        ) as months_since_joining
    from sales_reps
    cross join months

),

teams as (

    select distinct team_key
    from sales_reps
    where team_key is not null

),

owner_months as (

    select
        'rep' as owner_type,
        sales_rep_id as owner_id,
        month_start
    from rep_months
    union all
    select
        'team' as owner_type,
        teams.team_key as owner_id,
        months.month_start
    from teams
    cross join months

),

-- the row in force for an owner and month: its own rows before defaults ('*', 'hubspot:*';
-- the longer prefix wins), then the latest period_start on or before the month
quota_choices as (

    select
        owner_months.owner_type,
        owner_months.owner_id,
        owner_months.month_start,
        quota_rows.monthly_amount,
        quota_rows.currency_code,
        quota_rows.is_default,
        row_number() over (
            partition by owner_months.owner_type, owner_months.owner_id, owner_months.month_start
            order by
                quota_rows.is_default asc,
                length(quota_rows.owner_id) desc,
                quota_rows.period_start desc
        ) as choice_rank
    from owner_months
    inner join quota_rows
        on
            owner_months.owner_type = quota_rows.owner_type
            and owner_months.month_start >= quota_rows.period_start
            and (
                owner_months.owner_id = quota_rows.owner_id
                or (
                    quota_rows.is_default
                    and starts_with(owner_months.owner_id, rtrim(quota_rows.owner_id, '*'))
                )
            )

),

chosen_quotas as (

    select
        quota_choices.owner_type,
        quota_choices.owner_id,
        quota_choices.month_start,
        quota_choices.is_default,
        -- the quota's currency at the rate of the month's first day
        quota_choices.monthly_amount
        * case
            when quota_choices.currency_code = {{ currency_var('reporting_currency') }} then 1
            else fx_rates.reporting_per_unit
        end as monthly_quota
    from quota_choices
    left join fx_rates
        on
            quota_choices.month_start = fx_rates.date_day
            and quota_choices.currency_code = fx_rates.currency_code
    where quota_choices.choice_rank = 1

),

rep_month_quotas as (

    select
        rep_months.sales_rep_id,
        rep_months.team_key,
        rep_months.month_start,
        case
            when not rep_months.is_active_in_month then 0
            when chosen_quotas.owner_id is null then 0
            -- a default row ramps up over a new rep's first months; own rows are taken as
            -- written. A quota without an FX rate stays null (a not_null test says so).
            when chosen_quotas.is_default
                then chosen_quotas.monthly_quota
                    * case rep_months.months_since_joining
                        {%- for share in ramp_shares %}
                            when {{ loop.index0 }} then {{ share }}
                        {%- endfor %}
                        else 1
                    end
            else chosen_quotas.monthly_quota
        end as monthly_quota
    from rep_months
    left join chosen_quotas
        on
            chosen_quotas.owner_type = 'rep'
            and rep_months.sales_rep_id = chosen_quotas.owner_id
            and rep_months.month_start = chosen_quotas.month_start

),

team_rep_sums as (

    select
        team_key,
        month_start,
        -- null when any rep's quota is (no FX rate), never a silently partial sum
        case when bool_and(monthly_quota is not null) then sum(monthly_quota) end
            as monthly_quota
    from rep_month_quotas
    where team_key is not null
    group by team_key, month_start

),

owner_month_quotas as (

    select
        'rep' as owner_type,
        sales_rep_id as owner_id,
        month_start,
        monthly_quota
    from rep_month_quotas
    union all
    -- a team's own row, else the sum of its reps' quotas
    select
        'team' as owner_type,
        team_rep_sums.team_key as owner_id,
        team_rep_sums.month_start,
        case
            when chosen_quotas.owner_id is not null then chosen_quotas.monthly_quota
            else team_rep_sums.monthly_quota
        end as monthly_quota
    from team_rep_sums
    left join chosen_quotas
        on
            chosen_quotas.owner_type = 'team'
            and team_rep_sums.team_key = chosen_quotas.owner_id
            and team_rep_sums.month_start = chosen_quotas.month_start

),

owner_period_quotas as (

    select
        owner_month_quotas.owner_type,
        owner_month_quotas.owner_id,
        period_months.period_type,
        period_months.period_start,
        case
            when bool_and(owner_month_quotas.monthly_quota is not null)
                then sum(owner_month_quotas.monthly_quota * period_months.month_share)
        end as quota
    from owner_month_quotas
    inner join period_months
        on owner_month_quotas.month_start = period_months.month_start
    group by
        owner_month_quotas.owner_type,
        owner_month_quotas.owner_id,
        period_months.period_type,
        period_months.period_start

),

-- booked = won deals by close date in the reporting currency, as fct_deals stands now: a deal
-- re-opened after being won is not won any more and counts nowhere
won_deals as (

    select
        deals.sales_rep_id,
        sales_reps.team_key,
        deals.close_date,
        deals.amount_reporting
    from deals
    inner join sales_reps
        on deals.sales_rep_id = sales_reps.sales_rep_id
    where deals.is_won

),

owner_bookings as (

    select
        'rep' as owner_type,
        sales_rep_id as owner_id,
        close_date,
        sum(amount_reporting) as booked
    from won_deals
    group by sales_rep_id, close_date
    union all
    select
        'team' as owner_type,
        team_key as owner_id,
        close_date,
        sum(amount_reporting) as booked
    from won_deals
    where team_key is not null
    group by team_key, close_date

),

owners as (

    select
        'rep' as owner_type,
        sales_rep_id as owner_id
    from sales_reps
    union all
    select
        'team' as owner_type,
        team_key as owner_id
    from teams

),

owner_periods as (

    select
        owners.owner_type,
        owners.owner_id,
        report_periods.date_day,
        report_periods.period_type,
        report_periods.period_start,
        report_periods.period_end,
        owner_period_quotas.quota,
        -- pacing days elapsed, the current day included; a period without any (a weekend
        -- day on working days) counts as wholly elapsed
        case
            when report_periods.period_days = 0 then 1
            else cast(report_periods.elapsed_days as numeric) / report_periods.period_days
        end as elapsed_share
    from owners
    cross join report_periods
    left join owner_period_quotas
        on
            owners.owner_type = owner_period_quotas.owner_type
            and owners.owner_id = owner_period_quotas.owner_id
            and report_periods.period_type = owner_period_quotas.period_type
            and report_periods.period_start = owner_period_quotas.period_start

),

booked_to_date as (

    select
        owner_periods.owner_type,
        owner_periods.owner_id,
        owner_periods.date_day,
        owner_periods.period_type,
        owner_periods.period_start,
        owner_periods.period_end,
        owner_periods.quota,
        owner_periods.elapsed_share,
        coalesce(sum(owner_bookings.booked), 0) as booked_to_date
    from owner_periods
    left join owner_bookings
        on
            owner_periods.owner_type = owner_bookings.owner_type
            and owner_periods.owner_id = owner_bookings.owner_id
            and owner_bookings.close_date between owner_periods.period_start
            and owner_periods.date_day
    group by
        owner_periods.owner_type,
        owner_periods.owner_id,
        owner_periods.date_day,
        owner_periods.period_type,
        owner_periods.period_start,
        owner_periods.period_end,
        owner_periods.quota,
        owner_periods.elapsed_share

),

final as (

    select
        owner_type,
        owner_id,
        date_day,
        period_type,
        period_start,
        period_end,
        round(quota, 2) as quota,
        booked_to_date,
        round(booked_to_date / nullif(quota, 0), 4) as attainment,
        round(quota * elapsed_share, 2) as expected_to_date,
        round(booked_to_date / nullif(quota * elapsed_share, 0), 4) as pacing,
        round(booked_to_date / nullif(elapsed_share, 0), 2) as projected,
        round(elapsed_share, 6) as elapsed_share,
        {{ currency_var('reporting_currency') }} as reporting_currency_code
    from booked_to_date

)

select * from final
