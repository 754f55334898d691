{#-
    One row per day (column date_day) from var calendar_start to var calendar_end, inclusive.
    The single day spine of the project: dim_dates and int_fx_rates_daily both select from it.
    It needs no database round trip at compile time (unlike dbt.date_spine), so sqlfluff's dbt
    templater can render the models offline.
-#}
{% macro calendar_days() -%}
    {%- set calendar_start = var('calendar_start') -%}
    {%- set calendar_end = var('calendar_end') -%}
    {%- if calendar_start > calendar_end -%}
        {{ exceptions.raise_compiler_error(
            "var calendar_start (" ~ calendar_start ~ ") is after calendar_end (" ~ calendar_end ~ ")"
        ) }}
    {%- endif -%}
    select cast(calendar_day as date) as date_day
    from generate_series(
        cast('{{ calendar_start }}' as date),
        cast('{{ calendar_end }}' as date),
        interval '1 day'
    ) as calendar_days (calendar_day)
{%- endmacro %}
