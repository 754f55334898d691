{#-
    Compound primary key test: no two rows share the same values of combination_of_columns.
    Nulls count as a value (as in GROUP BY): key columns that may be null, such as the ad of a
    campaign-level row, still identify one row. Add not_null tests on the parts that must exist.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with key_counts as (

    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as row_count
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1

)

select * from key_counts

{% endtest %}
