{{ config(enabled=source_enabled('microsoft_ads')) }}
-- Microsoft Advertising ads in the platform-neutral shape of int_ads_unioned: the
-- GetAdsByAdGroupId snapshot (deleted ads flagged). Microsoft ads have no name. An ad without a
-- tracking template or final URL suffix of its own inherits its ad group's; the suffix (what
-- Microsoft appends to the final URL at click time) is the row's url_tags, like Meta's.
with

ads as (

    select * from {{ ref('stg_microsoft_ads__ads') }}

),

ad_groups as (

    select * from {{ ref('stg_microsoft_ads__ad_groups') }}

),

final as (

    select
        'microsoft_ads' as platform,
        cast(ads.account_id as {{ dbt.type_string() }}) as account_id,
        cast(ads.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(ads.ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        cast(ads.ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(null as {{ dbt.type_string() }}) as ad_name,
        ads.ad_status as status,
        ads.is_deleted,
        ads.final_url,
        coalesce(
            ads.tracking_url_template, ad_groups.tracking_url_template
        ) as tracking_url_template,
        coalesce(ads.final_url_suffix, ad_groups.final_url_suffix) as url_tags
    from ads
    left join ad_groups
        on
            ads.account_id = ad_groups.account_id
            and ads.ad_group_id = ad_groups.ad_group_id

)

select * from final
