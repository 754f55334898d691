-- Daily ad spend of every ad platform in one shape (Google Ads today; Meta and LinkedIn
-- add a union branch here), with its keys.
with

google_ads_spend as (

    select * from {{ ref('int_google_ads_spend_reconciled') }}

),

unioned as (

    select
        platform,
        spend_date,
        account_id,
        campaign_id,
        ad_group_id,
        ad_id,
        currency_code,
        spend,
        impressions,
        clicks,
        platform_conversions,
        platform_conversion_value
    from google_ads_spend

),

final as (

    select
        {{ key_from([
            'platform',
            "to_char(spend_date, 'YYYY-MM-DD')",
            'campaign_id',
            'ad_group_id',
            'ad_id',
        ]) }}
            as ad_spend_key,
        {{ key_from(['platform', 'campaign_id']) }} as campaign_key,
        platform,
        spend_date,
        account_id,
        campaign_id,
        ad_group_id,
        ad_id,
        currency_code,
        spend,
        impressions,
        clicks,
        platform_conversions,
        platform_conversion_value
    from unioned

)

select * from final
