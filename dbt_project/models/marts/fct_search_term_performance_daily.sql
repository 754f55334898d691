-- Spend and results per search term, the keyword it matched, and day, in the account currency
-- and the reporting currency: Google Ads and Microsoft Advertising. Platforms leave out terms
-- too few people searched, so a keyword's search terms add up to at most its row in
-- fct_keyword_performance_daily.
with

search_terms as (

    {{ union_sources(
        {
            'google_ads': 'int_google_ads_search_terms_prepared',
            'microsoft_ads': 'int_microsoft_ads_search_terms_prepared',
        },
        {
            'platform': 'text',
            'spend_date': 'date',
            'account_id': 'text',
            'campaign_id': 'text',
            'ad_group_id': 'text',
            'keyword_id': 'text',
            'search_term': 'text',
            'search_term_status': 'text',
            'keyword_text': 'text',
            'match_type': 'text',
            'currency_code': 'text',
            'spend': 'numeric',
            'impressions': 'bigint',
            'clicks': 'bigint',
            'platform_conversions': 'numeric',
            'platform_conversion_value': 'numeric',
        },
    ) }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

final as (

    select
        {{ key_from([
            'search_terms.platform',
            "to_char(search_terms.spend_date, 'YYYY-MM-DD')",
            'search_terms.ad_group_id',
            'search_terms.keyword_id',
            'search_terms.search_term',
        ]) }} as search_term_performance_key,
        search_terms.spend_date,
        search_terms.platform,
        search_terms.account_id,
        {{ key_from(['search_terms.platform', 'search_terms.campaign_id']) }} as campaign_key,
        search_terms.campaign_id,
        search_terms.ad_group_id,
        search_terms.keyword_id,
        {{ key_from([
            'search_terms.platform',
            "to_char(search_terms.spend_date, 'YYYY-MM-DD')",
            'search_terms.ad_group_id',
            'search_terms.keyword_id',
        ]) }} as keyword_performance_key,
        search_terms.search_term,
        search_terms.search_term_status,
        search_terms.keyword_text,
        search_terms.match_type,
        search_terms.currency_code,
        search_terms.spend,
        search_terms.spend * fx_rates.reporting_per_unit as spend_reporting,
        {{ currency_var('reporting_currency') }} as reporting_currency_code,
        search_terms.impressions,
        search_terms.clicks,
        search_terms.platform_conversions,
        search_terms.platform_conversion_value,
        search_terms.platform_conversion_value
        * fx_rates.reporting_per_unit as platform_conversion_value_reporting,
        fx_rates.reporting_per_unit as fx_rate_to_reporting,
        fx_rates.fx_rate_date,
        fx_rates.fx_rate_source
    from search_terms
    left join fx_rates
        on
            search_terms.spend_date = fx_rates.date_day
            and search_terms.currency_code = fx_rates.currency_code
            and fx_rates.rate_scope = 'all'

)

select * from final
