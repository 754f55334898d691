{#-
    The non-converting paths of int_attribution_markov_transitions, kept from night to night
    (README_markov.md, "Incremental nights"). A contact's non-converting transitions depend
    only on its touches in the last lookback window and on the conversion types it has in each
    scope. Contacts fall into 262,144 buckets by a hash of their id; each bucket has a
    fingerprint of everything its contacts' paths depend on. A night finds the buckets whose
    fingerprint changed (new, late, moved or deleted touches, touches that left the window,
    new or withdrawn conversions, committee changes), subtracts their stored paths'
    transitions, adds their new ones, and stores their new paths: the counts equal a full
    recount's. Three tables beside the model keep the state:

      __open_paths   one row per contact with touches in the window: its path (channels in
                     touch order), bucket, and conversion types (bits) in each scope
      __open_counts  the transitions of all those paths, per chain (the additive counts)
      __buckets      each bucket's fingerprint as of the last build

    Not covered by the model's fingerprint (macros/incremental_state.sql): after changing a
    macro here, build with --full-refresh.
-#}

{#- 262,144 buckets: a day of the 1M-journey benchmark's changes (new people, returning
    visits, late touches, conversions, the window's move) touches about 15,000 contacts, so a
    night re-derives about 5% of the paths (at 65,536 buckets it was 19%), and the
    fingerprints are one hash aggregate of few enough groups to stay in memory. -#}
{% macro markov_bucket(contact_id) -%}
    (hashtext(coalesce({{ contact_id }}, '')) & 262143)
{%- endmacro %}


{% macro markov_beside(suffix) -%}
    {{ return(incremental_beside(suffix)) }}
{%- endmacro %}


{#- The conversion types, a bit each, so the types a contact has are one integer. -#}
{% macro markov_conversion_types() -%}
    select conversion_type, type_bit
    from (
        values ('lead', 1), ('mql', 2), ('sql', 4), ('opportunity', 8), ('closed_won', 16)
    ) as type_values (conversion_type, type_bit)
{%- endmacro %}


{#- The chains: every conversion type in contact scope, the deal conversions in account
    scope. -#}
{% macro markov_scope_types() -%}
    select scopes.attribution_scope, conversion_types.conversion_type, conversion_types.type_bit
    from ({{ markov_conversion_types() }}) as conversion_types
    cross join (values ('contact'), ('account')) as scopes (attribution_scope)
    where
        scopes.attribution_scope = 'contact'
        or conversion_types.conversion_type in ('opportunity', 'closed_won')
{%- endmacro %}


{#- The touches of the last lookback window (after the end of the data less the lookback):
    markov_recent, which the pre-hook reads once per build, or (a unit test) read here. -#}
{% macro markov_recent_touches() -%}
    {%- if execute and this is not none -%}
    markov_recent
    {%- else -%}
    (
        select contact_id, touchpoint_id, touched_at, channel
        from {{ ref('int_attribution_touchpoints') }}
        where touched_at > (
            select
                greatest(
                    (select max(touched_at) from {{ ref('int_attribution_touchpoints') }}),
                    (select max(converted_at) from {{ ref('int_attribution_conversions') }})
                ) - interval '1 day' * {{ var('attribution_lookback_days') }}
        )
    )
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook: markov_recent (the touches of the last window) and markov_window (its start),
    reading int_attribution_touchpoints once. The touches after the last build's window start
    (`since`) hold the latest touch whenever there is one, so the end of the data needs no
    other pass; a window that moved back (the latest touches deleted) reads what it gained. -#}
{% macro markov_read_window(since) -%}
    {%- set touchpoints = ref('int_attribution_touchpoints') -%}
    {%- set lookback = "interval '1 day' * " ~ var('attribution_lookback_days') -%}
    {%- set conversions_end =
        "(select max(converted_at) from " ~ ref('int_attribution_conversions') ~ ")" -%}
    {%- if not since -%}
    create temporary table markov_window on commit drop as
    select
        greatest((select max(touched_at) from {{ touchpoints }}), {{ conversions_end }})
        - {{ lookback }} as window_start_at;
    create temporary table markov_recent on commit drop as
    select contact_id, touchpoint_id, touched_at, channel
    from {{ touchpoints }}
    where touched_at > (select window_start_at from markov_window);
    {%- else -%}
    {%- set after = "cast('" ~ since ~ "' as timestamptz)" -%}
    create temporary table markov_recent on commit drop as
    select contact_id, touchpoint_id, touched_at, channel
    from {{ touchpoints }}
    where touched_at > {{ after }};
    create temporary table markov_window on commit drop as
    select
        greatest(
            coalesce(
                (select max(touched_at) from markov_recent),
                (select max(touched_at) from {{ touchpoints }})
            ),
            {{ conversions_end }}
        ) - {{ lookback }} as window_start_at;
    delete from markov_recent where touched_at <= (select window_start_at from markov_window);
    insert into markov_recent
    select contact_id, touchpoint_id, touched_at, channel
    from {{ touchpoints }}
    where
        (select window_start_at < {{ after }} from markov_window)
        and touched_at > (select window_start_at from markov_window)
        and touched_at <= {{ after }};
    {%- endif %}
    analyze markov_recent;
{%- endmacro %}


{#- `bucket in (buckets)`, or true when `buckets` (a relation with a column bucket) is none. -#}
{% macro markov_in_buckets(contact_id, buckets) -%}
    {%- if buckets is none -%}
        true
    {%- else -%}
        {{ markov_bucket(contact_id) }} in (select bucket from {{ buckets }})
    {%- endif -%}
{%- endmacro %}


{#- One row per contact with touches in the last window (of the buckets in `buckets`, or all):
    its path and the conversion types it has in contact scope (its own conversions) and in
    account scope (the deal conversions of every buying committee it is on). -#}
{% macro markov_open_paths(buckets=none) -%}
    with

    paths as (

        select
            touchpoints.contact_id collate "C" as contact_id,
            -- byte order: the groups only need to be found, and byte comparisons of
            -- 100,000s of ids are much cheaper than linguistic ones
            array_agg(
                touchpoints.channel order by touchpoints.touched_at, touchpoints.touchpoint_id
            ) as path
        from {{ markov_recent_touches() }} as touchpoints
        where {{ markov_in_buckets('touchpoints.contact_id', buckets) }}
        group by touchpoints.contact_id collate "C"

    ),

    conversion_types as (

        {{ markov_conversion_types() }}

    ),

    contact_types as (

        select
            conversions.contact_id,
            bit_or(conversion_types.type_bit) as type_bits
        from {{ ref('int_attribution_conversions') }} as conversions
        inner join conversion_types
            on conversions.conversion_type = conversion_types.conversion_type
        where {{ markov_in_buckets('conversions.contact_id', buckets) }}
        group by conversions.contact_id

    ),

    committee_types as (

        select
            buying_committees.contact_id,
            bit_or(conversion_types.type_bit) as type_bits
        from {{ ref('int_attribution_conversions') }} as conversions
        inner join {{ ref('int_attribution_buying_committees') }} as buying_committees
            on conversions.deal_key = buying_committees.deal_key
        inner join conversion_types
            on conversions.conversion_type = conversion_types.conversion_type
        where {{ markov_in_buckets('buying_committees.contact_id', buckets) }}
        group by buying_committees.contact_id

    )

    select
        paths.contact_id,
        {{ markov_bucket('paths.contact_id') }} as bucket,
        paths.path,
        coalesce(contact_types.type_bits, 0) as type_bits,
        coalesce(committee_types.type_bits, 0) as committee_bits
    from paths
    left join contact_types on paths.contact_id = contact_types.contact_id
    left join committee_types on paths.contact_id = committee_types.contact_id
{%- endmacro %}


{#- The transitions of the paths in `relation` (contact_id, path, type_bits, committee_bits,
    and a `weight` column: +1 to add a path, -1 to take it away), per chain: start -> first
    channel, each channel -> the next, the last -> null (a non-converting path's end). Paths
    alike are counted once with their weight. -#}
{% macro markov_path_transitions(relation) -%}
    with

    paths as (

        select path, type_bits, committee_bits, sum(weight) as weight
        from {{ relation }}
        group by path, type_bits, committee_bits

    ),

    steps as (

        select
            steps.from_channel,
            steps.to_channel,
            paths.type_bits,
            paths.committee_bits,
            sum(paths.weight) as weight
        from paths
        cross join lateral (
            select cast(null as text) as from_channel, paths.path[1] as to_channel
            union all
            -- the element after the last is null: the path's end
            select paths.path[position], paths.path[position + 1]
            from generate_subscripts(paths.path, 1) as position
        ) as steps
        where paths.weight != 0
        group by steps.from_channel, steps.to_channel, paths.type_bits, paths.committee_bits

    ),

    scope_types as (

        {{ markov_scope_types() }}

    )

    select
        scope_types.attribution_scope,
        scope_types.conversion_type,
        steps.from_channel,
        steps.to_channel,
        sum(steps.weight) as transition_count
    from steps
    inner join scope_types
        on
            case
                when scope_types.attribution_scope = 'account' then steps.committee_bits
                else steps.type_bits
            end
            & scope_types.type_bit = 0
    group by
        scope_types.attribution_scope,
        scope_types.conversion_type,
        steps.from_channel,
        steps.to_channel
{%- endmacro %}


{#- Each bucket's fingerprint: an exclusive or of 64-bit hashes of everything its contacts'
    non-converting paths depend on: each touch in the last window (id, person, time,
    channel), each conversion of the contact (id, type) and each deal conversion of a
    committee it is on. Each element's fields are hashed in a chain (each hash seeds the
    next), so the same values in other rows hash differently; no text is built. A changed, added or removed element changes the bucket's fingerprint
    (unless another change in the same bucket cancels it exactly, a chance of 2^-64). -#}
{% macro markov_bucket_fingerprints() -%}
    with

    elements as (

        select
            {{ markov_bucket('contact_id') }} as bucket,
            -- a missing person or channel hashes apart from any value (the seed's own hash)
            hashtextextended(touchpoint_id, hashtextextended(
                coalesce(contact_id, ''),
                coalesce(
                    hashtextextended(channel, timestamp_hash_extended(
                        touched_at at time zone 'UTC', 1
                    )),
                    1
                )
            )) as element_hash
        from {{ markov_recent_touches() }} as recent
        union all
        select
            {{ markov_bucket('contact_id') }} as bucket,
            hashtextextended(conversion_id, hashtextextended(
                contact_id, hashtextextended(conversion_type, 2)
            ))
        from {{ ref('int_attribution_conversions') }}
        where contact_id is not null
        union all
        select
            {{ markov_bucket('buying_committees.contact_id') }} as bucket,
            hashtextextended(conversions.conversion_id, hashtextextended(
                buying_committees.contact_id, hashtextextended(conversions.conversion_type, 3)
            ))
        from {{ ref('int_attribution_conversions') }} as conversions
        inner join {{ ref('int_attribution_buying_committees') }} as buying_committees
            on conversions.deal_key = buying_committees.deal_key

    )

    select bucket, bit_xor(element_hash) as fingerprint
    from elements
    group by bucket
{%- endmacro %}


{#- Pre-hook: bring the three tables beside the model up to date. A full build (no state)
    derives every path; an increment only the buckets whose fingerprint changed. -#}
{% macro markov_update_open_paths() -%}
    {%- if execute and this is not none -%}
    {%- set paths = markov_beside('__open_paths') -%}
    {%- set counts = markov_beside('__open_counts') -%}
    {%- set buckets = markov_beside('__buckets') -%}
    {%- set state = incremental_state(['__open_paths', '__open_counts', '__buckets']) -%}
    {{ markov_read_window(state['loaded_through'].get('window_start') if state else none) }}
    {%- if state is none -%}
    drop table if exists {{ paths }};
    create table {{ paths }} as {{ markov_open_paths() }};
    create index {{ paths.identifier }}__bucket on {{ paths }} (bucket);
    drop table if exists {{ counts }};
    create table {{ counts }} as
    {{ markov_path_transitions('(select *, 1 as weight from ' ~ paths ~ ') as open_paths') }};
    drop table if exists {{ buckets }};
    create table {{ buckets }} as {{ markov_bucket_fingerprints() }};
    {%- else -%}
    create temporary table markov_fingerprints on commit drop as
    {{ markov_bucket_fingerprints() }};
    create temporary table markov_changed on commit drop as
    select coalesce(now_buckets.bucket, before.bucket) as bucket
    from markov_fingerprints as now_buckets
    full join {{ buckets }} as before on now_buckets.bucket = before.bucket
    where now_buckets.fingerprint is distinct from before.fingerprint;
    create temporary table markov_new_paths on commit drop as
    {{ markov_open_paths('markov_changed') }};
    create temporary table markov_counts on commit drop as
    select attribution_scope, conversion_type, from_channel, to_channel, sum(transition_count)
        as transition_count
    from (
        select * from {{ counts }}
        union all
        select * from ({{ markov_path_transitions(
            '(select contact_id, path, type_bits, committee_bits, 1 as weight'
            ~ ' from markov_new_paths union all'
            ~ ' select contact_id, path, type_bits, committee_bits, -1'
            ~ ' from ' ~ paths ~ ' where bucket in (select bucket from markov_changed))'
            ~ ' as changed_paths'
        ) }}) as delta
    ) as counted
    group by attribution_scope, conversion_type, from_channel, to_channel
    having sum(transition_count) != 0;
    delete from {{ counts }};
    insert into {{ counts }} select * from markov_counts;
    delete from {{ paths }} where bucket in (select bucket from markov_changed);
    insert into {{ paths }} select * from markov_new_paths;
    delete from {{ buckets }} where bucket in (select bucket from markov_changed);
    insert into {{ buckets }}
    select * from markov_fingerprints where bucket in (select bucket from markov_changed);
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- The transitions of every non-converting path: the table an increment keeps, or (a unit
    test, which has no tables beside the model) counted from the given rows. -#}
{% macro markov_open_counts() -%}
    {%- if execute and this is not none -%}
        select * from {{ markov_beside('__open_counts') }}
    {%- else -%}
        {{ markov_path_transitions(
            '(select *, 1 as weight from (' ~ markov_open_paths() ~ ') as paths) as open_paths'
        ) }}
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook of an increment: the model's rows are counted again whole (a few hundred). -#}
{% macro markov_forget_counts() -%}
    {%- if execute and is_incremental() -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}



{#- The converting journeys' steps: the counts int_attribution_journeys keeps beside it
    (__steps, macros/journey_changes.sql), or (a unit test, which has no tables beside the
    models) counted from the given journeys, one hash aggregate. -#}
{% macro markov_converting_steps() -%}
    {%- if execute and this is not none -%}
        {%- set journeys = ref('int_attribution_journeys') -%}
        select attribution_scope, conversion_type, channel, next_channel, step_count, first_count
        from {{ journeys.incorporate(path={'identifier': journeys.identifier ~ '__steps'}) }}
    {%- else -%}
        select
            attribution_scope,
            conversion_type,
            channel,
            next_channel,
            count(*) as step_count,
            count(*) filter (where touch_number = 1) as first_count
        from {{ ref('int_attribution_journeys') }}
        where touchpoint_id is not null
        group by attribution_scope, conversion_type, channel, next_channel
    {%- endif -%}
{%- endmacro %}
