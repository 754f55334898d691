{{ config(enabled=source_enabled('google_ads')) }}
-- Google Ads landing_page_view days (deleted rows dropped) in the platform-neutral page shape of
-- int_landing_page_spend_daily: the page is the final URL without its query and fragment.
with

pages as (

    select * from {{ ref('stg_google_ads__landing_page_daily_metrics') }}
    where not is_deleted

),

final as (

    select
        'google_ads' as platform,
        metric_date as spend_date,
        cast(customer_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        {{ url_without_query('landing_page_url') }} as landing_page_url,
        currency_code,
        spend,
        impressions,
        clicks
    from pages

)

select * from final
