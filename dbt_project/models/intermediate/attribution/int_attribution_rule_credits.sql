{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    meta={
        'fingerprint_vars': [
            'position_based_first_weight', 'position_based_last_weight',
            'w_shaped_first_weight', 'w_shaped_lead_weight', 'w_shaped_opportunity_weight',
            'time_decay_half_life_days',
        ],
    },
    pre_hook=["{{ journeys_reader_forget() }}"],
    post_hook=["{{ journeys_reader_save() }}"],
) }}
/*
    Credit of each touch of each conversion under the seven rule-based models, per
    attribution scope (README.md in models/marts/attribution has the weights). A conversion
    without touches gets one 'unattributed' row with credit 1 in every model; touches with
    zero credit are left out.

    Incremental (macros/journey_changes.sql, README_markov.md "Incremental nights"): a
    conversion's credits depend only on its own journey, so a night derives again only the
    conversions int_attribution_journeys rebuilt since this table's last build (its change
    log); a whole build of the journeys, a changed model or weight var rebuilds every one.
*/
{%- set state = journeys_reader_state() %}
{%- set first_weight = var('position_based_first_weight') %}
{%- set last_weight = var('position_based_last_weight') %}
{%- set w_first = var('w_shaped_first_weight') %}
{%- set w_lead = var('w_shaped_lead_weight') %}
{%- set w_deal = var('w_shaped_opportunity_weight') %}
with

journeys as (

    select * from {{ ref('int_attribution_journeys') }}
    {%- if state is not none %}
    where conversion_id in ({{ journeys_changed_since(state) }})
    {%- endif %}

),

milestoned as (

    select
        *,
        (
            touch_number = 1
            or touch_number = lead_milestone_number
            or touch_number = deal_milestone_number
        ) as is_milestone,
        -- distinct touches holding a milestone (the first touch always holds one)
        (
            1
            + case when lead_milestone_number != 1 then 1 else 0 end
            + case
                when
                    deal_milestone_number != 1
                    and deal_milestone_number is distinct from lead_milestone_number
                    then 1
                else 0
            end
        ) as milestone_touch_count
    from journeys
    where touchpoint_id is not null

),

raw_weights as (

    select
        *,
        -- w_shaped: the summed weights of the milestones a touch holds; the other touches
        -- share the rest equally
        case
            when is_milestone
                then
                    case when touch_number = 1 then {{ w_first }} else 0 end
                    + case when touch_number = lead_milestone_number then {{ w_lead }} else 0 end
                    + case when touch_number = deal_milestone_number then {{ w_deal }} else 0 end
            else
                (1 - {{ w_first }} - {{ w_lead }} - {{ w_deal }})
                / (touch_count - milestone_touch_count)
        end as w_shaped_weight,
        power(
            cast(0.5 as double precision),
            cast(extract(epoch from converted_at - touched_at) as double precision)
            / 86400.0 / {{ var('time_decay_half_life_days') }}
        ) as time_decay_weight
    from milestoned

),

weighted as (

    select
        *,
        sum(w_shaped_weight) over journey as w_shaped_total,
        sum(time_decay_weight) over journey as time_decay_total
    from raw_weights
    -- summed in touch order: a float sum depends on its order, and a journey's rows need not
    -- lie in the table in any order (int_attribution_journeys is built incrementally)
    window journey as (
        partition by conversion_id, attribution_scope
        order by touch_number
        rows between unbounded preceding and unbounded following
    )

),

credits as (

    select
        weighted.conversion_id,
        weighted.attribution_scope,
        weighted.touchpoint_id,
        models.model,
        models.credit
    from weighted
    cross join lateral (
        values
        ('first_touch', case when weighted.touch_number = 1 then 1.0 else 0.0 end),
        (
            'last_touch',
            case when weighted.touch_number = weighted.touch_count then 1.0 else 0.0 end
        ),
        (
            'last_non_direct',
            case
                when
                    weighted.touch_number
                    = coalesce(weighted.last_non_direct_number, weighted.touch_count)
                    then 1.0
                else 0.0
            end
        ),
        ('linear', 1.0 / weighted.touch_count),
        (
            'position_based',
            case
                when weighted.touch_count = 1 then 1.0
                when weighted.touch_count = 2
                    then
                        case
                            when weighted.touch_number = 1 then {{ first_weight }}
                            else {{ last_weight }}
                        end
                        / ({{ first_weight }} + {{ last_weight }})
                when weighted.touch_number = 1 then {{ first_weight }}
                when weighted.touch_number = weighted.touch_count then {{ last_weight }}
                else (1 - {{ first_weight }} - {{ last_weight }}) / (weighted.touch_count - 2)
            end
        ),
        (
            'w_shaped',
            cast(weighted.w_shaped_weight as numeric)
            / nullif(cast(weighted.w_shaped_total as numeric), 0)
        ),
        (
            'time_decay',
            cast(weighted.time_decay_weight / weighted.time_decay_total as numeric)
        )
    ) as models (model, credit)

),

unattributed as (

    select
        journeys.conversion_id,
        journeys.attribution_scope,
        cast(null as text) as touchpoint_id,
        models.model,
        1.0 as credit
    from journeys
    cross join (
        values
        ('first_touch'), ('last_touch'), ('last_non_direct'), ('linear'),
        ('position_based'), ('w_shaped'), ('time_decay')
    ) as models (model)
    where journeys.touchpoint_id is null

),

final as (

    select
        conversion_id,
        attribution_scope,
        touchpoint_id,
        model,
        -- trailing zeros trimmed: 1.0 and 0.25000 read as 1 and 0.25
        trim_scale(cast(credit as numeric)) as credit
    from credits
    where credit > 0
    union all
    select
        conversion_id,
        attribution_scope,
        touchpoint_id,
        model,
        trim_scale(cast(credit as numeric)) as credit
    from unattributed

)

select * from final
