{{ config(
    materialized='table',
    pre_hook="set local parallel_tuple_cost = 0",
) }}
/*
    Transition counts of the data-driven (Markov removal-effect) model's chains, one chain per
    attribution scope and conversion type (README_markov.md): how many journeys went from one
    state to the next. from_channel null = the journey's start; to_channel null = the
    journey's end, into conversion when is_converted, else into null.

    Journeys: converting = a conversion's touches in the lookback window before it (var
    attribution_lookback_days), in its scope (int_attribution_journeys); non-converting = per
    scope and conversion type, a contact's touches in the window before the end of the data,
    for contacts without a conversion of that type: in contact scope, conversions of their
    own; in account scope (opportunity and closed_won), conversions of any deal whose buying
    committee they are on. Paths without any touch are left out (they carry no channel).
    Account scope is a second path set over the same touches: the recent touches are still
    ordered once, and counted once per combination of the types a contact has in each scope.

    Counted with hash aggregates, never a sort of the journeys: int_attribution_journeys
    already holds each touch's next channel (from the window that numbers the touches), and a
    non-converting path is ordered once per contact, whatever the number of conversion types.
    parallel_tuple_cost 0 (this transaction only): otherwise the planner sorts the recent
    touches in one process, though workers sorting them in parallel take a third less time for
    that step (measured at 1M journeys; bench/results/markov.json has the model's time).
*/
with

journeys as (

    select * from {{ ref('int_attribution_journeys') }}
    where touchpoint_id is not null

),

conversion_types as (

    -- a bit each, so the types a contact has are one integer
    select
        conversion_type,
        type_bit
    from (
        values ('lead', 1), ('mql', 2), ('sql', 4), ('opportunity', 8), ('closed_won', 16)
    ) as type_values (conversion_type, type_bit)

),

-- each touch of a converting journey: into its channel (from start on the first touch) and,
-- on the last, out into conversion
converting_steps as (

    select
        attribution_scope,
        conversion_type,
        channel,
        next_channel,
        count(*) as step_count,
        count(*) filter (where touch_number = 1) as first_count
    from journeys
    group by attribution_scope, conversion_type, channel, next_channel

),

-- the touches of the last lookback window, each with the next touch of its contact
-- (touchpoints and conversions read directly, not through a CTE used twice, which PostgreSQL
-- would write out whole)
recent_touches as (

    select
        touchpoints.contact_id,
        touchpoints.channel,
        lead(touchpoints.channel) over contact_path as next_channel,
        row_number() over contact_path = 1 as is_first
    from {{ ref('int_attribution_touchpoints') }} as touchpoints
    where
        touchpoints.touched_at > (
            select
                greatest(
                    (select max(touched_at) from {{ ref('int_attribution_touchpoints') }}),
                    (select max(converted_at) from {{ ref('int_attribution_conversions') }})
                )
        ) - interval '1 day' * {{ var('attribution_lookback_days') }}
    window contact_path as (
        -- byte order: the partition only groups, and byte comparisons of 100,000s of ids are
        -- much cheaper than linguistic ones (a tenth of this model's time at 1M journeys)
        partition by touchpoints.contact_id collate "C"
        order by touchpoints.touched_at, touchpoints.touchpoint_id
    )

),

contact_conversion_types as (

    select
        conversions.contact_id,
        bit_or(conversion_types.type_bit) as type_bits
    from {{ ref('int_attribution_conversions') }} as conversions
    inner join conversion_types
        on conversions.conversion_type = conversion_types.conversion_type
    group by conversions.contact_id

),

-- account scope: the deal conversions of every member of the deal's buying committee
committee_conversion_types as (

    select
        buying_committees.contact_id,
        bit_or(conversion_types.type_bit) as type_bits
    from {{ ref('int_attribution_conversions') }} as conversions
    inner join {{ ref('int_attribution_buying_committees') }} as buying_committees
        on conversions.deal_key = buying_committees.deal_key
    inner join conversion_types
        on conversions.conversion_type = conversion_types.conversion_type
    group by buying_committees.contact_id

),

-- counted by the conversion types a contact already has in each scope (at most 32 x 4
-- combinations), so each touch is counted once and not once per scope and conversion type
recent_steps as (

    select
        recent_touches.channel,
        recent_touches.next_channel,
        coalesce(contact_conversion_types.type_bits, 0) as converted_bits,
        coalesce(committee_conversion_types.type_bits, 0) as committee_converted_bits,
        count(*) as step_count,
        count(*) filter (where recent_touches.is_first) as first_count
    from recent_touches
    left join contact_conversion_types
        on recent_touches.contact_id = contact_conversion_types.contact_id
    left join committee_conversion_types
        on recent_touches.contact_id = committee_conversion_types.contact_id
    group by
        recent_touches.channel,
        recent_touches.next_channel,
        contact_conversion_types.type_bits,
        committee_conversion_types.type_bits

),

-- the chains: every conversion type in contact scope, the deal conversions in account scope
scope_types as (

    select
        scopes.attribution_scope,
        conversion_types.conversion_type,
        conversion_types.type_bit
    from conversion_types
    cross join (values ('contact'), ('account')) as scopes (attribution_scope)
    where
        scopes.attribution_scope = 'contact'
        or conversion_types.conversion_type in ('opportunity', 'closed_won')

),

non_converting_steps as (

    select
        scope_types.attribution_scope,
        scope_types.conversion_type,
        recent_steps.channel,
        recent_steps.next_channel,
        sum(recent_steps.step_count) as step_count,
        sum(recent_steps.first_count) as first_count
    from recent_steps
    cross join scope_types
    where
        case
            when scope_types.attribution_scope = 'account'
                then recent_steps.committee_converted_bits
            else recent_steps.converted_bits
        end
        & scope_types.type_bit = 0
    group by
        scope_types.attribution_scope,
        scope_types.conversion_type,
        recent_steps.channel,
        recent_steps.next_channel

),

steps as (

    select
        attribution_scope,
        conversion_type,
        channel,
        next_channel,
        true as is_converted,
        step_count,
        first_count
    from converting_steps
    union all
    select
        attribution_scope,
        conversion_type,
        channel,
        next_channel,
        false as is_converted,
        step_count,
        first_count
    from non_converting_steps

),

transitions as (

    -- start -> first touch
    select
        attribution_scope,
        conversion_type,
        cast(null as text) as from_channel,
        channel as to_channel,
        false as is_converted,
        first_count as transition_count
    from steps
    where first_count > 0

    union all

    -- touch -> next touch, or last touch -> the path's end
    select
        attribution_scope,
        conversion_type,
        channel as from_channel,
        next_channel as to_channel,
        next_channel is null and is_converted as is_converted,
        step_count as transition_count
    from steps

),

final as (

    select
        attribution_scope,
        conversion_type,
        from_channel,
        to_channel,
        is_converted,
        cast(sum(transition_count) as bigint) as transition_count
    from transitions
    group by attribution_scope, conversion_type, from_channel, to_channel, is_converted

)

select * from final
