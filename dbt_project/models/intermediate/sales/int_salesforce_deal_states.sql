{{ config(enabled=source_enabled('salesforce')) }}
-- Salesforce opportunity states: one row per opportunity and moment its state (stage, amount,
-- close date, owner, forecast category) changed, each row carrying every value as of that
-- moment. OpportunityHistory logs every change of stage, amount, probability or close date
-- with the values after it (a forecast category set by hand rides on such an edit);
-- OpportunityFieldHistory logs owner changes (Field Owner; of its two rows per change, the
-- one with DataType EntityId holds the User ids, the Text one the names). A moment takes the
-- latest OpportunityHistory row at or before it (the first one after it if none is before:
-- history older than the field history's retention), and the owner from the last owner
-- change at or before it, else the first change's old owner, else today's owner.
with

histories as (

    select * from {{ ref('stg_salesforce__opportunity_histories') }}
    where not is_deleted

),

field_histories as (

    select * from {{ ref('stg_salesforce__opportunity_field_histories') }}
    where not is_deleted

),

opportunities as (

    select * from {{ ref('int_salesforce_deals_prepared') }}

),

owner_changes as (

    select
        opportunity_id,
        opportunity_field_history_id,
        created_at,
        old_value as old_owner_id,
        new_value as new_owner_id
    from field_histories
    where
        field_name = 'Owner'
        and data_type = 'EntityId'
        and created_at is not null

),

-- every change, OpportunityHistory rows first at a shared moment
changes as (

    select
        histories.opportunity_id,
        histories.created_at as changed_at,
        0 as change_order,
        histories.opportunity_history_id as change_id,
        true as is_history,
        histories.stage_name,
        histories.amount,
        histories.close_date,
        histories.forecast_category,
        cast(null as text) as new_owner_id
    from histories
    where histories.created_at is not null

    union all

    select
        owner_changes.opportunity_id,
        owner_changes.created_at as changed_at,
        1 as change_order,
        owner_changes.opportunity_field_history_id as change_id,
        false as is_history,
        cast(null as text) as stage_name,
        cast(null as numeric) as amount,
        cast(null as date) as close_date,
        cast(null as text) as forecast_category,
        owner_changes.new_owner_id
    from owner_changes

),

-- each change's run: how many history rows and owner changes came up to and including it
counted as (

    select
        changes.*,
        count(case when changes.is_history then 1 end) over (
            partition by changes.opportunity_id
            order by changes.changed_at, changes.change_order, changes.change_id
            rows between unbounded preceding and current row
        ) as history_run,
        count(case when not changes.is_history then 1 end) over (
            partition by changes.opportunity_id
            order by changes.changed_at, changes.change_order, changes.change_id
            rows between unbounded preceding and current row
        ) as owner_run,
        row_number() over (
            partition by changes.opportunity_id, changes.changed_at
            order by changes.change_order desc, changes.change_id desc
        ) as moment_rank
    from changes

),

-- a run starts with its change: its first row holds the values in force over the run
filled as (

    select
        opportunity_id,
        changed_at,
        moment_rank,
        history_run,
        owner_run,
        first_value(stage_name) over history_runs as stage_name,
        first_value(amount) over history_runs as amount,
        first_value(close_date) over history_runs as close_date,
        first_value(forecast_category) over history_runs as forecast_category,
        first_value(new_owner_id) over owner_runs as run_owner_id
    from counted
    window
        history_runs as (
            partition by opportunity_id, history_run
            order by changed_at, change_order, change_id
        ),
        owner_runs as (
            partition by opportunity_id, owner_run
            order by changed_at, change_order, change_id
        )

),

first_histories as (

    select distinct on (opportunity_id)
        opportunity_id,
        stage_name,
        amount,
        close_date,
        forecast_category
    from histories
    where created_at is not null
    order by opportunity_id asc, created_at asc, opportunity_history_id asc

),

first_owner_changes as (

    select distinct on (opportunity_id)
        opportunity_id,
        old_owner_id
    from owner_changes
    order by opportunity_id asc, created_at asc, opportunity_field_history_id asc

),

final as (

    select
        'salesforce' as crm,
        filled.opportunity_id as deal_id,
        filled.changed_at as valid_from,
        cast(null as text) as pipeline_id,
        case
            when filled.history_run > 0 then filled.stage_name
            else first_histories.stage_name
        end as stage_id,
        case
            when filled.history_run > 0 then filled.amount else first_histories.amount
        end as amount,
        opportunities.currency_code,
        case
            when filled.history_run > 0 then filled.close_date
            else first_histories.close_date
        end as close_date,
        case
            when filled.owner_run > 0 then filled.run_owner_id
            else coalesce(first_owner_changes.old_owner_id, opportunities.owner_id)
        end as owner_id,
        case
            when filled.history_run > 0 then filled.forecast_category
            else first_histories.forecast_category
        end as forecast_category
    from filled
    inner join opportunities
        on filled.opportunity_id = opportunities.deal_id
    left join first_histories
        on filled.opportunity_id = first_histories.opportunity_id
    left join first_owner_changes
        on filled.opportunity_id = first_owner_changes.opportunity_id
    -- one row per moment: the last change at it, which sees every change up to it
    where filled.moment_rank = 1

)

select * from final
