{{ config(enabled=source_enabled('meta_ads')) }}
-- Meta ad sets (Meta's ad-group level) in the platform-neutral shape of dim_ad_groups. Thinline
-- extracts no ad set snapshot: each ad set is its latest live insights row (its name as of the
-- newest day it delivered); insights carry no status, so status is null.
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
        ad_set_name,
        row_number() over (
            partition by ad_set_id
            order by insight_date desc, _loaded_at desc, ad_id desc
        ) as recency_rank
    from insights

),

final as (

    select
        'meta_ads' as platform,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(ad_set_id as {{ dbt.type_string() }}) as ad_group_id,
        ad_set_name as ad_group_name,
        cast(null as {{ dbt.type_string() }}) as status
    from ranked
    where recency_rank = 1

)

select * from final
