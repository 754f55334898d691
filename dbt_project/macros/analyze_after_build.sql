{#-
    Statistics for the planner right after a table is built (a post-hook on every model, seed
    and snapshot, dbt_project.yml): without them, the next model's plan depends on whether
    autovacuum happened to analyze its inputs yet (one query took 63 s before ANALYZE and 0.3 s
    after). Views have no statistics of their own: nothing to do for them.
-#}
{% macro analyze_after_build() -%}
    {%- if config.get('materialized') in ('table', 'incremental', 'seed', 'snapshot') -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
