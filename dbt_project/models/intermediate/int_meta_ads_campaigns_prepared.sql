{{ config(enabled=source_enabled('meta_ads')) }}
-- Meta campaigns in the platform-neutral shape of dim_campaigns: all paid social.
with

campaigns as (

    select * from {{ ref('stg_meta_ads__campaigns') }}

),

accounts as (

    select * from {{ ref('stg_meta_ads__ad_accounts') }}

),

final as (

    select
        'meta_ads' as platform,
        cast(campaigns.account_id as text) as account_id,
        accounts.account_name,
        cast(campaigns.campaign_id as text) as campaign_id,
        campaigns.campaign_name,
        campaigns.campaign_status as status,
        campaigns.objective as platform_channel_type,
        'paid_social' as channel,
        accounts.currency_code,
        campaigns.is_deleted
    from campaigns
    left join accounts
        on campaigns.account_id = accounts.account_id

)

select * from final
