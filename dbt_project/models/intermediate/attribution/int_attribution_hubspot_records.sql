{{ config(enabled=source_enabled('hubspot')) }}
/*
    HubSpot contacts as identity records: the email that identifies the person (the surviving
    contact's, for a contact merged into another: hs_merged_object_ids) and the lifecycle
    timestamps the conversions are read from. A record counts when it is live or merged into a
    live contact; other deleted contacts (spam, tests) are kept but do not count.
*/
with

contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

-- not in staging yet: HubSpot's sales-activity property, read from the raw record
sales_activity as (

    select
        contact_id,
        {{ string_to_timestamp("record -> 'properties' ->> 'hs_sa_first_engagement_date'") }}
            as first_sales_activity_at
    from {{ source('hubspot', 'contacts') }}

),

merged_ids as (

    select
        contact_id as survivor_contact_id,
        btrim(unnest(string_to_array(merged_contact_ids, ';'))) as merged_contact_id
    from contacts
    where not is_deleted and merged_contact_ids is not null

),

merge_links as (

    select
        survivor_contact_id,
        cast(merged_contact_id as bigint) as merged_contact_id
    from merged_ids
    where merged_contact_id ~ '^[0-9]+$'

),

final as (

    select
        'hubspot:' || contacts.contact_id as record_key,
        'hubspot' as crm,
        'contact' as record_type,
        cast(contacts.contact_id as text) as record_id,
        contacts.email,
        coalesce(survivors.email, contacts.email) as identity_email,
        'hubspot:' || coalesce(merge_links.survivor_contact_id, contacts.contact_id)
            as fallback_key,
        (merge_links.survivor_contact_id is not null) as is_merged,
        contacts.is_deleted,
        (not contacts.is_deleted or merge_links.survivor_contact_id is not null) as is_counted,
        contacts.created_at,
        -- a contact is a lead from its first lifecycle stage at or after lead
        least(
            contacts.became_lead_at,
            contacts.became_marketing_qualified_lead_at,
            contacts.became_sales_qualified_lead_at,
            contacts.became_opportunity_at,
            contacts.became_customer_at
        ) as lead_at,
        contacts.became_marketing_qualified_lead_at as mql_at,
        contacts.became_sales_qualified_lead_at as sql_at,
        contacts.became_opportunity_at as opportunity_at,
        contacts.became_customer_at as customer_at,
        sales_activity.first_sales_activity_at,
        contacts.lifecycle_stage,
        contacts.custom_fields
    from contacts
    left join merge_links
        on contacts.contact_id = merge_links.merged_contact_id
    left join contacts as survivors
        on merge_links.survivor_contact_id = survivors.contact_id
    left join sales_activity
        on contacts.contact_id = sales_activity.contact_id

)

select * from final
