with

unioned as (

    {{ union_sources(
        {
            'google_ads': 'int_google_ads_ad_groups_prepared',
            'meta_ads': 'int_meta_ads_ad_groups_prepared',
            'microsoft_ads': 'int_microsoft_ads_ad_groups_prepared',
        },
        {
            'platform': 'text',
            'account_id': 'text',
            'campaign_id': 'text',
            'ad_group_id': 'text',
            'ad_group_name': 'text',
            'status': 'text',
        },
    ) }}

),

final as (

    select
        {{ key_from(['platform', 'ad_group_id']) }} as ad_group_key,
        platform,
        account_id,
        {{ key_from(['platform', 'campaign_id']) }} as campaign_key,
        campaign_id,
        ad_group_id,
        ad_group_name,
        status
    from unioned

)

select * from final
