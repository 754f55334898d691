{{ config(enabled=source_enabled('hubspot')) }}
with

source as (

    select * from {{ source('hubspot', 'deals') }}

),

renamed as (

    select
        -- ids
        deal_id,
        record -> 'properties' ->> 'pipeline' as pipeline_id,
        record -> 'properties' ->> 'dealstage' as stage_id,
        {{ string_to_number("record -> 'properties' ->> 'hubspot_owner_id'", 'bigint') }}
            as owner_id,

        -- deal
        record -> 'properties' ->> 'dealname' as deal_name,
        record -> 'properties' ->> 'dealtype' as deal_type,
        {{ string_to_number("record -> 'properties' ->> 'amount'") }} as amount,
        -- portal-specific custom property: the price before discount
        {{ string_to_number("record -> 'properties' ->> 'list_amount'") }} as list_amount,
        upper(nullif(btrim(record -> 'properties' ->> 'deal_currency_code'), ''))
            as currency_code,
        {{ string_to_boolean("record -> 'properties' ->> 'hs_is_closed'") }} as is_closed,
        {{ string_to_boolean("record -> 'properties' ->> 'hs_is_closed_won'") }} as is_won,
        -- the forecast category (HubSpot's value: OMIT, PIPELINE, BEST_CASE, COMMIT, CLOSED)
        nullif(btrim(record -> 'properties' ->> 'hs_manual_forecast_category'), '')
            as forecast_category,

        -- timestamps
        -- closedate: the actual close for closed deals, the expected close for open ones
        {{ string_to_timestamp("record -> 'properties' ->> 'closedate'") }} as close_at,
        coalesce(
            {{ string_to_timestamp("record -> 'properties' ->> 'createdate'") }},
            {{ string_to_timestamp("record ->> 'createdAt'") }}
        ) as created_at,
        coalesce(
            {{ string_to_timestamp("record -> 'properties' ->> 'hs_lastmodifieddate'") }},
            {{ string_to_timestamp("record ->> 'updatedAt'") }}
        ) as updated_at,

        -- custom fields (var custom_fields, macros/custom_fields.sql)
        {{ custom_field_columns('hubspot_deals', "record -> 'properties'") }}
        {{ custom_fields_object('hubspot_deals', "record -> 'properties'") }} as custom_fields,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
