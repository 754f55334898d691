{#- The eight attribution models fct_attribution publishes, one row each (column model): the
    reports that give every model a row, spend or not, select from it. -#}
{% macro attribution_models() -%}
    select model
    from (
        values
        ('first_touch'), ('last_touch'), ('last_non_direct'), ('linear'),
        ('position_based'), ('w_shaped'), ('time_decay'), ('data_driven')
    ) as models (model)
{%- endmacro %}
