{{ config(materialized='table') }}
/*
    Exact first-order Markov removal effects per attribution scope, conversion type and
    channel, for the data_driven model (README_markov.md). Each scope's chains are solved
    apart (account scope: opportunity and closed_won over the buying committees' journeys).

    * The chain: states start, one per channel, conversion and null. Every journey
      contributes start -> first touch's channel, each touch -> the next touch's channel, and
      last touch -> conversion (a converting path) or null; int_attribution_markov_transitions
      counts them. Transition probabilities are the counts out of a state over its total, so
      only the counts go to the solver.
    * P(conversion) = absorption probability in conversion from start. Removing channel c
      redirects every transition into c to null; removal effect = 1 - P(without c) / P;
      removal share = removal effect / sum of removal effects of the conversion type.
    * Solved exactly (macros/markov_functions.sql, installed by on-run-start): integer
      fraction-free Gauss-Jordan elimination on the absorbing chain's linear system, exact
      rationals to the end, rounded only on output (30 decimal places). No simulation.
    * Repeated touches of one channel are self-loops; they leave every absorption
      probability unchanged (they only rescale that state's other transitions).
    * Edge cases: no converting path in a conversion type -> removal_effect 0 and
      removal_share null for each of its channels; a channel without which nothing converts
      -> removal_effect 1; a single channel -> effect 1, share 1. Conversion types without
      any path have no rows.

    A table: the solve runs once per build, not on every read.
*/
with

transition_counts as (

    select * from {{ ref('int_attribution_markov_transitions') }}

),

chains as (

    -- one chain per scope and conversion type; every array in the same (unique) order
    select
        attribution_scope,
        conversion_type,
        array_agg(
            from_channel order by from_channel nulls first, to_channel nulls first, is_converted
        ) as from_channels,
        array_agg(
            to_channel order by from_channel nulls first, to_channel nulls first, is_converted
        ) as to_channels,
        array_agg(
            is_converted order by from_channel nulls first, to_channel nulls first, is_converted
        ) as is_converted_flags,
        array_agg(
            transition_count
            order by from_channel nulls first, to_channel nulls first, is_converted
        ) as transition_counts
    from transition_counts
    group by attribution_scope, conversion_type

),

final as (

    select
        chains.attribution_scope,
        chains.conversion_type,
        removal.channel_name as channel,
        removal.removal_effect,
        removal.removal_share
    from chains
    cross join lateral {{ markov_function_schema() }}.markov_removal_effects(
        chains.from_channels,
        chains.to_channels,
        chains.is_converted_flags,
        chains.transition_counts
    ) as removal

)

select * from final
