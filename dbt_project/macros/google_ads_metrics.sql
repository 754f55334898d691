{#- The metric columns of every Google Ads daily report (campaign, ad group, ad, keyword,
    search term): int64 metrics arrive as JSON strings, doubles as numbers, and Google leaves
    out a metric that is zero, so an absent one is 0. -#}
{% macro google_ads_metrics() -%}
    coalesce({{ string_to_number("record -> 'metrics' ->> 'costMicros'", 'bigint') }}, 0)
            as cost_micros,
        {{ micros_to_units("record -> 'metrics' ->> 'costMicros'") }} as spend,
        coalesce({{ string_to_number("record -> 'metrics' ->> 'impressions'", 'bigint') }}, 0)
            as impressions,
        coalesce({{ string_to_number("record -> 'metrics' ->> 'clicks'", 'bigint') }}, 0)
            as clicks,
        coalesce({{ string_to_number("record -> 'metrics' ->> 'conversions'") }}, 0)
            as conversions,
        coalesce({{ string_to_number("record -> 'metrics' ->> 'conversionsValue'") }}, 0)
            as conversions_value
{%- endmacro %}
