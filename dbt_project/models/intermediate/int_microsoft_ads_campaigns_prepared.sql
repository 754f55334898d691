{{ config(enabled=source_enabled('microsoft_ads')) }}
-- Microsoft Advertising campaigns in the platform-neutral shape of dim_campaigns: all paid search.
with

campaigns as (

    select * from {{ ref('stg_microsoft_ads__campaigns') }}

),

final as (

    select
        'microsoft_ads' as platform,
        {{ dbt.safe_cast('account_id', dbt.type_string()) }} as account_id,
        account_name,
        {{ dbt.safe_cast('campaign_id', dbt.type_string()) }} as campaign_id,
        campaign_name,
        campaign_status as status,
        campaign_type as platform_channel_type,
        'paid_search' as channel,
        currency_code,
        is_deleted
    from campaigns

)

select * from final
