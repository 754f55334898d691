{#-
    forecast_band(expression, var_name): the band of a number for the statistical forecast's
    cells (models/marts/sales/README_forecast.md), from a var listing the bands' lower bounds
    in increasing order (forecast_size_bands, forecast_age_band_days): with [14, 30, 60],
    '<14', '14-30' (14 <= x < 30), '30-60', '>=60'; null is 'unknown'.
-#}
{% macro forecast_band(expression, var_name) -%}
    {%- set bounds = var(var_name) -%}
    {%- if bounds is string or bounds is not iterable or bounds | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ var_name ~ " must be a non-empty list of increasing numbers, got '"
            ~ bounds ~ "'"
        ) }}
    {%- endif -%}
    {%- for bound in bounds -%}
        {%- if bound is not number or (not loop.first and bound <= bounds[loop.index0 - 1]) -%}
            {{ exceptions.raise_compiler_error(
                "var " ~ var_name ~ " must be a non-empty list of increasing numbers, got '"
                ~ bounds ~ "'"
            ) }}
        {%- endif -%}
    {%- endfor -%}
    case
        when {{ expression }} is null then 'unknown'
        {%- for bound in bounds %}
        when {{ expression }} < {{ bound }} then
            '{{ "<" ~ bound if loop.first else bounds[loop.index0 - 1] ~ "-" ~ bound }}'
        {%- endfor %}
        else '>={{ bounds[-1] }}'
    end
{%- endmacro %}


{#-
    forecast_horizon_band(as_of_date, period_end): how long an open deal has left to close in
    the period, in whole weeks from the as-of day to the period end: '0-3 weeks', '4-7 weeks',
    '8+ weeks' (a quarter has 13).
-#}
{% macro forecast_horizon_band(as_of_date, period_end) -%}
    case
        when {{ dbt.datediff(as_of_date, period_end, 'day') }} / 7 < 4 then '0-3 weeks'
        when {{ dbt.datediff(as_of_date, period_end, 'day') }} / 7 < 8 then '4-7 weeks'
        else '8+ weeks'
    end
{%- endmacro %}
