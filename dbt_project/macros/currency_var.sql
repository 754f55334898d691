{#-
    A currency var (reporting_currency, hubspot_default_currency) as a quoted SQL literal,
    upper-cased and checked to be a three-letter ISO 4217 code: 'USD'.
-#}
{% macro currency_var(var_name) -%}
    {%- set currency_code = (var(var_name) | string | trim | upper) -%}
    {%- if modules.re.fullmatch('[A-Z]{3}', currency_code) is none -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ var_name ~ " must be a three-letter ISO 4217 currency code, got '"
            ~ var(var_name) ~ "'"
        ) }}
    {%- endif -%}
    '{{ currency_code }}'
{%- endmacro %}
