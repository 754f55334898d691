{{ config(enabled=source_enabled('google_ads')) }}
-- Google Ads ads in the platform-neutral shape of int_ads_unioned. Thinline extracts no ad
-- snapshot: each ad is its latest live row of the daily ad report (name, status and final URL
-- as of the newest day it had metrics). The stand-in serves no tracking template.
with

ad_days as (

    select * from {{ ref('stg_google_ads__ad_daily_metrics') }}
    where not is_deleted

),

ranked as (

    select
        customer_id,
        campaign_id,
        ad_group_id,
        ad_id,
        ad_name,
        ad_status,
        final_url,
        row_number() over (
            partition by ad_id
            order by metric_date desc, _loaded_at desc
        ) as recency_rank
    from ad_days

),

final as (

    select
        'google_ads' as platform,
        cast(customer_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        ad_name,
        ad_status as status,
        false as is_deleted,
        final_url,
        cast(null as {{ dbt.type_string() }}) as tracking_url_template,
        cast(null as {{ dbt.type_string() }}) as url_tags
    from ranked
    where recency_rank = 1

)

select * from final
