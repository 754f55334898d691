{{ config(enabled=source_enabled('hubspot')) }}
-- Contacts associated with HubSpot deals (candidates for the deal's primary contact).
with

associations as (

    select * from {{ ref('stg_hubspot__deal_contacts') }}
    where not is_deleted

),

final as (

    select
        'hubspot:' || deal_id as deal_key,
        'hubspot:' || contact_id as record_key,
        -- HubSpot v4 labels a primary association 'Primary' when the portal uses labels
        coalesce(association_labels @> '["Primary"]', false) as is_primary
    from associations

)

select * from final
