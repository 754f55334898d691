{{ config(enabled=source_enabled('hubspot')) }}
-- HubSpot deal states: one row per deal and moment its state (stage, amount, close date,
-- owner, forecast category) changed, each row carrying every value as of that moment.
-- Rebuilt from the property history of each (stg_hubspot__deal_property_history): a value
-- set again unchanged is no change, and changes at one moment (a stage move and an amount
-- change) are one state. A property without history rows (e.g. a raw row read before its
-- history was requested) takes the deal's current value on every state. A deal without
-- dealstage history falls back to its stage entries (int_hubspot_deal_stage_entries, from the
-- stage dates) with today's amount, close date, owner and forecast category.
with

property_history as (

    select * from {{ ref('stg_hubspot__deal_property_history') }}
    where
        not is_deleted
        and changed_at is not null
        and property_name in (
            'dealstage', 'amount', 'closedate', 'hubspot_owner_id', 'hs_manual_forecast_category'
        )

),

stage_entries as (

    select * from {{ ref('int_hubspot_deal_stage_entries') }}

),

deals as (

    select * from {{ ref('int_hubspot_deals_prepared') }}

),

deal_forecast_categories as (

    select
        cast(deal_id as text) as deal_id,
        forecast_category
    from {{ ref('stg_hubspot__deals') }}
    where not is_deleted

),

-- the deals' values today, for properties without history
current_values as (

    select
        deals.deal_id,
        deals.pipeline_id,
        deals.amount,
        deals.currency_code,
        deals.close_at,
        deals.owner_id,
        deal_forecast_categories.forecast_category
    from deals
    left join deal_forecast_categories
        on deals.deal_id = deal_forecast_categories.deal_id

),

stages as (

    select * from {{ ref('stg_hubspot__deal_pipeline_stages') }}

),

-- one value per property and moment: of entries with the same time, HubSpot's newest
ranked_entries as (

    select
        deal_id,
        property_name,
        changed_at,
        property_value,
        row_number() over (
            partition by deal_id, property_name, changed_at
            order by entry_number
        ) as moment_rank
    from property_history

),

property_changes as (

    select
        deal_id,
        property_name,
        changed_at,
        property_value,
        lag(property_value) over (
            partition by deal_id, property_name
            order by changed_at
        ) as previous_property_value,
        row_number() over (
            partition by deal_id, property_name
            order by changed_at
        ) as change_number
    from ranked_entries
    where moment_rank = 1

),

-- the moments something changed, each property's new value where it changed then
moments as (

    select
        deal_id,
        changed_at,
        bool_or(property_name = 'dealstage') as is_stage_set,
        max(case when property_name = 'dealstage' then property_value end) as stage_id,
        bool_or(property_name = 'amount') as is_amount_set,
        max(case when property_name = 'amount' then property_value end) as amount,
        bool_or(property_name = 'closedate') as is_close_date_set,
        max(case when property_name = 'closedate' then property_value end) as close_date,
        bool_or(property_name = 'hubspot_owner_id') as is_owner_set,
        max(case when property_name = 'hubspot_owner_id' then property_value end) as owner_id,
        bool_or(property_name = 'hs_manual_forecast_category') as is_forecast_category_set,
        max(case when property_name = 'hs_manual_forecast_category' then property_value end)
            as forecast_category
    from property_changes
    where change_number = 1 or property_value is distinct from previous_property_value
    group by deal_id, changed_at

),

-- each property's value carries forward: a group runs from one setting to the next
grouped as (

    select
        deal_id,
        changed_at,
        stage_id,
        amount,
        close_date,
        owner_id,
        forecast_category,
        count(case when is_stage_set then 1 end) over deal_moments as stage_group,
        count(case when is_amount_set then 1 end) over deal_moments as amount_group,
        count(case when is_close_date_set then 1 end) over deal_moments as close_date_group,
        count(case when is_owner_set then 1 end) over deal_moments as owner_group,
        count(case when is_forecast_category_set then 1 end) over deal_moments
            as forecast_category_group
    from moments
    window deal_moments as (partition by deal_id order by changed_at)

),

filled as (

    select
        deal_id,
        changed_at,
        max(stage_id) over (partition by deal_id, stage_group) as stage_id,
        max(amount) over (partition by deal_id, amount_group) as amount,
        max(close_date) over (partition by deal_id, close_date_group) as close_date,
        max(owner_id) over (partition by deal_id, owner_group) as owner_id,
        max(forecast_category) over (partition by deal_id, forecast_category_group)
            as forecast_category
    from grouped

),

tracked_properties as (

    select
        deal_id,
        bool_or(property_name = 'amount') as has_amount_history,
        bool_or(property_name = 'closedate') as has_close_date_history,
        bool_or(property_name = 'hubspot_owner_id') as has_owner_history,
        bool_or(property_name = 'hs_manual_forecast_category') as has_forecast_category_history
    from property_history
    group by deal_id

),

history_states as (

    select
        'hubspot' as crm,
        cast(filled.deal_id as text) as deal_id,
        filled.changed_at as valid_from,
        -- stage ids are unique within a portal: the stage names its pipeline
        coalesce(stages.pipeline_id, current_values.pipeline_id) as pipeline_id,
        filled.stage_id,
        case
            when tracked_properties.has_amount_history
                then {{ string_to_number('filled.amount') }}
            else current_values.amount
        end as amount,
        current_values.currency_code,
        case
            when tracked_properties.has_close_date_history
                then {{ to_utc_date(string_to_timestamp('filled.close_date')) }}
            else {{ to_utc_date('current_values.close_at') }}
        end as close_date,
        case
            when tracked_properties.has_owner_history
                then filled.owner_id
            else current_values.owner_id
        end as owner_id,
        case
            when tracked_properties.has_forecast_category_history
                then filled.forecast_category
            else current_values.forecast_category
        end as forecast_category
    from filled
    inner join tracked_properties
        on filled.deal_id = tracked_properties.deal_id
    inner join current_values
        on cast(filled.deal_id as text) = current_values.deal_id
    left join stages
        on filled.stage_id = stages.stage_id
    -- before the deal's first stage (a value stamped a moment earlier) there is no state yet
    where filled.stage_id is not null

),

fallback_states as (

    select
        'hubspot' as crm,
        stage_entries.deal_id,
        stage_entries.entered_at as valid_from,
        stage_entries.pipeline_id,
        stage_entries.stage_id,
        current_values.amount,
        current_values.currency_code,
        {{ to_utc_date('current_values.close_at') }} as close_date,
        current_values.owner_id,
        current_values.forecast_category
    from stage_entries
    inner join current_values
        on stage_entries.deal_id = current_values.deal_id
    where stage_entries.entry_source = 'hubspot_stage_dates'

),

final as (

    select * from history_states
    union all
    select * from fallback_states

)

select * from final
