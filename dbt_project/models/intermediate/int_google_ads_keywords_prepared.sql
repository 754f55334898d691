{{ config(enabled=source_enabled('google_ads')) }}
-- Google Ads keyword_view days (deleted rows dropped) in the platform-neutral keyword shape of
-- fct_keyword_performance_daily.
with

keywords as (

    select * from {{ ref('stg_google_ads__keyword_daily_metrics') }}
    where not is_deleted

),

final as (

    select
        'google_ads' as platform,
        metric_date as spend_date,
        cast(customer_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        cast(criterion_id as {{ dbt.type_string() }}) as keyword_id,
        keyword_text,
        match_type,
        quality_score,
        currency_code,
        spend,
        impressions,
        clicks,
        conversions as platform_conversions,
        conversions_value as platform_conversion_value
    from keywords

)

select * from final
