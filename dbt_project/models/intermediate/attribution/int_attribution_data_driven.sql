{{ config(materialized='table') }}
/*
    data_driven credits: each conversion's credit (per attribution scope) is split across its
    channels in proportion to their removal shares (int_attribution_removal_effects, per
    scope and conversion type: each scope has its own chain), and a
    channel's part equally among its touches in the journey. A journey whose channels all
    have a zero (or no) removal share is split equally among its touches (linear). A
    conversion without touches gets one 'unattributed' row with credit 1.
*/
with

journeys as (

    select * from {{ ref('int_attribution_journeys') }}

),

removal_effects as (

    select * from {{ ref('int_attribution_removal_effects') }}

),

touches as (

    select
        journeys.conversion_id,
        journeys.attribution_scope,
        journeys.touchpoint_id,
        journeys.channel,
        journeys.touch_count,
        coalesce(removal_effects.removal_share, 0) as removal_share,
        count(*) over (
            partition by journeys.conversion_id, journeys.attribution_scope, journeys.channel
        ) as channel_touches
    from journeys
    left join removal_effects
        on
            journeys.attribution_scope = removal_effects.attribution_scope
            and journeys.conversion_type = removal_effects.conversion_type
            and journeys.channel = removal_effects.channel
    where journeys.touchpoint_id is not null

),

shares as (

    select
        *,
        -- each channel once: its share, divided among its touches below
        sum(removal_share / channel_touches) over (
            partition by conversion_id, attribution_scope
        ) as journey_share
    from touches

),

credits as (

    select
        conversion_id,
        attribution_scope,
        touchpoint_id,
        'data_driven' as model,  -- noqa: RF04
        case
            when journey_share > 0 then removal_share / channel_touches / journey_share
            else 1.0 / touch_count
        end as credit
    from shares
    union all
    select
        conversion_id,
        attribution_scope,
        touchpoint_id,
        'data_driven' as model,  -- noqa: RF04
        1.0 as credit
    from journeys
    where touchpoint_id is null

),

final as (

    select
        conversion_id,
        attribution_scope,
        touchpoint_id,
        model,
        trim_scale(cast(credit as numeric)) as credit
    from credits
    where credit > 0

)

select * from final
