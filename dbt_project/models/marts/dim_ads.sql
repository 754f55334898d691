with

ads as (

    select * from {{ ref('int_ads_unioned') }}

),

final as (

    select
        {{ key_from(['platform', 'ad_id']) }} as ad_key,
        platform,
        account_id,
        {{ key_from(['platform', 'campaign_id']) }} as campaign_key,
        campaign_id,
        case
            when ad_group_id is not null then {{ key_from(['platform', 'ad_group_id']) }}
        end as ad_group_key,
        ad_group_id,
        ad_id,
        ad_name,
        status,
        is_deleted,
        final_url,
        {{ url_without_query('final_url') }} as landing_page_url,
        coalesce(
            {{ url_parameter('final_url', 'utm_source') }},
            {{ url_parameter(dbt.concat(["'?'", 'url_tags']), 'utm_source') }}
        ) as utm_source,
        coalesce(
            {{ url_parameter('final_url', 'utm_medium') }},
            {{ url_parameter(dbt.concat(["'?'", 'url_tags']), 'utm_medium') }}
        ) as utm_medium,
        coalesce(
            {{ url_parameter('final_url', 'utm_campaign') }},
            {{ url_parameter(dbt.concat(["'?'", 'url_tags']), 'utm_campaign') }}
        ) as utm_campaign,
        coalesce(
            {{ url_parameter('final_url', 'utm_content') }},
            {{ url_parameter(dbt.concat(["'?'", 'url_tags']), 'utm_content') }}
        ) as utm_content,
        coalesce(
            {{ url_parameter('final_url', 'utm_term') }},
            {{ url_parameter(dbt.concat(["'?'", 'url_tags']), 'utm_term') }}
        ) as utm_term,
        tracking_url_template,
        url_tags
    from ads

)

select * from final
