/*
    Journeys for the data-driven (Markov removal-effect) model: one row per touch of a path.
    Converting paths: a conversion's touchpoints in the lookback window before it
    (var attribution_lookback_days). Non-converting paths: per conversion type, a contact's
    touchpoints in the window before the end of the data, for contacts without a conversion
    of that type. Paths without any touch are left out (they carry no channel).
*/
with

touchpoints as (

    select * from {{ ref('int_attribution_touchpoints') }}

),

journeys as (

    select * from {{ ref('int_attribution_journeys') }}
    where touchpoint_id is not null

),

conversions as (

    select * from {{ ref('int_attribution_conversions') }}

),

conversion_types as (

    select conversion_type
    from (
        values ('lead'), ('mql'), ('sql'), ('opportunity'), ('closed_won')
    ) as type_values (conversion_type)

),

data_end as (

    select max(event_at) as data_end_at
    from (
        select touched_at as event_at from touchpoints
        union all
        select converted_at as event_at from conversions
    ) as events

),

converting_touches as (

    select
        conversion_type,
        conversion_id as path_id,
        touchpoint_id,
        touched_at,
        channel,
        true as is_converted
    from journeys

),

non_converting_touches as (

    select
        conversion_types.conversion_type,
        'open:' || conversion_types.conversion_type || ':' || touchpoints.contact_id as path_id,
        touchpoints.touchpoint_id,
        touchpoints.touched_at,
        touchpoints.channel,
        false as is_converted
    from touchpoints
    cross join conversion_types
    cross join data_end
    where
        touchpoints.touched_at
        > data_end.data_end_at - interval '1 day' * {{ var('attribution_lookback_days') }}
        and not exists (
            select 1
            from conversions
            where
                conversions.contact_id = touchpoints.contact_id
                and conversions.conversion_type = conversion_types.conversion_type
        )

),

path_touches as (

    select * from converting_touches
    union all
    select * from non_converting_touches

),

final as (

    select
        conversion_type,
        path_id,
        cast(
            row_number() over (partition by path_id order by touched_at, touchpoint_id)
            as integer
        ) as step_number,
        channel,
        is_converted
    from path_touches

)

select * from final
