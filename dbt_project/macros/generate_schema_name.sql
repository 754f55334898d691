{#-
    Where a model or seed lands.

    * No custom schema (marts): the target schema (prod: analytics_build, published by rename).
    * Target prod: a custom schema is used verbatim (staging, intermediate, seeds).
    * Any other target: <target schema>_<custom schema>, so a dev build never touches prod.
      Its target schema must start with dev_ (thinline dbt sets dev_<name>): a dev target
      pointed at analytics, staging or another shared schema stops here.
    * Under `thinline dbt` (THINLINE_DBT_DEV_ONLY) the prod target stops here too, however it
      was named (--target, -t, DBT_TARGET, an edited profile): it is the nightly run's.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if env_var('THINLINE_DBT_DEV_ONLY', '') and target.name == 'prod' -%}
        {{ exceptions.raise_compiler_error(
            "thinline dbt builds only into your dev schema: the prod target (schema "
            ~ target.schema ~ ") is the nightly run's (thinline run)"
        ) }}
    {%- endif -%}
    {%- if target.name != 'prod' and not target.schema.startswith('dev_') -%}
        {{ exceptions.raise_compiler_error(
            "target " ~ target.name ~ " builds into schema " ~ target.schema
            ~ ": a development schema must start with dev_ (set THINLINE_DBT_DEV_SCHEMA)"
        ) }}
    {%- endif -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.name == 'prod' -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
