{{ config(enabled=source_enabled('google_ads')) }}
-- Google Ads ad groups in the platform-neutral shape of dim_ad_groups. Thinline extracts no
-- ad group snapshot: each ad group is its latest live row of the daily ad group report (its
-- name and status as of the newest day it had metrics).
with

ad_group_days as (

    select * from {{ ref('stg_google_ads__ad_group_daily_metrics') }}
    where not is_deleted

),

ranked as (

    select
        customer_id,
        campaign_id,
        ad_group_id,
        ad_group_name,
        ad_group_status,
        row_number() over (
            partition by ad_group_id
            order by metric_date desc, _loaded_at desc
        ) as recency_rank
    from ad_group_days

),

final as (

    select
        'google_ads' as platform,
        cast(customer_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        ad_group_name,
        ad_group_status as status
    from ranked
    where recency_rank = 1

)

select * from final
