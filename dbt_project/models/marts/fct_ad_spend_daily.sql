with

ad_spend as (

    select * from {{ ref('int_ad_spend_unioned') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

final as (

    select
        ad_spend.ad_spend_key,
        ad_spend.spend_date,
        ad_spend.platform,
        ad_spend.account_id,
        ad_spend.campaign_key,
        ad_spend.campaign_id,
        ad_spend.ad_group_id,
        ad_spend.ad_id,
        ad_spend.currency_code,
        ad_spend.spend,
        ad_spend.spend * fx_rates.reporting_per_unit as spend_reporting,
        {{ currency_var('reporting_currency') }} as reporting_currency_code,
        ad_spend.impressions,
        ad_spend.clicks,
        ad_spend.platform_conversions,
        ad_spend.platform_conversion_value,
        ad_spend.platform_conversion_value
        * fx_rates.reporting_per_unit as platform_conversion_value_reporting,
        -- the conversion's lineage: redo any *_reporting amount as amount x fx_rate_to_reporting
        fx_rates.reporting_per_unit as fx_rate_to_reporting,
        fx_rates.fx_rate_date,
        fx_rates.fx_rate_source
    from ad_spend
    -- converted at the rate of the spend day
    left join fx_rates
        on
            ad_spend.spend_date = fx_rates.date_day
            and ad_spend.currency_code = fx_rates.currency_code
            and fx_rates.rate_scope = 'all'

)

select * from final
