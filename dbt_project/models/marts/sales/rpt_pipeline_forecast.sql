-- The CRM's own forecast as of the build date (models/marts/sales/README_forecast.md): per
-- rep, team and the company, for the current and the next fiscal quarter, what is booked and
-- what the open deals closing in the quarter add by forecast category, in reporting currency,
-- beside the statistical forecast for the current quarter (int_forecast_predictions).
{%- set build_date = as_of_date() %}
with

snapshots as (

    select * from {{ ref('int_forecast_deal_snapshots') }}
    where as_of_date = {{ build_date }}

),

predictions as (

    select * from {{ ref('int_forecast_predictions') }}
    where as_of_date = {{ build_date }}

),

sales_reps as (

    select * from {{ ref('dim_sales_reps') }}

),

periods as (

    select
        'current' as period_name,
        {{ fiscal_quarter_start_date(build_date) }} as period_start
    union all
    select
        'next' as period_name,
        cast(
            {{ fiscal_quarter_start_date(build_date) }} + interval '3 months' as date
        ) as period_start

),

quarters as (

    select
        period_name,
        period_start,
        cast(period_start + interval '3 months' - interval '1 day' as date) as period_end
    from periods

),

owners as (

    select
        'rep' as owner_type,
        sales_rep_id as owner_id,
        rep_name as owner_name,
        team_key
    from sales_reps
    union all
    select distinct
        'team' as owner_type,
        team_key as owner_id,
        team_name as owner_name,
        team_key
    from sales_reps
    where team_key is not null
    union all
    select
        'company' as owner_type,
        'company' as owner_id,
        'Company' as owner_name,
        null as team_key

),

deal_quarters as (

    select
        quarters.period_name,
        snapshots.sales_rep_id,
        snapshots.team_key,
        snapshots.deal_status,
        snapshots.forecast_category,
        coalesce(snapshots.amount_reporting, 0) as amount_reporting
    from snapshots
    inner join quarters
        on snapshots.close_date between quarters.period_start and quarters.period_end

),

owner_deals as (

    select
        'rep' as owner_type,
        deal_quarters.sales_rep_id as owner_id,
        deal_quarters.*
    from deal_quarters
    where deal_quarters.sales_rep_id is not null
    union all
    select
        'team' as owner_type,
        deal_quarters.team_key as owner_id,
        deal_quarters.*
    from deal_quarters
    where deal_quarters.team_key is not null
    union all
    select
        'company' as owner_type,
        'company' as owner_id,
        deal_quarters.*
    from deal_quarters

),

owner_sums as (

    select
        owner_type,
        owner_id,
        period_name,
        sum(case when deal_status = 'booked' then amount_reporting else 0 end) as booked_amount,
        sum(
            case
                when deal_status = 'open' and forecast_category = 'commit' then amount_reporting
                else 0
            end
        ) as commit_amount,
        sum(
            case
                when deal_status = 'open' and forecast_category in ('commit', 'best_case')
                    then amount_reporting
                else 0
            end
        ) as best_case_amount,
        sum(case when deal_status = 'open' then amount_reporting else 0 end) as pipeline_amount,
        sum(case when deal_status = 'open' then 1 else 0 end) as open_deals
    from owner_deals
    group by owner_type, owner_id, period_name

),

final as (

    select
        {{ key_from(['owners.owner_type', 'owners.owner_id', 'quarters.period_start']) }}
            as pipeline_forecast_key,
        {{ build_date }} as as_of_date,
        owners.owner_type,
        owners.owner_id,
        owners.owner_name,
        owners.team_key,
        quarters.period_name,
        'quarter' as period_type,
        quarters.period_start,
        quarters.period_end,
        cast(coalesce(owner_sums.booked_amount, 0) as numeric(38, 2)) as booked_amount,
        cast(coalesce(owner_sums.commit_amount, 0) as numeric(38, 2)) as commit_amount,
        cast(coalesce(owner_sums.best_case_amount, 0) as numeric(38, 2)) as best_case_amount,
        cast(coalesce(owner_sums.pipeline_amount, 0) as numeric(38, 2)) as pipeline_amount,
        coalesce(owner_sums.open_deals, 0) as open_deals,
        cast(
            coalesce(owner_sums.booked_amount, 0) + coalesce(owner_sums.commit_amount, 0)
            as numeric(38, 2)
        ) as commit_forecast,
        cast(
            coalesce(owner_sums.booked_amount, 0) + coalesce(owner_sums.best_case_amount, 0)
            as numeric(38, 2)
        ) as best_case_forecast,
        -- the statistical forecast is for the quarter containing the build date only; an
        -- owner with nothing booked or open has 0
        {%- for column in [
            'statistical_forecast', 'statistical_forecast_lower', 'statistical_forecast_upper'
        ] %}
            case
                when quarters.period_name = 'current'
                    then cast(coalesce(
                            predictions.{{ column }},
                            case when predictions.owner_id is null then 0 end
                        ) as numeric(38, 2))
            end as {{ column }},
        {%- endfor %}
        {{ currency_var('reporting_currency') }} as reporting_currency_code
    from owners
    cross join quarters
    left join owner_sums
        on
            owners.owner_type = owner_sums.owner_type
            and owners.owner_id = owner_sums.owner_id
            and quarters.period_name = owner_sums.period_name
    left join predictions
        on
            owners.owner_type = predictions.owner_type
            and owners.owner_id = predictions.owner_id
            and quarters.period_start = predictions.period_start

)

select * from final
