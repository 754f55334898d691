{{ config(materialized='table') }}

-- One row per deal and state: the deal's stage, amount, close date, owner and forecast
-- category from valid_from until the next change (valid_to; null while current), every CRM,
-- rebuilt from the CRMs' own histories. Deleted deals are dropped. Forecast categories in one
-- vocabulary: pipeline, best_case, commit, closed, omitted.
with

deals as (

    select * from {{ ref('int_deals_unioned') }}

),

stage_mapping as (

    select * from {{ ref('deal_stage_mapping') }}

),

source_states as (

    {{ union_sources(
        {
            'hubspot': 'int_hubspot_deal_states',
            'salesforce': 'int_salesforce_deal_states',
        },
        {
            'crm': 'text',
            'deal_id': 'text',
            'valid_from': 'timestamptz',
            'pipeline_id': 'text',
            'stage_id': 'text',
            'amount': 'numeric',
            'currency_code': 'text',
            'close_date': 'date',
            'owner_id': 'text',
            'forecast_category': 'text',
        },
    ) }}

),

keyed as (

    select
        {{ key_from(['source_states.crm', 'source_states.deal_id']) }} as deal_key,
        source_states.*
    from source_states
    where source_states.valid_from is not null

),

mapped as (

    select
        keyed.deal_key,
        keyed.crm,
        keyed.deal_id,
        keyed.valid_from,
        keyed.pipeline_id,
        keyed.stage_id,
        coalesce(stage_mapping.standard_stage, 'unmapped') as standard_stage,
        stage_mapping.standard_stage_order,
        coalesce(stage_mapping.is_closed, false) as is_closed,
        coalesce(stage_mapping.is_won, false) as is_won,
        keyed.amount,
        keyed.currency_code,
        keyed.close_date,
        keyed.owner_id,
        case
            when keyed.owner_id is not null then {{ key_from(['keyed.crm', 'keyed.owner_id']) }}
        end as sales_rep_id,
        keyed.forecast_category as crm_forecast_category,
        deals.created_at
    from keyed
    -- deleted deals are not in int_deals_unioned
    inner join deals
        on keyed.deal_key = deals.deal_key
    left join stage_mapping
        on
            keyed.crm = stage_mapping.crm
            and keyed.pipeline_id is not distinct from stage_mapping.pipeline_id
            and keyed.stage_id = stage_mapping.stage_id

),

-- runs of consecutive states in one stage: a new run starts where pipeline or stage changes
previous_states as (

    select
        *,
        lag(valid_from) over deal_states as previous_valid_from,
        lag(pipeline_id) over deal_states as previous_pipeline_id,
        lag(stage_id) over deal_states as previous_stage_id
    from mapped
    window deal_states as (partition by deal_key order by valid_from)

),

stage_changes as (

    select
        *,
        case
            when previous_valid_from is null then 1
            -- no stage or pipeline id is empty: '' stands for null (Salesforce has no pipeline)
            when coalesce(previous_pipeline_id, '') != coalesce(pipeline_id, '') then 1
            when coalesce(previous_stage_id, '') != coalesce(stage_id, '') then 1
            else 0
        end as starts_stage_run
    from previous_states

),

stage_runs as (

    select
        *,
        sum(starts_stage_run) over (
            partition by deal_key
            order by valid_from
            rows between unbounded preceding and current row
        ) as stage_run
    from stage_changes

),

final as (

    select
        deal_key,
        crm,
        deal_id,
        row_number() over deal_states as state_number,
        valid_from,
        lead(valid_from) over deal_states as valid_to,
        pipeline_id,
        stage_id,
        standard_stage,
        standard_stage_order,
        is_closed,
        is_won,
        amount,
        currency_code,
        close_date,
        owner_id,
        sales_rep_id,
        -- the CRM's category in one vocabulary; a CRM without one: closed or pipeline
        case
            when is_closed and is_won then 'closed'
            when is_closed then 'omitted'
            when lower(crm_forecast_category) in ('omitted', 'omit') then 'omitted'
            when lower(crm_forecast_category) in ('pipeline') then 'pipeline'
            when lower(crm_forecast_category) in ('bestcase', 'best_case', 'best case')
                then 'best_case'
            when lower(crm_forecast_category) in ('forecast', 'commit') then 'commit'
            when lower(crm_forecast_category) = 'closed' then 'closed'
            else 'pipeline'
        end as forecast_category,
        crm_forecast_category,
        created_at,
        -- when the deal entered this state's stage: the first state of its run of states in
        -- the same pipeline and stage (a change of amount or owner does not restart it)
        min(valid_from) over (partition by deal_key, stage_run) as stage_entered_at
    from stage_runs
    window deal_states as (partition by deal_key order by valid_from)

)

select * from final
