/*
    The rep scorecard, set-based: every measure is a grouping of deals, or of the (deal, day)
    pairs when a deal was open, by the periods they fall in; no deal is compared with every
    period. Rules in README.md ("Rep scorecard").
*/
with

deals as (

    select * from {{ ref('fct_deals') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_reps') }}

),

dates as (

    select * from {{ ref('dim_dates') }}

),

stage_history as (

    select * from {{ ref('fct_deal_stage_history') }}

),

quota_attainment as (

    select * from {{ ref('fct_quota_attainment') }}
    where owner_type = 'rep' and period_type in ('month', 'quarter')

),

rep_deals as (

    select
        deals.deal_key,
        deals.sales_rep_id,
        deals.created_date,
        {{ to_utc_date('deals.closed_at') }} as closed_date,
        deals.is_closed,
        deals.is_won,
        deals.amount_reporting,
        deals.discount,
        deals.sales_cycle_days
    from deals
    inner join sales_reps
        on deals.sales_rep_id = sales_reps.sales_rep_id

),

-- the UTC days a deal sat in an open stage: from open_from_date to the day before
-- open_until_date (null while it still does). A deal won and later re-opened is not open in
-- between, and is open again from its re-opening.
open_spells as (

    select
        deal_key,
        {{ to_utc_date('entered_at') }} as open_from_date,
        {{ to_utc_date('exited_at') }} as open_until_date
    from stage_history
    where not is_closed_stage

),

deals_with_history as (

    select distinct deal_key from stage_history

),

-- the data's last day: its latest deal creation or close (as fct_quota_attainment's last day)
data_range as (

    select
        min(created_date) as first_day,
        max(greatest(created_date, closed_date)) as last_day
    from rep_deals

),

-- months and fiscal quarters (as dim_dates and fct_quota_attainment define them) overlapping
-- the data's range
periods as (

    select distinct
        'month' as period_type,
        dates.month_start_date as period_start,
        dates.month_end_date as period_end
    from dates
    inner join data_range
        on dates.date_day between data_range.first_day and data_range.last_day
    union all
    select distinct
        'quarter' as period_type,
        dates.fiscal_quarter_start_date as period_start,
        dates.fiscal_quarter_end_date as period_end
    from dates
    inner join data_range
        on dates.date_day between data_range.first_day and data_range.last_day

),

rep_periods as (

    select
        sales_reps.sales_rep_id,
        sales_reps.active_from_date,
        sales_reps.active_to_date,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        -- open pipeline and remaining quota are measured at the period's end, or at the data's
        -- last day for the current period
        least(periods.period_end, data_range.last_day) as as_of_date
    from sales_reps
    cross join periods
    cross join data_range

),

-- each deal in the month and fiscal quarter it was created in, and in those it was decided
-- (closed won or lost) in. The period is the one starting on the date's month or fiscal
-- quarter start (computed as dim_dates computes them); only listed periods are kept below.
deal_period_events as (

    select
        sales_rep_id,
        'month' as period_type,
        cast({{ dbt.date_trunc('month', 'created_date') }} as date) as period_start,
        true as is_created,
        false as is_decided,
        is_won,
        amount_reporting,
        discount,
        sales_cycle_days
    from rep_deals
    where created_date is not null
    union all
    select
        sales_rep_id,
        'quarter' as period_type,
        {{ fiscal_quarter_start_date('created_date') }} as period_start,
        true as is_created,
        false as is_decided,
        is_won,
        amount_reporting,
        discount,
        sales_cycle_days
    from rep_deals
    where created_date is not null
    union all
    select
        sales_rep_id,
        'month' as period_type,
        cast({{ dbt.date_trunc('month', 'closed_date') }} as date) as period_start,
        false as is_created,
        true as is_decided,
        is_won,
        amount_reporting,
        discount,
        sales_cycle_days
    from rep_deals
    where is_closed and closed_date is not null
    union all
    select
        sales_rep_id,
        'quarter' as period_type,
        {{ fiscal_quarter_start_date('closed_date') }} as period_start,
        false as is_created,
        true as is_decided,
        is_won,
        amount_reporting,
        discount,
        sales_cycle_days
    from rep_deals
    where is_closed and closed_date is not null

),

period_measures as (

    select
        sales_rep_id,
        period_type,
        period_start,
        count(*) filter (where is_created) as deals_created,
        sum(amount_reporting) filter (where is_created) as pipeline_created_reporting,
        count(*) filter (where is_decided and is_won) as deals_won,
        count(*) filter (where is_decided and not is_won) as deals_lost,
        sum(amount_reporting) filter (where is_decided and is_won) as won_amount_reporting,
        sum(amount_reporting) filter (where is_decided and not is_won) as lost_amount_reporting,
        avg(amount_reporting) filter (
            where is_decided and is_won
        ) as average_deal_size_reporting,
        percentile_cont(0.5) within group (order by sales_cycle_days) filter (
            where is_decided and is_won
        ) as median_sales_cycle_days,
        avg(discount) filter (where is_decided and is_won) as average_discount
    from deal_period_events
    group by sales_rep_id, period_type, period_start

),

-- open pipeline: the days it is measured on, numbered in order
as_of_dates as (

    select distinct least(periods.period_end, data_range.last_day) as as_of_date
    from periods
    cross join data_range

),

as_of_days as (

    select
        as_of_date,
        row_number() over (order by as_of_date) as as_of_number
    from as_of_dates

),

-- when each deal was open: its stage history's open spells; a deal without history is open
-- from its creation until it is closed
deal_spells as (

    select
        open_spells.deal_key,
        rep_deals.sales_rep_id,
        rep_deals.amount_reporting,
        open_spells.open_from_date,
        open_spells.open_until_date
    from open_spells
    inner join rep_deals
        on open_spells.deal_key = rep_deals.deal_key
    where open_spells.open_from_date is not null
    union all
    select
        rep_deals.deal_key,
        rep_deals.sales_rep_id,
        rep_deals.amount_reporting,
        rep_deals.created_date as open_from_date,
        case
            when rep_deals.is_closed and rep_deals.closed_date is not null
                then greatest(rep_deals.created_date, rep_deals.closed_date)
        end as open_until_date
    from rep_deals
    left join deals_with_history
        on rep_deals.deal_key = deals_with_history.deal_key
    where deals_with_history.deal_key is null and rep_deals.created_date is not null

),

-- The as-of days inside a spell are a run of consecutive as_of_numbers: from the first day on
-- or after open_from_date to the last day before open_until_date. Both ends come from sorting
-- the spells among the as-of days (an as-of day sorts after a spell edge on the same day),
-- once by start and once by end: each end is the count of as-of days sorted before it.
spell_starts as (

    select
        deal_key,
        sales_rep_id,
        amount_reporting,
        open_from_date as edge_date,
        open_until_date,
        cast(null as {{ dbt.type_bigint() }}) as as_of_number
    from deal_spells
    union all
    select
        cast(null as {{ dbt.type_string() }}) as deal_key,
        cast(null as {{ dbt.type_string() }}) as sales_rep_id,
        cast(null as numeric) as amount_reporting,
        as_of_date as edge_date,
        cast(null as date) as open_until_date,
        as_of_number
    from as_of_days

),

spell_first_days as (

    select
        deal_key,
        sales_rep_id,
        amount_reporting,
        open_until_date,
        count(as_of_number) over (
            order by edge_date, as_of_number nulls first
            rows between unbounded preceding and current row
        ) + 1 as first_as_of_number
    from spell_starts

),

spell_ends as (

    select
        deal_key,
        sales_rep_id,
        amount_reporting,
        open_until_date as edge_date,
        first_as_of_number,
        cast(null as {{ dbt.type_bigint() }}) as as_of_number
    from spell_first_days
    where deal_key is not null
    union all
    select
        cast(null as {{ dbt.type_string() }}) as deal_key,
        cast(null as {{ dbt.type_string() }}) as sales_rep_id,
        cast(null as numeric) as amount_reporting,
        as_of_date as edge_date,
        cast(null as {{ dbt.type_bigint() }}) as first_as_of_number,
        as_of_number
    from as_of_days

),

-- a spell still open (no end) sorts after every as-of day (nulls last)
spell_runs as (

    select
        deal_key,
        sales_rep_id,
        amount_reporting,
        first_as_of_number,
        count(as_of_number) over (
            order by edge_date nulls last, as_of_number nulls first
            rows between unbounded preceding and current row
        ) as last_as_of_number
    from spell_ends

),

-- one row per deal and as-of day it was open on (with its rep and amount, so the periods
-- below join on the rep and day at once, never on the rep alone)
open_deal_days as (

    select distinct
        spell_runs.deal_key,
        spell_runs.sales_rep_id,
        spell_runs.amount_reporting,
        as_of_days.as_of_date
    from spell_runs
    cross join
        lateral generate_series(
            spell_runs.first_as_of_number,
            spell_runs.last_as_of_number
        ) as run_days (as_of_number)
    inner join as_of_days
        on run_days.as_of_number = as_of_days.as_of_number
    where spell_runs.deal_key is not null

),

open_measures as (

    select
        rep_periods.sales_rep_id,
        rep_periods.period_type,
        rep_periods.period_start,
        count(*) as open_deals,
        sum(open_deal_days.amount_reporting) as open_pipeline_reporting
    from open_deal_days
    inner join rep_periods
        on
            open_deal_days.sales_rep_id = rep_periods.sales_rep_id
            and open_deal_days.as_of_date = rep_periods.as_of_date
    group by rep_periods.sales_rep_id, rep_periods.period_type, rep_periods.period_start

),

-- one row per rep and period (no join back onto rep_periods: each left join below matches at
-- most one row, whatever the planner estimates)
measures as (

    select
        rep_periods.sales_rep_id,
        rep_periods.period_type,
        rep_periods.period_start,
        rep_periods.period_end,
        rep_periods.as_of_date,
        rep_periods.active_from_date,
        rep_periods.active_to_date,
        coalesce(period_measures.deals_created, 0) as deals_created,
        coalesce(period_measures.pipeline_created_reporting, 0) as pipeline_created_reporting,
        coalesce(period_measures.deals_won, 0) as deals_won,
        coalesce(period_measures.deals_lost, 0) as deals_lost,
        coalesce(period_measures.won_amount_reporting, 0) as won_amount_reporting,
        coalesce(period_measures.lost_amount_reporting, 0) as lost_amount_reporting,
        period_measures.average_deal_size_reporting,
        period_measures.median_sales_cycle_days,
        period_measures.average_discount,
        coalesce(open_measures.open_deals, 0) as open_deals,
        coalesce(open_measures.open_pipeline_reporting, 0) as open_pipeline_reporting,
        quota_attainment.quota,
        quota_attainment.booked_to_date
    from rep_periods
    left join period_measures
        on
            rep_periods.sales_rep_id = period_measures.sales_rep_id
            and rep_periods.period_type = period_measures.period_type
            and rep_periods.period_start = period_measures.period_start
    left join open_measures
        on
            rep_periods.sales_rep_id = open_measures.sales_rep_id
            and rep_periods.period_type = open_measures.period_type
            and rep_periods.period_start = open_measures.period_start
    left join quota_attainment
        on
            rep_periods.sales_rep_id = quota_attainment.owner_id
            and rep_periods.period_type = quota_attainment.period_type
            and rep_periods.period_start = quota_attainment.period_start
            and rep_periods.as_of_date = quota_attainment.date_day

),

final as (

    select
        {{ key_from(['sales_rep_id', 'period_type', 'period_start']) }} as rep_period_key,
        sales_rep_id,
        period_type,
        period_start,
        period_end,
        as_of_date,
        deals_created,
        pipeline_created_reporting,
        deals_won,
        deals_lost,
        won_amount_reporting,
        lost_amount_reporting,
        round(
            cast(deals_won as numeric) / nullif(deals_won + deals_lost, 0), 4
        ) as win_rate_by_count,
        round(
            won_amount_reporting / nullif(won_amount_reporting + lost_amount_reporting, 0), 4
        ) as win_rate_by_amount,
        round(average_deal_size_reporting, 2) as average_deal_size_reporting,
        cast(median_sales_cycle_days as numeric) as median_sales_cycle_days,
        round(average_discount, 4) as average_discount,
        open_deals,
        open_pipeline_reporting,
        quota as quota_reporting,
        booked_to_date as booked_to_date_reporting,
        greatest(quota - booked_to_date, 0) as remaining_quota_reporting,
        round(
            open_pipeline_reporting / nullif(greatest(quota - booked_to_date, 0), 0), 4
        ) as pipeline_coverage,
        {{ currency_var('reporting_currency') }} as reporting_currency_code
    from measures
    -- a rep appears in the periods it was active in, and in any with deal activity
    where
        (
            (active_from_date is null or active_from_date <= period_end)
            and (active_to_date is null or active_to_date >= period_start)
        )
        or deals_created > 0
        or deals_won + deals_lost > 0
        or open_deals > 0

)

select * from final
