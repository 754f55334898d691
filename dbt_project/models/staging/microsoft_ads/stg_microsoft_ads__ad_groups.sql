{{ config(enabled=source_enabled('microsoft_ads')) }}
with

source as (

    select * from {{ source('microsoft_ads', 'ad_groups') }}

),

renamed as (

    select
        -- ids
        account_id,
        {{ string_to_number("record ->> 'CampaignId'", 'bigint') }} as campaign_id,
        ad_group_id,

        -- ad group
        record ->> 'Name' as ad_group_name,
        record ->> 'Status' as ad_group_status,
        record ->> 'AdGroupType' as ad_group_type,

        -- urls: appended to (suffix) or wrapped around (template) the ads' final URLs
        record ->> 'TrackingUrlTemplate' as tracking_url_template,
        record ->> 'FinalUrlSuffix' as final_url_suffix,
        record -> 'UrlCustomParameters' -> 'Parameters' as url_custom_parameters,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
