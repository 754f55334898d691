{#- One `union all` of the same columns over the per-source models of the enabled sources
    (source_enabled); with none enabled, an empty result of the same types, so marts always
    build. `columns` maps each column to its type. -#}
{% macro union_sources(models_by_source, columns) %}
    {%- set models = [] -%}
    {%- for source_name, model_name in models_by_source.items() -%}
        {%- if source_enabled(source_name) -%}
            {%- do models.append(model_name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for model_name in models %}
    select
        {%- for column in columns %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref(model_name) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select
        {%- for column, data_type in columns.items() %}
        cast(null as {{ data_type }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    where false
    {%- endfor %}
{% endmacro %}
