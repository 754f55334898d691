{{ config(enabled=source_enabled('hubspot')) }}
-- HubSpot stage entries. From the deal's dealstage property history where it was read: every
-- change, so re-entries, regressions and re-openings are all there (the stage set again to the
-- value it already had, e.g. by an import, is not a new entry). A deal without history rows
-- falls back to its hs_v2_date_entered_<stage> properties, which keep only the LATEST entry
-- per stage (the deal snapshot adds re-entries it observes, see int_deal_stage_history).
-- Deleted deals are dropped here or, for history, by int_deal_stage_history's deal join.
with

history as (

    select * from {{ ref('stg_hubspot__deal_stage_history') }}
    where
        not is_deleted
        and stage_id is not null
        and changed_at is not null

),

stage_dates as (

    select * from {{ ref('stg_hubspot__deal_stage_dates') }}
    where not is_deleted

),

stages as (

    select * from {{ ref('stg_hubspot__deal_pipeline_stages') }}

),

stage_changes as (

    select
        deal_id,
        stage_id,
        changed_at,
        lag(stage_id) over (partition by deal_id order by changed_at, stage_id)
            as previous_stage_id
    from history

),

history_entries as (

    select
        deal_id,
        stage_id,
        changed_at as entered_at,
        'hubspot_property_history' as entry_source
    from stage_changes
    where previous_stage_id is distinct from stage_id

),

deals_with_history as (

    select distinct deal_id from history

),

dated_entries as (

    select
        stage_dates.deal_id,
        stage_dates.stage_id,
        stage_dates.entered_at,
        'hubspot_stage_dates' as entry_source
    from stage_dates
    left join deals_with_history
        on stage_dates.deal_id = deals_with_history.deal_id
    where deals_with_history.deal_id is null

),

entries as (

    select * from history_entries
    union all
    select * from dated_entries

),

final as (

    select
        'hubspot' as crm,
        cast(entries.deal_id as text) as deal_id,
        -- stage ids are unique within a portal: the stage names its pipeline
        stages.pipeline_id,
        entries.stage_id,
        entries.entered_at,
        entries.entry_source
    from entries
    left join stages
        on entries.stage_id = stages.stage_id

)

select * from final
