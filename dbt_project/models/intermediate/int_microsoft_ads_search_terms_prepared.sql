{{ config(enabled=source_enabled('microsoft_ads')) }}
-- Microsoft Advertising search query report days (deleted rows dropped) in the platform-neutral
-- search-term shape of fct_search_term_performance_daily. Microsoft splits a query's day by the
-- match type it was delivered as; the mart's grain is the query, so those rows add up. The
-- keyword's own match type (BidMatchType) comes from its keyword report row of the same day.
-- Microsoft has no search term status and the report no revenue: both are null.
with

search_queries as (

    select * from {{ ref('stg_microsoft_ads__search_query_daily_performance') }}
    where not is_deleted

),

keywords as (

    select * from {{ ref('stg_microsoft_ads__keyword_daily_performance') }}
    where not is_deleted

),

per_query as (

    select
        account_id,
        campaign_id,
        ad_group_id,
        keyword_id,
        report_date,
        search_query,
        max(keyword_text) as keyword_text,
        max(currency_code) as currency_code,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions
    from search_queries
    group by account_id, campaign_id, ad_group_id, keyword_id, report_date, search_query

),

final as (

    select
        'microsoft_ads' as platform,
        per_query.report_date as spend_date,
        cast(per_query.account_id as {{ dbt.type_string() }}) as account_id,
        cast(per_query.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(per_query.ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        cast(per_query.keyword_id as {{ dbt.type_string() }}) as keyword_id,
        per_query.search_query as search_term,
        cast(null as {{ dbt.type_string() }}) as search_term_status,
        per_query.keyword_text,
        upper(keywords.match_type) as match_type,
        per_query.currency_code,
        per_query.spend,
        cast(per_query.impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(per_query.clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(per_query.conversions as {{ dbt.type_numeric() }}) as platform_conversions,
        cast(null as {{ dbt.type_numeric() }}) as platform_conversion_value
    from per_query
    left join keywords
        on
            per_query.account_id = keywords.account_id
            and per_query.ad_group_id = keywords.ad_group_id
            and per_query.keyword_id = keywords.keyword_id
            and per_query.report_date = keywords.report_date

)

select * from final
