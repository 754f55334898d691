{{ config(materialized='table') }}

-- Booked per owner and day: won deals (fct_deals.is_won, as fct_deals stands now) by close
-- date, amount_reporting summed, for the deal's rep and the rep's team. A deal re-opened after
-- being won is not won any more and counts nowhere; deals of owners missing from
-- dim_sales_reps, and won deals without a close date, count for nobody.
with

deals as (

    select * from {{ ref('fct_deals') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_reps') }}

),

won_deals as (

    select
        deals.sales_rep_id,
        sales_reps.team_key,
        deals.close_date,
        deals.amount_reporting
    from deals
    inner join sales_reps
        on deals.sales_rep_id = sales_reps.sales_rep_id
    where deals.is_won and deals.close_date is not null

),

final as (

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

)

select * from final
