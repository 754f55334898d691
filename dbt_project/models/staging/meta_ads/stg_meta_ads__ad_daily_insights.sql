{{ config(enabled=source_enabled('meta_ads')) }}
{#-
    actions / action_values are arrays of {action_type, value} (values are strings), absent
    when empty: each column below sums the values of one action type.
-#}
{%- set action_columns = [
    ('leads', 'actions', 'lead'),
    ('purchases', 'actions', 'offsite_conversion.fb_pixel_purchase'),
    ('purchase_value', 'action_values', 'offsite_conversion.fb_pixel_purchase'),
] -%}

with

source as (

    select * from {{ source('meta_ads', 'ad_daily_insights') }}

),

renamed as (

    select
        -- ids
        account_id,
        {{ string_to_number("record ->> 'campaign_id'", 'bigint') }} as campaign_id,
        {{ string_to_number("record ->> 'adset_id'", 'bigint') }} as ad_set_id,
        ad_id,

        -- dimensions
        insight_date,
        record ->> 'campaign_name' as campaign_name,
        record ->> 'adset_name' as ad_set_name,
        record ->> 'ad_name' as ad_name,
        upper(record ->> 'account_currency') as currency_code,

        -- metrics: every metric arrives as a string; spend exactly as written
        coalesce({{ string_to_number("record ->> 'spend'") }}, 0) as spend,
        coalesce({{ string_to_number("record ->> 'impressions'", 'bigint') }}, 0) as impressions,
        coalesce({{ string_to_number("record ->> 'clicks'", 'bigint') }}, 0) as clicks,
        coalesce({{ string_to_number("record ->> 'reach'", 'bigint') }}, 0) as reach,
        {%- for column, array, action_type in action_columns %}
            coalesce(
                (
                    select sum({{ string_to_number("action_item ->> 'value'") }})
                    from jsonb_array_elements(
                            case
                                when jsonb_typeof(source.record -> '{{ array }}') = 'array'
                                    then source.record -> '{{ array }}'
                                else '[]'::jsonb
                            end
                        ) as action_item
                    where action_item ->> 'action_type' = '{{ action_type }}'
                ),
                0
            ) as {{ column }},
        {%- endfor %}

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
