{#-
    Casts for values that sources deliver as JSON strings (HubSpot properties are all strings
    or null; Google Ads int64 fields are strings). Each takes a SQL expression yielding text.
    An empty or blank string is null, never a zero or a false.
-#}

{#- '12500.00' -> 12500.00; also for integer ids: data_type='bigint'. -#}
{% macro string_to_number(text_expression, data_type='numeric') -%}
    cast(nullif(btrim({{ text_expression }}), '') as {{ data_type }})
{%- endmacro %}

{#- 'true' / 'false' (any case) -> boolean; anything else (null, '') -> null. -#}
{% macro string_to_boolean(text_expression) -%}
    case lower(btrim({{ text_expression }}))
        when 'true' then true
        when 'false' then false
    end
{%- endmacro %}

{#-
    ISO-8601 text to timestamptz: with or without milliseconds, with 'Z' or a numeric offset.
    Text without an offset (a bare date, or a local date-time) is read as UTC, never in the
    session time zone; a string of digits is epoch milliseconds (HubSpot legacy format).
-#}
{% macro string_to_timestamp(text_expression) -%}
    case
        when nullif(btrim({{ text_expression }}), '') is null then null
        when btrim({{ text_expression }}) ~ '^[0-9]{10,}$'
            then to_timestamp(cast(btrim({{ text_expression }}) as numeric) / 1000)
        when btrim({{ text_expression }})
            ~ '[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)? ?([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$'
            then cast(btrim({{ text_expression }}) as timestamptz)
        else cast(btrim({{ text_expression }}) as timestamp) at time zone 'UTC'
    end
{%- endmacro %}

{#-
    Google Ads money: an int64 count of micros (an int64 string, or an integer/numeric column)
    to currency units, exactly: numeric times 0.000001 (scale 6). Never through float, and not
    as numeric / 1000000 either: PostgreSQL rounds a numeric quotient to about 16 significant
    digits, which loses micros on large counts. A missing value is 0 (zero metrics are omitted).
-#}
{% macro micros_to_units(micros_expression) -%}
    coalesce(cast({{ micros_expression }} as numeric), 0) * 0.000001
{%- endmacro %}
