{#-
    Where a model or seed lands.

    * No custom schema (marts): the target schema (prod: analytics_build, published by rename).
    * Target prod: a custom schema is used verbatim (staging, intermediate, seeds).
    * Any other target: <target schema>_<custom schema>, so a dev build never touches prod.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.name == 'prod' -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
