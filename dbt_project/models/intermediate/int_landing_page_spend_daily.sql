/*
    Spend per landing page, campaign and day, in the reporting currency. A platform that reports
    its landing pages (Google Ads' landing_page_view: every day's spend under the final URL the
    ads had that day) is read from that report; any other platform's ad-level spend is put under
    its ad's current final URL (dim_ads). Spend without an ad, or of an ad without a final URL,
    has no page and is left out.
*/
{%- set page_report_platforms = ['google_ads'] %}
with

reported_pages as (

    {{ union_sources(
        {'google_ads': 'int_google_ads_landing_pages_prepared'},
        {
            'platform': 'text',
            'spend_date': 'date',
            'campaign_id': 'text',
            'landing_page_url': 'text',
            'currency_code': 'text',
            'spend': 'numeric',
            'impressions': 'bigint',
            'clicks': 'bigint',
        },
    ) }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

reported_spend as (

    select
        reported_pages.platform,
        reported_pages.spend_date,
        {{ key_from(['reported_pages.platform', 'reported_pages.campaign_id']) }}
            as campaign_key,
        reported_pages.landing_page_url,
        reported_pages.spend * fx_rates.reporting_per_unit as spend_reporting,
        reported_pages.impressions,
        reported_pages.clicks
    from reported_pages
    left join fx_rates
        on
            reported_pages.spend_date = fx_rates.date_day
            and reported_pages.currency_code = fx_rates.currency_code
            and fx_rates.rate_scope = 'all'
    where reported_pages.landing_page_url is not null

),

ad_spend as (

    select * from {{ ref('fct_ad_spend_daily') }}
    where
        ad_id is not null
        and platform not in ('{{ page_report_platforms | join("', '") }}')

),

ads as (

    select * from {{ ref('dim_ads') }}
    where landing_page_url is not null

),

ad_page_spend as (

    select
        ad_spend.platform,
        ad_spend.spend_date,
        ad_spend.campaign_key,
        ads.landing_page_url,
        ad_spend.spend_reporting,
        ad_spend.impressions,
        ad_spend.clicks
    from ad_spend
    inner join ads
        on
            ad_spend.platform = ads.platform
            and ad_spend.ad_id = ads.ad_id

),

unioned as (

    select * from reported_spend
    union all
    select * from ad_page_spend

),

final as (

    select
        platform,
        spend_date,
        campaign_key,
        landing_page_url,
        sum(spend_reporting) as spend_reporting,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from unioned
    group by platform, spend_date, campaign_key, landing_page_url

)

select * from final
