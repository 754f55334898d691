{#- Whether a source is extracted into this warehouse: THINLINE_SOURCES, which Thinline passes
    to every dbt command it runs (thinline/dbt.py; unset or "all": every source). Each staging
    model of models/staging/<source>/ is enabled by it, and union models wrap a source's branch
    in it, so any subset of sources builds. -#}
{% macro source_enabled(source_name) %}
    {%- set enabled = env_var('THINLINE_SOURCES', 'all') | replace(' ', '') -%}
    {{- return(enabled == 'all' or source_name in enabled.split(',')) -}}
{% endmacro %}
