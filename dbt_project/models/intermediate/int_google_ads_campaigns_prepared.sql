{{ config(enabled=source_enabled('google_ads')) }}
-- Google Ads campaigns in the platform-neutral shape of dim_campaigns, with their channel.
with

campaigns as (

    select * from {{ ref('stg_google_ads__campaigns') }}

),

customers as (

    select * from {{ ref('stg_google_ads__customers') }}

),

final as (

    select
        'google_ads' as platform,
        cast(campaigns.customer_id as text) as account_id,
        customers.customer_name as account_name,
        cast(campaigns.campaign_id as text) as campaign_id,
        campaigns.campaign_name,
        campaigns.campaign_status as status,
        campaigns.advertising_channel_type as platform_channel_type,
        case campaigns.advertising_channel_type
            when 'SEARCH' then 'paid_search'
            when 'DISPLAY' then 'display'
            when 'VIDEO' then 'video'
            else 'paid_other'
        end as channel,
        customers.currency_code,
        campaigns.is_deleted
    from campaigns
    left join customers
        on campaigns.customer_id = customers.customer_id

)

select * from final
