{{ config(enabled=source_enabled('hubspot')) }}
/*
    HubSpot leads for speed to lead (fct_lead_response): every contact that became a marketing
    qualified lead, arriving at its MQL moment (hs_lifecyclestage_marketingqualifiedlead_date),
    owned by its contact owner (hubspot_owner_id). Its activities are the engagements
    associated with the contact.
*/
with

contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

final as (

    select
        'hubspot' as crm,
        cast(contact_id as {{ dbt.type_string() }}) as lead_id,
        {{ dbt.concat(["'hubspot:'", "cast(contact_id as " ~ dbt.type_string() ~ ")"]) }}
            as lead_record_key,
        cast(null as {{ dbt.type_string() }}) as converted_record_key,
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,
        became_marketing_qualified_lead_at as arrived_at,
        is_deleted
    from contacts
    where became_marketing_qualified_lead_at is not null

)

select * from final
