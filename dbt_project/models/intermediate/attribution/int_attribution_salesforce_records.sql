{{ config(enabled=source_enabled('salesforce')) }}
/*
    Salesforce Leads and Contacts as identity records. A converted lead is identified by its
    converted contact's email (ConvertedContactId), so the lead and the contact are one person
    even if the address changed. Deleted records are kept but do not count. The org has no
    MQL stage: a lead's conversion (the converted contact's creation) is its SQL moment.
*/
with

leads as (

    select * from {{ ref('stg_salesforce__leads') }}

),

contacts as (

    select * from {{ ref('stg_salesforce__contacts') }}

),

lead_records as (

    select
        'salesforce:' || leads.lead_id as record_key,
        'salesforce' as crm,
        'lead' as record_type,
        leads.lead_id as record_id,
        leads.email,
        coalesce(converted.email, leads.email) as identity_email,
        'salesforce:' || coalesce(leads.converted_contact_id, leads.lead_id) as fallback_key,
        false as is_merged,
        leads.is_deleted,
        not leads.is_deleted as is_counted,
        leads.created_at,
        leads.created_at as lead_at,
        cast(null as timestamptz) as mql_at,
        case
            when leads.is_converted
                then coalesce(
                        converted.created_at,
                        cast(leads.converted_date as timestamp) at time zone 'UTC'
                    )
        end as sql_at,
        cast(null as timestamptz) as opportunity_at,
        cast(null as timestamptz) as customer_at,
        cast(null as timestamptz) as first_sales_activity_at,
        leads.lead_status as lifecycle_stage,
        leads.custom_fields
    from leads
    left join contacts as converted
        on leads.converted_contact_id = converted.contact_id

),

contact_records as (

    select
        'salesforce:' || contact_id as record_key,
        'salesforce' as crm,
        'contact' as record_type,
        contact_id as record_id,
        email,
        email as identity_email,
        'salesforce:' || contact_id as fallback_key,
        false as is_merged,
        is_deleted,
        not is_deleted as is_counted,
        created_at,
        created_at as lead_at,
        cast(null as timestamptz) as mql_at,
        cast(null as timestamptz) as sql_at,
        cast(null as timestamptz) as opportunity_at,
        cast(null as timestamptz) as customer_at,
        cast(null as timestamptz) as first_sales_activity_at,
        'contact' as lifecycle_stage,
        custom_fields
    from contacts

),

final as (

    select * from lead_records
    union all
    select * from contact_records

)

select * from final
