{{ config(enabled=source_enabled('hubspot')) }}
-- HubSpot deals (deleted ones dropped) in the CRM-neutral deal shape of int_deals_unioned:
-- stage names and closed/won flags from the pipeline stages, and an account.
with

deals as (

    select * from {{ ref('stg_hubspot__deals') }}
    where not is_deleted

),

stages as (

    select * from {{ ref('stg_hubspot__deal_pipeline_stages') }}

),

deal_contacts as (

    select * from {{ ref('stg_hubspot__deal_contacts') }}
    where not is_deleted

),

contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}
    where not is_deleted

),

-- A HubSpot deal carries no company: its account is the company (associatedcompanyid) of
-- its associated contact with the lowest contact id among those that have a company.
deal_account_candidates as (

    select
        deal_contacts.deal_id,
        contacts.company_id,
        row_number() over (
            partition by deal_contacts.deal_id
            order by contacts.contact_id
        ) as candidate_rank
    from deal_contacts
    inner join contacts
        on deal_contacts.contact_id = contacts.contact_id
    where contacts.company_id is not null

),

deal_accounts as (

    select
        deal_id,
        company_id
    from deal_account_candidates
    where candidate_rank = 1

),

final as (

    select
        'hubspot' as crm,
        cast(deals.deal_id as text) as deal_id,
        deals.deal_name,
        cast(deal_accounts.company_id as text) as account_id,
        cast(deals.owner_id as text) as owner_id,
        deals.pipeline_id,
        stages.pipeline_name,
        deals.stage_id,
        stages.stage_name,
        stages.probability as stage_probability,
        deals.created_at,
        deals.close_at,
        coalesce(deals.is_closed, stages.is_closed, false) as is_closed,
        coalesce(
            deals.is_won,
            stages.is_closed and stages.probability = 1,
            false
        ) as is_won,
        deals.amount,
        coalesce(
            deals.currency_code,
            {{ currency_var('hubspot_default_currency') }}
        ) as currency_code,
        -- the portal's list-price deal property (THINLINE_HUBSPOT__DEAL_CUSTOM_PROPERTIES)
        deals.list_amount,
        case
            when deals.list_amount is not null then 'hubspot_list_amount_property'
        end as list_amount_source,
        deals.custom_fields
    from deals
    left join stages
        on
            deals.pipeline_id = stages.pipeline_id
            and deals.stage_id = stages.stage_id
    left join deal_accounts
        on deals.deal_id = deal_accounts.deal_id

)

select * from final
