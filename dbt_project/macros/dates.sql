{#-
    The UTC calendar date of a timestamptz. A plain cast to date would use the session
    time zone; every <event>_date in Thinline is the UTC date of its <event>_at.
-#}
{% macro to_utc_date(timestamp_expression) -%}
    cast({{ timestamp_expression }} at time zone 'UTC' as date)
{%- endmacro %}
