{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook=[
        "{{ incremental_restart(beside=['__deals']) }}",
        "{{ pipeline_daily_delete_changed() }}",
    ],
    post_hook=[
        "{{ pipeline_daily_save_deals() }}",
        "{{ incremental_save_state({'days': this}, column='date_day') }}",
    ],
) }}
/*
    Every deal open at the end of each day (UTC), from its first state to the build's as-of
    date, with that day's state: the state in effect at the end of the day is the last one to
    begin on or before it, so a state that began and ended within one day has no row.

    Incremental (models/marts/sales/README.md, "Pipeline over time"; macros/pipeline_daily.sql):
    a night derives again, whole, the deals whose states changed since the last build (their
    old rows are deleted by the pre-hook) and adds, for every other deal, the days after the
    last day the table holds (`loaded_through.days` of its state). A day's row depends only on
    the deal's states and the day, so the result equals a full build.
*/
{%- set state = incremental_state(beside=['__deals']) %}
{%- set through = state['loaded_through'].get('days') if state is not none else none %}
with

states as (

    select * from {{ ref('int_deal_states') }}

),

{% if state is not none %}
    changed_deals as (

        {{ pipeline_changed_deals() }}

    ),
{% endif %}

open_states as (

    select
        states.*,
        {{ to_utc_date('states.valid_from') }} as valid_from_date,
        -- the last day whose end the state sees: the day before the next state's, or today
        least(
            coalesce({{ to_utc_date('states.valid_to') }} - 1, {{ as_of_date() }}),
            {{ as_of_date() }}
        ) as last_day,
        {%- if state is none or through is none %}
            {{ to_utc_date('states.valid_from') }} as first_day
        {%- else %}
            -- an unchanged deal only gains the days after the last build's
            case
                when changed_deals.deal_key is not null then {{ to_utc_date('states.valid_from') }}
                else greatest(
                    {{ to_utc_date('states.valid_from') }}, cast('{{ through }}' as date) + 1
                )
            end as first_day
        {%- endif %}
    from states
    {%- if state is not none %}
        left join changed_deals
            on states.deal_key = changed_deals.deal_key
    {%- endif %}
    where not states.is_closed

),

-- the range join of days against state intervals: each state yields its own days, so the
-- cost is the rows returned
state_days as (

    select
        open_states.*,
        open_states.first_day + day_offsets.day_offset as date_day
    from open_states
    cross join
        lateral generate_series(
            0, open_states.last_day - open_states.first_day
        ) as day_offsets (day_offset)
    where open_states.last_day >= open_states.first_day

),

final as (

    select
        deal_key,
        date_day,
        crm,
        deal_id,
        state_number,
        pipeline_id,
        stage_id,
        standard_stage,
        standard_stage_order,
        amount,
        currency_code,
        close_date,
        owner_id,
        sales_rep_id,
        forecast_category,
        crm_forecast_category,
        {{ to_utc_date('created_at') }} as created_date,
        {{ to_utc_date('stage_entered_at') }} as stage_entered_date,
        date_day - {{ to_utc_date('stage_entered_at') }} as days_in_stage,
        {{ dbt.current_timestamp() }} as _derived_at
    from state_days

)

select * from final
