{#
    Generic test for int_attribution_removal_effects: rows it returns are chains (attribution
    scope and conversion type) whose removal effects break the model's invariants: every effect in [0, 1]; shares either
    all null (no conversion reachable, every effect 0) or in [0, 1] and summing to 1 (up to
    the output rounding: 30 decimal places per channel).
#}
{% test markov_removal_effects_valid(model) %}

with

effects as (

    select * from {{ model }}

),

per_conversion_type as (

    select
        attribution_scope,
        conversion_type,
        count(*) as channel_count,
        count(removal_share) as share_count,
        sum(removal_share) as share_total,
        max(removal_effect) as max_effect,
        min(removal_effect) as min_effect,
        min(removal_share) as min_share,
        max(removal_share) as max_share
    from effects
    group by attribution_scope, conversion_type

)

select *
from per_conversion_type
where
    min_effect < 0
    or max_effect > 1
    or (share_count = 0 and max_effect <> 0)
    or (
        share_count > 0
        and (
            share_count <> channel_count
            or min_share < 0
            or max_share > 1
            or abs(share_total - 1) > channel_count * 1e-30
        )
    )

{% endtest %}
