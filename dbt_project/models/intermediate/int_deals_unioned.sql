-- Deals of every CRM in one shape (HubSpot today; Salesforce adds a union branch here),
-- with their key.
with

hubspot_deals as (

    select * from {{ ref('int_hubspot_deals_prepared') }}

),

unioned as (

    select
        crm,
        deal_id,
        deal_name,
        account_id,
        owner_id,
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
        list_amount
    from hubspot_deals

),

final as (

    select
        {{ key_from(['crm', 'deal_id']) }} as deal_key,
        crm,
        deal_id,
        deal_name,
        account_id,
        owner_id,
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
        list_amount
    from unioned

)

select * from final
