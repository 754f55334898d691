{{ config(enabled=source_enabled('microsoft_ads')) }}
-- Microsoft Advertising ad groups in the platform-neutral shape of dim_ad_groups: the
-- GetAdGroupsByCampaignId snapshot. A deleted ad group stays (its keywords' and ads' past
-- days still name it), with status Deleted.
with

ad_groups as (

    select * from {{ ref('stg_microsoft_ads__ad_groups') }}

),

final as (

    select
        'microsoft_ads' as platform,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        ad_group_name,
        case when is_deleted then 'Deleted' else ad_group_status end as status
    from ad_groups

)

select * from final
