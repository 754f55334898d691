{{ config(materialized='table') }}
/*
    Identity stitching: every CRM person record (HubSpot contact, Salesforce lead or contact)
    with the person it belongs to. Records sharing the identity email's hash are one person;
    a record without an email is a person of its own (with what it merged or converted into).
    The person's contact_id is the key of its first record by precedence: a live HubSpot
    contact, then a live Salesforce contact, then a live lead, then merged-away and other
    deleted records (earliest created first).
*/
with

records as (

    {{ union_sources(
        {
            'hubspot': 'int_attribution_hubspot_records',
            'salesforce': 'int_attribution_salesforce_records',
        },
        {
            'record_key': 'text',
            'crm': 'text',
            'record_type': 'text',
            'record_id': 'text',
            'email': 'text',
            'identity_email': 'text',
            'fallback_key': 'text',
            'is_merged': 'boolean',
            'is_deleted': 'boolean',
            'is_counted': 'boolean',
            'created_at': 'timestamptz',
            'lead_at': 'timestamptz',
            'mql_at': 'timestamptz',
            'sql_at': 'timestamptz',
            'opportunity_at': 'timestamptz',
            'customer_at': 'timestamptz',
            'first_sales_activity_at': 'timestamptz',
            'lifecycle_stage': 'text',
            'custom_fields': 'jsonb',
        },
    ) }}

),

keyed as (

    select
        *,
        {{ attribution_email_hash('identity_email') }} as email_hash,
        coalesce(
            'email:' || {{ attribution_email_hash('identity_email') }}, fallback_key
        ) as identity_key,
        case
            when is_deleted then 4 + cast(not is_counted as integer)
            when crm = 'hubspot' then 1
            when record_type = 'contact' then 2
            else 3
        end as precedence
    from records

),

final as (

    select
        record_key,
        first_value(record_key) over (
            partition by identity_key
            order by precedence, created_at, record_key
        ) as contact_id,
        identity_key,
        email_hash,
        crm,
        record_type,
        record_id,
        is_merged,
        is_deleted,
        is_counted,
        created_at,
        lead_at,
        mql_at,
        sql_at,
        opportunity_at,
        customer_at,
        first_sales_activity_at,
        lifecycle_stage,
        precedence as record_precedence,
        custom_fields
    from keyed

)

select * from final
