{#-
    Fiscal calendar arithmetic, shared by dim_dates and quota_periods() so the published
    calendar and quota pacing cannot disagree. The fiscal year starts on the first day of
    var fiscal_year_start_month (1-12) and is named after the calendar year it ends in.
-#}

{#- fiscal_year_start_month(): the validated var, as an integer. -#}
{% macro fiscal_year_start_month() -%}
    {%- set start_month = var('fiscal_year_start_month') | int -%}
    {%- if start_month < 1 or start_month > 12 -%}
        {{ exceptions.raise_compiler_error(
            "var fiscal_year_start_month must be a month number 1-12, got '"
            ~ var('fiscal_year_start_month') ~ "'"
        ) }}
    {%- endif -%}
    {{- return(start_month) -}}
{%- endmacro %}


{#- fiscal_month(date_expression): 1 for the fiscal year's first month ... 12. -#}
{% macro fiscal_month(date_expression) -%}
    (mod(cast(extract(month from {{ date_expression }}) as integer)
        - {{ fiscal_year_start_month() }} + 12, 12) + 1)
{%- endmacro %}


{#- fiscal_year_start_date(date_expression): the first day of the day's fiscal year. -#}
{% macro fiscal_year_start_date(date_expression) -%}
    make_date(
        cast(extract(year from {{ date_expression }}) as integer)
        - case
            when extract(month from {{ date_expression }}) < {{ fiscal_year_start_month() }}
                then 1
            else 0
        end,
        {{ fiscal_year_start_month() }},
        1
    )
{%- endmacro %}


{#- fiscal_quarter_start_date(date_expression): the first day of the day's fiscal quarter. -#}
{% macro fiscal_quarter_start_date(date_expression) -%}
    cast(
        {{ fiscal_year_start_date(date_expression) }}
        + (({{ fiscal_month(date_expression) }} - 1) / 3) * interval '3 months'
        as date
    )
{%- endmacro %}
