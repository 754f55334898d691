with

unioned as (

    {{ union_sources(
        {
            'google_ads': 'int_google_ads_campaigns_prepared',
            'meta_ads': 'int_meta_ads_campaigns_prepared',
            'linkedin_ads': 'int_linkedin_ads_campaigns_prepared',
            'microsoft_ads': 'int_microsoft_ads_campaigns_prepared',
        },
        {
            'platform': 'text',
            'account_id': 'text',
            'account_name': 'text',
            'campaign_id': 'text',
            'campaign_name': 'text',
            'status': 'text',
            'platform_channel_type': 'text',
            'channel': 'text',
            'currency_code': 'text',
            'is_deleted': 'boolean',
        },
    ) }}

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
