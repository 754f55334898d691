{#-
    Which rows a night's data tests read (thinline/pipeline.py, raw_check_scope). The nightly
    run tests only the rows it changed on six nights of seven, as its raw checks do, and every
    row on Sunday's, on demand (THINLINE_FULL_CHECKS) and whenever dbt runs outside a night.

    A test opts in with `where: __derived_this_run__` (models with _derived_at, the time each
    row was last derived): in batch scope (THINLINE_DBT_TEST_SCOPE=batch) it reads the rows
    derived since THINLINE_DBT_TESTED_SINCE, the end of the last nightly build that passed every
    test (thinline/tested.py; without it, since this invocation began); otherwise every row. A
    row derived before then was read by a build whose tests passed; a row an attempt derived and
    a test refused is read again by the retry. The tables these tests cover hold a unique index
    on the tested key, so a new row cannot duplicate an old one unseen.
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


{#- The condition: rows derived since the last passing build (batch scope), or true. -#}
{% macro derived_this_run() -%}
    {%- set scope = env_var('THINLINE_DBT_TEST_SCOPE', 'full') -%}
    {%- if scope not in ['batch', 'full'] -%}
        {{ exceptions.raise_compiler_error(
            "THINLINE_DBT_TEST_SCOPE must be batch or full, not " ~ scope
        ) }}
    {%- endif -%}
    {%- if scope == 'batch' -%}
        {%- set since = env_var('THINLINE_DBT_TESTED_SINCE', '') or run_started_at.isoformat() %}
        _derived_at >= cast('{{ since }}' as timestamptz)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
