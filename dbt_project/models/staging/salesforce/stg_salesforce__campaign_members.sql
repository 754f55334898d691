{{ config(enabled=source_enabled('salesforce')) }}
with

source as (

    select * from {{ source('salesforce', 'campaign_members') }}

),

renamed as (

    select
        -- ids
        campaign_member_id,
        record ->> 'CampaignId' as campaign_id,
        record ->> 'LeadId' as lead_id,
        record ->> 'ContactId' as contact_id,
        record ->> 'LeadOrContactId' as lead_or_contact_id,

        -- membership
        record ->> 'Status' as member_status,
        {{ string_to_boolean("record ->> 'HasResponded'") }} as has_responded,

        -- dates and timestamps
        cast(nullif(btrim(record ->> 'FirstRespondedDate'), '') as date) as first_responded_date,
        {{ string_to_timestamp("record ->> 'CreatedDate'") }} as created_at,
        coalesce(
            {{ string_to_timestamp("record ->> 'LastModifiedDate'") }},
            {{ string_to_timestamp("record ->> 'SystemModstamp'") }}
        ) as updated_at,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
