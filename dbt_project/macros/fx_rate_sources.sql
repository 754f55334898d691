{#-
    The rate sources int_fx_rates_daily tries, first to last (var fx_rate_sources): crm (a
    deal's own CRM: Salesforce's dated or static rates, HubSpot's exchange rates; deals only),
    ecb (the ECB's euro reference rates, raw_ecb) and manual (seeds/fx_rates.csv, US dollars
    per unit). An unknown name stops the compile naming it.
-#}
{% macro fx_rate_sources() %}
    {%- set known = ['crm', 'ecb', 'manual'] -%}
    {%- set chosen = var('fx_rate_sources') -%}
    {%- if chosen is string -%}
        {%- set chosen = chosen.split(',') | map('trim') | list -%}
    {%- endif -%}
    {%- for name in chosen -%}
        {%- if name not in known -%}
            {{ exceptions.raise_compiler_error(
                "var fx_rate_sources: unknown source '" ~ name ~ "'; known: " ~ known | join(', ')
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{- return(chosen) -}}
{% endmacro %}
