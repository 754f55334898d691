{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook=[
        "set local parallel_tuple_cost = 0",
        "{{ markov_update_open_paths() }}",
        "{{ markov_forget_counts() }}",
    ],
    post_hook=["{{ incremental_save_state({'window_start': 'markov_window'}, 'window_start_at') }}"],
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

    Both are kept additively (README_markov.md "Incremental nights"). Converting journeys:
    int_attribution_journeys keeps their steps beside it (__steps: a night subtracts the
    rebuilt conversions' old steps and adds their new ones, macros/journey_changes.sql), read
    here, a few hundred rows, instead of the journeys. Non-converting paths
    (macros/markov_incremental.sql): the pre-hook subtracts the old transitions of the contacts
    whose touches in the window, conversion types or committees changed since the last build
    and adds their new ones; a first build, --full-refresh or a changed model derives every
    path. The state (table comment) keeps this build's window start: the next reads the
    touches after it.
    parallel_tuple_cost 0 (this transaction only): workers then share the scans.
*/
with

-- each touch of a converting journey: into its channel (from start on the first touch) and,
-- on the last, out into conversion
converting_steps as (

    {{ markov_converting_steps() }}

),

-- the non-converting paths' transitions, start and end included
open_counts as (

    {{ markov_open_counts() }}

),

transitions as (

    -- a converting journey: start -> first touch
    select
        attribution_scope,
        conversion_type,
        cast(null as text) as from_channel,
        channel as to_channel,
        false as is_converted,
        first_count as transition_count
    from converting_steps
    where first_count > 0

    union all

    -- touch -> next touch, or last touch -> conversion
    select
        attribution_scope,
        conversion_type,
        channel as from_channel,
        next_channel as to_channel,
        next_channel is null as is_converted,
        step_count as transition_count
    from converting_steps

    union all

    -- the non-converting paths
    select
        attribution_scope,
        conversion_type,
        from_channel,
        to_channel,
        false as is_converted,
        transition_count
    from open_counts

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
