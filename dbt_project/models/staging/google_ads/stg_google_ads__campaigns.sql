{{ config(enabled=source_enabled('google_ads')) }}
with

source as (

    select * from {{ source('google_ads', 'campaigns') }}

),

renamed as (

    select
        -- ids
        customer_id,
        campaign_id,

        -- campaign
        record -> 'campaign' ->> 'name' as campaign_name,
        record -> 'campaign' ->> 'status' as campaign_status,
        record -> 'campaign' ->> 'advertisingChannelType' as advertising_channel_type,
        record -> 'campaign' ->> 'advertisingChannelSubType' as advertising_channel_sub_type,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
