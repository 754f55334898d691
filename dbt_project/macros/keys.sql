{#-
    A readable text key from its parts: 'google_ads:20123456789', 'hubspot:8078784221'.
    A null part becomes '' so keys of rows with optional parts (a campaign-level spend row has
    no ad group and no ad) stay distinct and not null.
-#}
{% macro key_from(column_expressions) -%}
    {%- for column_expression in column_expressions -%}
        coalesce(cast({{ column_expression }} as text), '')
        {%- if not loop.last %} || ':' || {% endif -%}
    {%- endfor -%}
{%- endmacro %}
