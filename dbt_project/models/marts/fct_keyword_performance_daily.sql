-- Spend and results per keyword and day, in the account currency and the reporting currency
-- (converted like fct_ad_spend_daily): Google Ads and Microsoft Advertising; a platform with
-- keywords adds its prepared model here.
with

keywords as (

    {{ union_sources(
        {
            'google_ads': 'int_google_ads_keywords_prepared',
            'microsoft_ads': 'int_microsoft_ads_keywords_prepared',
        },
        {
            'platform': 'text',
            'spend_date': 'date',
            'account_id': 'text',
            'campaign_id': 'text',
            'ad_group_id': 'text',
            'keyword_id': 'text',
            'keyword_text': 'text',
            'match_type': 'text',
            'quality_score': 'integer',
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
            'keywords.platform',
            "to_char(keywords.spend_date, 'YYYY-MM-DD')",
            'keywords.ad_group_id',
            'keywords.keyword_id',
        ]) }} as keyword_performance_key,
        keywords.spend_date,
        keywords.platform,
        keywords.account_id,
        {{ key_from(['keywords.platform', 'keywords.campaign_id']) }} as campaign_key,
        keywords.campaign_id,
        keywords.ad_group_id,
        keywords.keyword_id,
        keywords.keyword_text,
        keywords.match_type,
        keywords.quality_score,
        keywords.currency_code,
        keywords.spend,
        keywords.spend * fx_rates.reporting_per_unit as spend_reporting,
        {{ currency_var('reporting_currency') }} as reporting_currency_code,
        keywords.impressions,
        keywords.clicks,
        keywords.platform_conversions,
        keywords.platform_conversion_value,
        keywords.platform_conversion_value
        * fx_rates.reporting_per_unit as platform_conversion_value_reporting,
        fx_rates.reporting_per_unit as fx_rate_to_reporting,
        fx_rates.fx_rate_date,
        fx_rates.fx_rate_source
    from keywords
    left join fx_rates
        on
            keywords.spend_date = fx_rates.date_day
            and keywords.currency_code = fx_rates.currency_code
            and fx_rates.rate_scope = 'all'

)

select * from final
