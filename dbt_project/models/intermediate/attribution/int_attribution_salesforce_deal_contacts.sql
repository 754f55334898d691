{{ config(enabled=source_enabled('salesforce')) }}
/*
    Contacts of Salesforce opportunities (candidates for the deal's primary contact): the
    opportunity contact roles (IsPrimary marks the primary) and the lead converted into the
    opportunity (ConvertedOpportunityId), for opportunities without roles.
*/
with

roles as (

    select * from {{ ref('stg_salesforce__opportunity_contact_roles') }}
    where not is_deleted

),

leads as (

    select * from {{ ref('stg_salesforce__leads') }}
    where not is_deleted and converted_opportunity_id is not null

),

final as (

    select
        'salesforce:' || opportunity_id as deal_key,
        'salesforce:' || contact_id as record_key,
        coalesce(is_primary, false) as is_primary
    from roles
    where contact_id is not null
    union all
    select
        'salesforce:' || converted_opportunity_id as deal_key,
        'salesforce:' || lead_id as record_key,
        false as is_primary
    from leads

)

select * from final
