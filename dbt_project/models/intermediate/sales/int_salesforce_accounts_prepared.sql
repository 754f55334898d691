{{ config(enabled=source_enabled('salesforce')) }}
-- Salesforce Accounts in the CRM-neutral account shape of dim_accounts (deleted ones kept:
-- opportunities may still point at them). Salesforce has no annual revenue extracted.
with

accounts as (

    select * from {{ ref('stg_salesforce__accounts') }}

),

final as (

    select
        'salesforce' as crm,
        account_id,
        account_name,
        website_domain,
        industry,
        billing_country as country,
        employee_count,
        cast(null as numeric) as annual_revenue,
        owner_id,
        created_at,
        is_deleted,
        custom_fields
    from accounts

)

select * from final
