{{ config(enabled=source_enabled('hubspot')) }}
-- HubSpot stage entries from the deal's hs_v2_date_entered_<stage> properties. HubSpot keeps
-- only the LATEST entry per stage there: a deal that re-entered a stage shows that stage
-- once, at its last entry (the deal snapshot adds re-entries it observes, see
-- int_deal_stage_history). Deleted deals are dropped.
with

stage_dates as (

    select * from {{ ref('stg_hubspot__deal_stage_history') }}
    where not is_deleted

),

stages as (

    select * from {{ ref('stg_hubspot__deal_pipeline_stages') }}

),

final as (

    select
        'hubspot' as crm,
        cast(stage_dates.deal_id as text) as deal_id,
        -- stage ids are unique within a portal: the stage names its pipeline
        stages.pipeline_id,
        stage_dates.stage_id,
        stage_dates.entered_at,
        'hubspot_stage_dates' as entry_source
    from stage_dates
    left join stages
        on stage_dates.stage_id = stages.stage_id

)

select * from final
