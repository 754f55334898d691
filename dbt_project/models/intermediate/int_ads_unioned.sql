-- Ads of every enabled ad platform in one shape, before their URLs are parsed (dim_ads).
with

unioned as (

    {{ union_sources(
        {
            'google_ads': 'int_google_ads_ads_prepared',
            'meta_ads': 'int_meta_ads_ads_prepared',
            'linkedin_ads': 'int_linkedin_ads_ads_prepared',
            'microsoft_ads': 'int_microsoft_ads_ads_prepared',
        },
        {
            'platform': 'text',
            'account_id': 'text',
            'campaign_id': 'text',
            'ad_group_id': 'text',
            'ad_id': 'text',
            'ad_name': 'text',
            'status': 'text',
            'is_deleted': 'boolean',
            'final_url': 'text',
            'tracking_url_template': 'text',
            'url_tags': 'text',
        },
    ) }}

),

final as (

    select
        platform,
        account_id,
        campaign_id,
        ad_group_id,
        ad_id,
        ad_name,
        status,
        is_deleted,
        final_url,
        tracking_url_template,
        url_tags
    from unioned

)

select * from final
