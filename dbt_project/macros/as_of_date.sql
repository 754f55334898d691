{#-
    as_of_date(): "today" for the build, as a SQL date. The nightly run sets
    THINLINE_AS_OF_DATE to the last day of its data interval, so a re-run of a night (or a
    backfill) gives the same numbers; a build without it (an analyst's dev build) takes the
    current UTC date.
-#}
{% macro as_of_date() -%}
    {%- set value = env_var('THINLINE_AS_OF_DATE', '') | trim -%}
    {%- if value == '' -%}
        {{ to_utc_date(dbt.current_timestamp()) }}
    {%- elif modules.re.fullmatch('\\d{4}-\\d{2}-\\d{2}', value) is none -%}
        {{ exceptions.raise_compiler_error(
            "THINLINE_AS_OF_DATE must be a date YYYY-MM-DD, got '" ~ value ~ "'"
        ) }}
    {%- else -%}
        cast('{{ value }}' as date)
    {%- endif -%}
{%- endmacro %}
