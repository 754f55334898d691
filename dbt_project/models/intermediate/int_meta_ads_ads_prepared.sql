{{ config(enabled=source_enabled('meta_ads')) }}
-- Meta ads in the platform-neutral shape of int_ads_unioned: the ads snapshot (status, the
-- creative's link as final URL, its URL tags; deleted ads kept and flagged), plus any ad that
-- has insights but is missing from the snapshot (name and parents from its newest insights
-- day, no status or URLs) so every ad with spend joins dim_ads. Meta ad ids are global.
with

ads as (

    select * from {{ ref('stg_meta_ads__ads') }}

),

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

insight_ads as (

    select
        account_id,
        campaign_id,
        ad_set_id,
        ad_id,
        ad_name
    from ranked
    where recency_rank = 1

),

final as (

    select
        'meta_ads' as platform,
        cast(coalesce(ads.account_id, insight_ads.account_id) as {{ dbt.type_string() }})
            as account_id,
        cast(coalesce(ads.campaign_id, insight_ads.campaign_id) as {{ dbt.type_string() }})
            as campaign_id,
        cast(coalesce(ads.ad_set_id, insight_ads.ad_set_id) as {{ dbt.type_string() }})
            as ad_group_id,
        cast(coalesce(ads.ad_id, insight_ads.ad_id) as {{ dbt.type_string() }}) as ad_id,
        coalesce(ads.ad_name, insight_ads.ad_name) as ad_name,
        cast(ads.ad_status as {{ dbt.type_string() }}) as status,
        coalesce(ads.is_deleted, false) as is_deleted,
        cast(ads.final_url as {{ dbt.type_string() }}) as final_url,
        cast(null as {{ dbt.type_string() }}) as tracking_url_template,
        cast(ads.url_tags as {{ dbt.type_string() }}) as url_tags
    from ads
    full outer join insight_ads
        on ads.ad_id = insight_ads.ad_id

)

select * from final
