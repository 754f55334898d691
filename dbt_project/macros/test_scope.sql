{#-
    Which rows a night's data tests read (thinline/pipeline.py, test_scope). The nightly run
    tests only the rows it changed on six nights of seven, as its raw checks do, and every row
    on Sunday's, on demand (THINLINE_FULL_CHECKS) and whenever dbt runs outside a night.

    A test opts in with `where: __derived_this_run__` (models with _derived_at, the time each
    row was last derived): in batch scope (THINLINE_DBT_TEST_SCOPE=batch) it reads the rows this
    dbt invocation derived; otherwise every row. A row a night does not derive again is the row
    an earlier night tested. The tables these tests cover hold a unique index on the tested key,
    so a new row cannot duplicate an old one unseen.
-#}

{#- dbt's own, with the placeholder replaced (dbt's docs, "where" config: custom logic). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set where = where | replace('__derived_this_run__', derived_this_run()) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{#- The condition: rows derived since this invocation began (batch scope), or true. -#}
{% macro derived_this_run() -%}
    {%- set scope = env_var('THINLINE_DBT_TEST_SCOPE', 'full') -%}
    {%- if scope not in ['batch', 'full'] -%}
        {{ exceptions.raise_compiler_error(
            "THINLINE_DBT_TEST_SCOPE must be batch or full, not " ~ scope
        ) }}
    {%- endif -%}
    {%- if scope == 'batch' -%}
        _derived_at >= cast('{{ run_started_at.isoformat() }}' as timestamptz)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
