-- Daily ad spend of every enabled ad platform in one shape, with its keys.
with

unioned as (

    {{ union_sources(
        {
            'google_ads': 'int_google_ads_spend_reconciled',
            'meta_ads': 'int_meta_ads_spend_prepared',
            'linkedin_ads': 'int_linkedin_ads_spend_prepared',
            'microsoft_ads': 'int_microsoft_ads_spend_prepared',
        },
        {
            'platform': 'text',
            'spend_date': 'date',
            'account_id': 'text',
            'campaign_id': 'text',
            'ad_group_id': 'text',
            'ad_id': 'text',
            'currency_code': 'text',
            'spend': 'numeric',
            'impressions': 'bigint',
            'clicks': 'bigint',
            'platform_conversions': 'numeric',
            'platform_conversion_value': 'numeric',
        },
    ) }}

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
