{#-
    How many rows of the group meet ``condition``: the portable spelling of PostgreSQL's
    ``count(*) filter (where ...)``, which most other engines lack.
-#}
{% macro count_where(condition) -%}
    cast(sum(case when {{ condition }} then 1 else 0 end) as {{ dbt.type_bigint() }})
{%- endmacro %}
