with

accounts as (

    {{ union_sources(
        {
            'hubspot': 'int_hubspot_accounts_prepared',
            'salesforce': 'int_salesforce_accounts_prepared',
        },
        {
            'crm': 'text',
            'account_id': 'text',
            'account_name': 'text',
            'website_domain': 'text',
            'industry': 'text',
            'country': 'text',
            'employee_count': 'bigint',
            'annual_revenue': 'numeric',
            'owner_id': 'text',
            'created_at': 'timestamptz',
            'is_deleted': 'boolean',
            'custom_fields': 'jsonb',
        },
    ) }}

),

final as (

    select
        {{ key_from(['crm', 'account_id']) }} as account_key,
        crm,
        account_id,
        account_name,
        website_domain,
        industry,
        country,
        employee_count,
        case
            when employee_count is null then null
            when employee_count < 50 then '1-49'
            when employee_count < 200 then '50-199'
            when employee_count < 1000 then '200-999'
            else '1000+'
        end as company_size,
        annual_revenue,
        case when owner_id is not null then {{ key_from(['crm', 'owner_id']) }} end
            as account_owner_sales_rep_id,
        created_at,
        is_deleted,
        -- the CRM fields named in var custom_fields (macros/custom_fields.sql)
        custom_fields
    from accounts

)

select * from final
