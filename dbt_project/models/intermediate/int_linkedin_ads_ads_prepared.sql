{{ config(enabled=source_enabled('linkedin_ads')) }}
-- LinkedIn creatives (LinkedIn's ad level) in the platform-neutral shape of int_ads_unioned,
-- from the creatives snapshot (the latest record). Thinline maps LinkedIn campaigns to
-- campaigns (dim_campaigns), so a creative has no ad group; archived and removed creatives are
-- kept and flagged (their history still joins). The final URL is a Text Ad's landing page;
-- sponsored content keeps it on the referenced post (not extracted): null. LinkedIn has no
-- tracking template or URL tags on a creative.
with

creatives as (

    select * from {{ ref('stg_linkedin_ads__creatives') }}

),

final as (

    select
        'linkedin_ads' as platform,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as ad_group_id,
        cast(creative_id as {{ dbt.type_string() }}) as ad_id,
        creative_name as ad_name,
        intended_status as status,
        is_deleted,
        cast(landing_page_url as {{ dbt.type_string() }}) as final_url,
        cast(null as {{ dbt.type_string() }}) as tracking_url_template,
        cast(null as {{ dbt.type_string() }}) as url_tags
    from creatives

)

select * from final
