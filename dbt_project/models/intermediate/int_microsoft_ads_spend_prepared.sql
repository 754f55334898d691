{{ config(enabled=source_enabled('microsoft_ads')) }}
-- Microsoft Advertising campaign days (deleted rows dropped) in the platform-neutral spend shape
-- of int_ad_spend_unioned: campaign-level rows (no ad group, no ad), so a day's spend equals
-- Microsoft's campaign report.
with

performance as (

    select * from {{ ref('stg_microsoft_ads__campaign_daily_performance') }}
    where not is_deleted

),

final as (

    select
        'microsoft_ads' as platform,
        report_date as spend_date,
        {{ dbt.safe_cast('account_id', dbt.type_string()) }} as account_id,
        {{ dbt.safe_cast('campaign_id', dbt.type_string()) }} as campaign_id,
        cast(null as {{ dbt.type_string() }}) as ad_group_id,
        cast(null as {{ dbt.type_string() }}) as ad_id,
        currency_code,
        spend,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(conversions as {{ dbt.type_numeric() }}) as platform_conversions,
        cast(revenue as {{ dbt.type_numeric() }}) as platform_conversion_value
    from performance

)

select * from final
