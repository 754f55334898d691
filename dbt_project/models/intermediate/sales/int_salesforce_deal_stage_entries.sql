{{ config(enabled=source_enabled('salesforce')) }}
-- Salesforce stage entries from OpportunityHistory: a history row is written on every change
-- of stage, amount, probability or close date; a stage entry is a row whose StageName
-- differs from the opportunity's previous row (the first row is the stage it was created in).
with

histories as (

    select * from {{ ref('stg_salesforce__opportunity_histories') }}
    where not is_deleted

),

opportunities as (

    select * from {{ ref('stg_salesforce__opportunities') }}
    where not is_deleted

),

sequenced as (

    select
        histories.opportunity_id,
        histories.stage_name,
        histories.created_at,
        lag(histories.stage_name) over (
            partition by histories.opportunity_id
            order by histories.created_at, histories.opportunity_history_id
        ) as previous_stage_name
    from histories
    inner join opportunities
        on histories.opportunity_id = opportunities.opportunity_id

),

final as (

    select
        'salesforce' as crm,
        opportunity_id as deal_id,
        cast(null as text) as pipeline_id,
        stage_name as stage_id,
        created_at as entered_at,
        'salesforce_opportunity_history' as entry_source
    from sequenced
    where previous_stage_name is null or previous_stage_name != stage_name

)

select * from final
