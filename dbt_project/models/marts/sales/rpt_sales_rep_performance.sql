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

measures as (

    select
        rep_periods.sales_rep_id,
        rep_periods.period_type,
        rep_periods.period_start,
        count(*) filter (
            where rep_deals.created_date between rep_periods.period_start and rep_periods.period_end
        ) as deals_created,
        coalesce(sum(rep_deals.amount_reporting) filter (
            where rep_deals.created_date between rep_periods.period_start and rep_periods.period_end
        ), 0) as pipeline_created_reporting,
        count(*) filter (where rep_deals.is_won and rep_deals.is_decided_in_period) as deals_won,
        count(*) filter (
            where not rep_deals.is_won and rep_deals.is_decided_in_period
        ) as deals_lost,
        coalesce(sum(rep_deals.amount_reporting) filter (
            where rep_deals.is_won and rep_deals.is_decided_in_period
        ), 0) as won_amount_reporting,
        coalesce(sum(rep_deals.amount_reporting) filter (
            where not rep_deals.is_won and rep_deals.is_decided_in_period
        ), 0) as lost_amount_reporting,
        avg(rep_deals.amount_reporting) filter (
            where rep_deals.is_won and rep_deals.is_decided_in_period
        ) as average_deal_size_reporting,
        percentile_cont(0.5) within group (order by rep_deals.sales_cycle_days) filter (
            where rep_deals.is_won and rep_deals.is_decided_in_period
        ) as median_sales_cycle_days,
        avg(rep_deals.discount) filter (
            where rep_deals.is_won and rep_deals.is_decided_in_period
        ) as average_discount,
        count(*) filter (where rep_deals.is_open_at_as_of) as open_deals,
        coalesce(sum(rep_deals.amount_reporting) filter (
            where rep_deals.is_open_at_as_of
        ), 0) as open_pipeline_reporting
    from rep_periods
    left join lateral (
        select
            rep_deals.*,
            coalesce(
                rep_deals.is_closed
                and rep_deals.closed_date between rep_periods.period_start
                and rep_periods.period_end,
                false
            ) as is_decided_in_period,
            case
                when deals_with_history.deal_key is not null
                    then exists (
                            select 1 from open_spells
                            where
                                open_spells.deal_key = rep_deals.deal_key
                                and open_spells.open_from_date <= rep_periods.as_of_date
                                and (
                                    open_spells.open_until_date is null
                                    or open_spells.open_until_date > rep_periods.as_of_date
                                )
                        )
                -- no stage history: open from creation until closed
                else
                    rep_deals.created_date <= rep_periods.as_of_date
                    and not coalesce(
                        rep_deals.is_closed and rep_deals.closed_date <= rep_periods.as_of_date,
                        false
                    )
            end as is_open_at_as_of
        from rep_deals
        left join deals_with_history
            on rep_deals.deal_key = deals_with_history.deal_key
        where rep_deals.sales_rep_id = rep_periods.sales_rep_id
    ) as rep_deals on true
    group by rep_periods.sales_rep_id, rep_periods.period_type, rep_periods.period_start

),

final as (

    select
        {{ key_from([
            'rep_periods.sales_rep_id', 'rep_periods.period_type', 'rep_periods.period_start'
        ]) }} as rep_period_key,
        rep_periods.sales_rep_id,
        rep_periods.period_type,
        rep_periods.period_start,
        rep_periods.period_end,
        rep_periods.as_of_date,
        measures.deals_created,
        measures.pipeline_created_reporting,
        measures.deals_won,
        measures.deals_lost,
        measures.won_amount_reporting,
        measures.lost_amount_reporting,
        round(
            cast(measures.deals_won as numeric)
            / nullif(measures.deals_won + measures.deals_lost, 0),
            4
        ) as win_rate_by_count,
        round(
            measures.won_amount_reporting
            / nullif(measures.won_amount_reporting + measures.lost_amount_reporting, 0),
            4
        ) as win_rate_by_amount,
        round(measures.average_deal_size_reporting, 2) as average_deal_size_reporting,
        cast(measures.median_sales_cycle_days as numeric) as median_sales_cycle_days,
        round(measures.average_discount, 4) as average_discount,
        measures.open_deals,
        measures.open_pipeline_reporting,
        quota_attainment.quota as quota_reporting,
        quota_attainment.booked_to_date as booked_to_date_reporting,
        greatest(quota_attainment.quota - quota_attainment.booked_to_date, 0)
            as remaining_quota_reporting,
        round(
            measures.open_pipeline_reporting
            / nullif(greatest(quota_attainment.quota - quota_attainment.booked_to_date, 0), 0),
            4
        ) as pipeline_coverage,
        {{ currency_var('reporting_currency') }} as reporting_currency_code
    from rep_periods
    inner join measures
        on
            rep_periods.sales_rep_id = measures.sales_rep_id
            and rep_periods.period_type = measures.period_type
            and rep_periods.period_start = measures.period_start
    left join quota_attainment
        on
            rep_periods.sales_rep_id = quota_attainment.owner_id
            and rep_periods.period_type = quota_attainment.period_type
            and rep_periods.period_start = quota_attainment.period_start
            and rep_periods.as_of_date = quota_attainment.date_day
    -- a rep appears in the periods it was active in, and in any with deal activity
    where
        (
            (
                rep_periods.active_from_date is null
                or rep_periods.active_from_date <= rep_periods.period_end
            )
            and (
                rep_periods.active_to_date is null
                or rep_periods.active_to_date >= rep_periods.period_start
            )
        )
        or measures.deals_created > 0
        or measures.deals_won + measures.deals_lost > 0
        or measures.open_deals > 0

)

select * from final
