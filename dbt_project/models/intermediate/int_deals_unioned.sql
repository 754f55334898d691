-- Deals of every enabled CRM in one shape, with their key.
with

unioned as (

    {{ union_sources(
        {
            'hubspot': 'int_hubspot_deals_prepared',
            'salesforce': 'int_salesforce_deals_prepared',
        },
        {
            'crm': 'text',
            'deal_id': 'text',
            'deal_name': 'text',
            'account_id': 'text',
            'owner_id': 'text',
            'pipeline_id': 'text',
            'pipeline_name': 'text',
            'stage_id': 'text',
            'stage_name': 'text',
            'stage_probability': 'numeric',
            'created_at': 'timestamptz',
            'close_at': 'timestamptz',
            'is_closed': 'boolean',
            'is_won': 'boolean',
            'amount': 'numeric',
            'currency_code': 'text',
            'list_amount': 'numeric',
            'list_amount_source': 'text',
            'custom_fields': 'jsonb',
        },
    ) }}

),

final as (

    select
        {{ key_from(['crm', 'deal_id']) }} as deal_key,
        crm,
        deal_id,
        deal_name,
        account_id,
        case when account_id is not null then {{ key_from(['crm', 'account_id']) }} end
            as account_key,
        owner_id,
        case when owner_id is not null then {{ key_from(['crm', 'owner_id']) }} end
            as sales_rep_id,
        pipeline_id,
        pipeline_name,
        stage_id,
        stage_name,
        stage_probability,
        created_at,
        close_at,
        is_closed,
        is_won,
        amount,
        currency_code,
        list_amount,
        list_amount_source,
        custom_fields
    from unioned

)

select * from final
