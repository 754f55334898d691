{{ config(enabled=source_enabled('linkedin_ads')) }}
with

source as (

    select * from {{ source('linkedin_ads', 'creatives') }}

),

renamed as (

    select
        -- ids (URNs: urn:li:sponsoredCampaign:<id>)
        account_id,
        creative_id,
        {{ string_to_number("split_part(record ->> 'campaign', ':', 4)", 'bigint') }}
            as campaign_id,

        -- creative
        record ->> 'name' as creative_name,
        record ->> 'intendedStatus' as intended_status,
        {{ string_to_boolean("record ->> 'isServing'") }} as is_serving,

        -- content: a Text Ad's landing page, or sponsored content's post
        record -> 'content' -> 'textAd' ->> 'landingPage' as landing_page_url,
        record -> 'content' ->> 'reference' as content_reference,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
