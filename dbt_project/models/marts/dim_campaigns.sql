with

google_ads_campaigns as (

    select * from {{ ref('stg_google_ads__campaigns') }}

),

google_ads_customers as (

    select * from {{ ref('stg_google_ads__customers') }}

),

-- One branch per ad platform (Meta and LinkedIn add theirs), in the same shape.
google_ads as (

    select
        'google_ads' as platform,
        cast(google_ads_campaigns.customer_id as text) as account_id,
        google_ads_customers.customer_name as account_name,
        cast(google_ads_campaigns.campaign_id as text) as campaign_id,
        google_ads_campaigns.campaign_name,
        google_ads_campaigns.campaign_status as status,
        google_ads_campaigns.advertising_channel_type as platform_channel_type,
        case google_ads_campaigns.advertising_channel_type
            when 'SEARCH' then 'paid_search'
            when 'DISPLAY' then 'display'
            when 'VIDEO' then 'video'
            else 'paid_other'
        end as channel,
        google_ads_customers.currency_code,
        google_ads_campaigns.is_deleted
    from google_ads_campaigns
    left join google_ads_customers
        on google_ads_campaigns.customer_id = google_ads_customers.customer_id

),

unioned as (

    select
        platform,
        account_id,
        account_name,
        campaign_id,
        campaign_name,
        status,
        platform_channel_type,
        channel,
        currency_code,
        is_deleted
    from google_ads

),

final as (

    select
        {{ key_from(['platform', 'campaign_id']) }} as campaign_key,
        platform,
        account_id,
        account_name,
        campaign_id,
        campaign_name,
        status,
        platform_channel_type,
        channel,
        currency_code,
        is_deleted
    from unioned

)

select * from final
