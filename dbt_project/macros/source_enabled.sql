{#- Whether a source is extracted into this warehouse: THINLINE_SOURCES, as dbt_project.yml
    reads it to enable each staging folder. Union models wrap a source's branch in it. -#}
{% macro source_enabled(source_name) %}
    {{- return(source_name in env_var(
        'THINLINE_SOURCES', 'hubspot,salesforce,google_ads,meta_ads,linkedin_ads'
    ).split(',')) -}}
{% endmacro %}
