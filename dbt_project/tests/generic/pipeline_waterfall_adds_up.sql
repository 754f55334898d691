{#-
    Every row of a pipeline waterfall adds up: opening + every flow = closing, exactly
    (rpt_pipeline_waterfall; outflows are negative). Returns the rows that do not.
-#}
{% test pipeline_waterfall_adds_up(model) %}

{%- set flows = [
    'created', 'reopened', 'pulled_in', 'reassigned_in', 'increased', 'decreased',
    'fx_movement', 'pushed_out', 'reassigned_out', 'won', 'lost',
] %}

select *
from {{ model }}
-- a null anywhere fails too
where not coalesce(
    opening_pipeline
    {%- for flow in flows %}
        + {{ flow }}
    {%- endfor %}
    = closing_pipeline,
    false
)

{% endtest %}
