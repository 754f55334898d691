{{ config(enabled=source_enabled('hubspot')) }}
-- HubSpot companies in the CRM-neutral account shape of dim_accounts (deleted ones kept:
-- deals may still point at them).
with

companies as (

    select * from {{ ref('stg_hubspot__companies') }}

),

final as (

    select
        'hubspot' as crm,
        cast(company_id as text) as account_id,
        company_name as account_name,
        website_domain,
        industry,
        country,
        cast(round(employee_count) as bigint) as employee_count,
        annual_revenue,
        cast(owner_id as text) as owner_id,
        created_at,
        is_deleted,
        custom_fields
    from companies

)

select * from final
