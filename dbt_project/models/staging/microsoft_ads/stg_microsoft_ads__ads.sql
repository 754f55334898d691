{{ config(enabled=source_enabled('microsoft_ads')) }}
with

source as (

    select * from {{ source('microsoft_ads', 'ads') }}

),

renamed as (

    select
        -- ids
        account_id,
        {{ string_to_number("record ->> 'CampaignId'", 'bigint') }} as campaign_id,
        {{ string_to_number("record ->> 'AdGroupId'", 'bigint') }} as ad_group_id,
        ad_id,

        -- ad
        record ->> 'Type' as ad_type,
        record ->> 'Status' as ad_status,
        record ->> 'EditorialStatus' as editorial_status,

        -- urls: the first final URL is the landing page
        record -> 'FinalUrls' ->> 0 as final_url,
        record ->> 'TrackingUrlTemplate' as tracking_url_template,
        record ->> 'FinalUrlSuffix' as final_url_suffix,
        record -> 'UrlCustomParameters' -> 'Parameters' as url_custom_parameters,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
