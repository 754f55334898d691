{{ config(materialized='table') }}

-- One row per deal and stage entry, every CRM: the CRM's own history (Salesforce
-- OpportunityHistory; HubSpot's latest entry per stage) plus the entries only the deal
-- snapshot saw (a re-entry HubSpot overwrote, or a CRM without any history), each mapped to
-- the standard funnel and sequenced: exit = the next entry, regressions and re-openings
-- flagged. Deleted deals are dropped. A table: fct_deals and fct_deal_stage_history both read
-- it, and their joins need its statistics (as a view it was parsed twice from the raw JSON).
with

deals as (

    select * from {{ ref('int_deals_unioned') }}

),

source_entries as (

    {{ union_sources(
        {
            'hubspot': 'int_hubspot_deal_stage_entries',
            'salesforce': 'int_salesforce_deal_stage_entries',
        },
        {
            'crm': 'text',
            'deal_id': 'text',
            'pipeline_id': 'text',
            'stage_id': 'text',
            'entered_at': 'timestamptz',
            'entry_source': 'text',
        },
    ) }}

),

snapshot_versions as (

    select
        deal_key,
        crm,
        deal_id,
        pipeline_id,
        stage_id,
        cast(dbt_valid_from as timestamptz) as observed_at,
        cast(lag(dbt_valid_from) over (
            partition by deal_key order by dbt_valid_from
        ) as timestamptz) as previous_observed_at
    from {{ ref('snp_deal_stages') }}

),

stage_mapping as (

    select * from {{ ref('deal_stage_mapping') }}

),

keyed_source_entries as (

    select
        {{ key_from(['crm', 'deal_id']) }} as deal_key,
        crm,
        deal_id,
        pipeline_id,
        stage_id,
        entered_at,
        entry_source
    from source_entries
    where entered_at is not null

),

-- A snapshot version is already known when the CRM's history has an entry into the same
-- stage between the previous version and this one; otherwise it is a stage entry only the
-- snapshot saw, entered (at the latest) when the build observed it.
covered_versions as (

    select distinct
        snapshot_versions.deal_key,
        snapshot_versions.observed_at
    from snapshot_versions
    inner join keyed_source_entries
        on
            snapshot_versions.deal_key = keyed_source_entries.deal_key
            and snapshot_versions.stage_id = keyed_source_entries.stage_id
            and snapshot_versions.observed_at >= keyed_source_entries.entered_at
            and (
                snapshot_versions.previous_observed_at is null
                or snapshot_versions.previous_observed_at < keyed_source_entries.entered_at
            )

),

snapshot_entries as (

    select
        snapshot_versions.deal_key,
        snapshot_versions.crm,
        snapshot_versions.deal_id,
        snapshot_versions.pipeline_id,
        snapshot_versions.stage_id,
        snapshot_versions.observed_at as entered_at,
        'snapshot' as entry_source
    from snapshot_versions
    left join covered_versions
        on
            snapshot_versions.deal_key = covered_versions.deal_key
            and snapshot_versions.observed_at = covered_versions.observed_at
    where covered_versions.deal_key is null

),

entries as (

    select * from keyed_source_entries
    union all
    select * from snapshot_entries

),

mapped as (

    select
        entries.deal_key,
        entries.crm,
        entries.deal_id,
        entries.pipeline_id,
        entries.stage_id,
        coalesce(stage_mapping.standard_stage, 'unmapped') as standard_stage,
        stage_mapping.standard_stage_order,
        coalesce(stage_mapping.is_closed, false) as is_closed_stage,
        coalesce(stage_mapping.is_won, false) as is_won_stage,
        entries.entered_at,
        entries.entry_source
    from entries
    -- deleted deals are not in int_deals_unioned
    inner join deals
        on entries.deal_key = deals.deal_key
    left join stage_mapping
        on
            entries.crm = stage_mapping.crm
            and entries.pipeline_id is not distinct from stage_mapping.pipeline_id
            and entries.stage_id = stage_mapping.stage_id

),

sequenced as (

    select
        *,
        row_number() over deal_entries as stage_entry_number,
        lead(entered_at) over deal_entries as exited_at,
        lag(standard_stage_order) over deal_entries as previous_stage_order,
        lag(is_closed_stage) over deal_entries as is_previous_stage_closed
    from mapped
    window deal_entries as (
        partition by deal_key
        order by entered_at, standard_stage_order, stage_id
    )

),

final as (

    select
        {{ key_from(['deal_key', 'stage_entry_number']) }} as deal_stage_entry_key,
        deal_key,
        crm,
        deal_id,
        stage_entry_number,
        pipeline_id,
        stage_id,
        standard_stage,
        standard_stage_order,
        is_closed_stage,
        is_won_stage,
        entered_at,
        exited_at,
        round(cast(extract(epoch from exited_at - entered_at) as numeric) / 86400, 4)
            as days_in_stage,
        exited_at is null as is_current_stage,
        -- a move back down the standard funnel (a closed deal re-opened included)
        coalesce(standard_stage_order < previous_stage_order, false) as is_regression,
        coalesce(is_previous_stage_closed and not is_closed_stage, false) as is_reopening,
        entry_source
    from sequenced

)

select * from final
