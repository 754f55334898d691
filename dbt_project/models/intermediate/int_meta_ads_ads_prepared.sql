{{ config(enabled=source_enabled('meta_ads')) }}
-- Meta ads in the platform-neutral shape of int_ads_unioned. Thinline extracts no ad snapshot:
-- each ad is its latest live insights row (name as of the newest day it delivered). Insights
-- carry no status, and the stand-in serves no creative (no link, no url_tags): those are null.
with

insights as (

    select * from {{ ref('stg_meta_ads__ad_daily_insights') }}
    where not is_deleted

),

ranked as (

    select
        account_id,
        campaign_id,
        ad_set_id,
        ad_id,
        ad_name,
        row_number() over (
            partition by ad_id
            order by insight_date desc, _loaded_at desc
        ) as recency_rank
    from insights

),

final as (

    select
        'meta_ads' as platform,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(ad_set_id as {{ dbt.type_string() }}) as ad_group_id,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        ad_name,
        cast(null as {{ dbt.type_string() }}) as status,
        false as is_deleted,
        cast(null as {{ dbt.type_string() }}) as final_url,
        cast(null as {{ dbt.type_string() }}) as tracking_url_template,
        cast(null as {{ dbt.type_string() }}) as url_tags
    from ranked
    where recency_rank = 1

)

select * from final
