{{ config(enabled=source_enabled('microsoft_ads')) }}
-- Microsoft Advertising keyword report days (deleted rows dropped) in the platform-neutral
-- keyword shape of fct_keyword_performance_daily. The keyword report carries no revenue, so the
-- conversion value is null (the campaign report's Revenue is in fct_ad_spend_daily).
with

keywords as (

    select * from {{ ref('stg_microsoft_ads__keyword_daily_performance') }}
    where not is_deleted

),

final as (

    select
        'microsoft_ads' as platform,
        report_date as spend_date,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        cast(keyword_id as {{ dbt.type_string() }}) as keyword_id,
        keyword_text,
        -- Microsoft writes Exact / Phrase / Broad; the mart speaks Google's EXACT / PHRASE / BROAD
        upper(match_type) as match_type,
        quality_score,
        currency_code,
        spend,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(conversions as {{ dbt.type_numeric() }}) as platform_conversions,
        cast(null as {{ dbt.type_numeric() }}) as platform_conversion_value
    from keywords

)

select * from final
