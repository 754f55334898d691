{#-
    What an incremental build of int_attribution_journeys rebuilds (README_markov.md,
    "Incremental nights"): a conversion's journeys (both scopes) depend on the conversion's own
    row, on its buying committee, and on the touches of its people in its lookback window. A
    night rebuilds the conversions whose row is new, changed or gone (compared with
    __conversions, a copy of what the last build read), whose deal's committee changed
    (compared with __committees), and whose window holds a touch int_attribution_touchpoints
    derived since the last build (_derived_at) or replaced or deleted since
    (int_attribution_touchpoints__replaced, as the touch was). A first build, --full-refresh,
    a changed model, channel mapping or lookback (the state's fingerprint), or a rebuilt
    int_attribution_touchpoints rebuilds every conversion.

    Beside the table, __steps keeps the converting journeys' Markov steps (per scope,
    conversion type, channel and next channel: how many touches, and how many of them first),
    additively: a night subtracts the rebuilt conversions' old steps and adds their new ones,
    so int_attribution_markov_transitions reads its converting counts from it (a few hundred
    rows) and not from the journeys.

    And __changes logs, for the models that read the journeys, which conversions each build
    rebuilt and when (changed_at): a row without a conversion says every conversion may have
    changed since then (a whole build; or entries older than it forgotten).
-#}

{% macro journeys_relations() -%}
    {%- set touchpoints = ref('int_attribution_touchpoints') -%}
    {{ return({
        'conversions': incremental_beside('__conversions'),
        'committees': incremental_beside('__committees'),
        'steps': incremental_beside('__steps'),
        'changes': incremental_beside('__changes'),
        'replaced': touchpoints.incorporate(
            path={'identifier': touchpoints.identifier ~ '__replaced'}
        ),
    }) }}
{%- endmacro %}


{#- The state, or none when this build rebuilds every conversion. -#}
{% macro journeys_state() -%}
    {%- set state = incremental_state(['__conversions', '__committees', '__steps']) -%}
    {%- if state is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set replaced = journeys_relations()['replaced'] -%}
    {%- if adapter.get_relation(replaced.database, replaced.schema, replaced.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rebuilt = run_query(
        "select exists (select from " ~ replaced ~ " where touchpoint_id is null)"
    ).columns[0].values()[0] -%}
    {{ return(none if rebuilt else state) }}
{%- endmacro %}


{#- The conversion columns a journey reads. -#}
{% macro journeys_conversion_columns(prefix='') -%}
    {%- for column in ['conversion_type', 'contact_id', 'deal_key', 'deal_id', 'converted_at',
        'lead_at', 'deal_created_at'] -%}
        {{ prefix }}{{ column }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#- The steps of the journeys of `where` (a condition on the table's rows), each counted
    `sign` times. -#}
{% macro journeys_steps(where, sign) -%}
    select
        attribution_scope,
        conversion_type,
        channel,
        next_channel,
        {{ sign }} * count(*) as step_count,
        {{ sign }} * count(*) filter (where touch_number = 1) as first_count
    from {{ this }}
    where touchpoint_id is not null and {{ where }}
    group by attribution_scope, conversion_type, channel, next_channel
{%- endmacro %}


{#- Pre-hook: find the conversions to rebuild (journeys_changed, journeys_changed_deals),
    keep their journeys' steps to subtract (journeys_step_changes) and delete their rows; or,
    for a whole build, start empty. -#}
{% macro journeys_forget_changed() -%}
    {%- if execute and this is not none -%}
    {%- set state = journeys_state() -%}
    {%- set side = journeys_relations() -%}
    {%- set conversions = ref('int_attribution_conversions') -%}
    {%- set committees = ref('int_attribution_buying_committees') -%}
    {%- set touchpoints = ref('int_attribution_touchpoints') -%}
    create table if not exists {{ side['changes'] }} (conversion_id text, changed_at timestamptz);
    {%- if state is none %}
    {%- if is_incremental() %}
    truncate {{ this }};
    {%- endif %}
    delete from {{ side['changes'] }};
    insert into {{ side['changes'] }} values (null, {{ dbt.current_timestamp() }});
    {%- else %}
    create temporary table journeys_changed_deals on commit drop as
    select coalesce(members.deal_key, before.deal_key) as deal_key
    from {{ committees }} as members
    full join {{ side['committees'] }} as before
        on members.deal_key = before.deal_key and members.contact_id = before.contact_id
    where members.deal_key is null or before.deal_key is null
    group by 1;
    create temporary table journeys_changed on commit drop as
    with

    changed_touches as (

        select contact_id, touched_at from {{ touchpoints }}
        where {{ loaded_after('_derived_at', state, 'touches') }}
        union all
        select contact_id, touched_at from {{ side['replaced'] }}

    ),

    people as (

        select conversion_id, contact_id, converted_at from {{ conversions }}
        where contact_id is not null
        union all
        select conversions.conversion_id, committees.contact_id, conversions.converted_at
        from {{ conversions }} as conversions
        inner join {{ committees }} as committees
            on conversions.deal_key = committees.deal_key

    )

    select coalesce(current.conversion_id, before.conversion_id) as conversion_id
    from {{ conversions }} as current
    full join {{ side['conversions'] }} as before
        on current.conversion_id = before.conversion_id
    where
        ({{ journeys_conversion_columns('current.') }})
        is distinct from ({{ journeys_conversion_columns('before.') }})
    union
    select conversion_id from {{ conversions }}
    where deal_key in (select deal_key from journeys_changed_deals)
    union
    select people.conversion_id
    from people
    inner join changed_touches
        on
            people.contact_id = changed_touches.contact_id
            and people.converted_at >= changed_touches.touched_at
            and changed_touches.touched_at > people.converted_at
            - interval '1 day' * {{ var('attribution_lookback_days') }};
    analyze journeys_changed;
    insert into {{ side['changes'] }}
    select conversion_id, {{ dbt.current_timestamp() }} from journeys_changed;
    {{ journeys_forget_old_changes(side['changes']) }}
    create temporary table journeys_step_changes on commit drop as
    {{ journeys_steps('conversion_id in (select conversion_id from journeys_changed)', -1) }};
    delete from {{ this }} where conversion_id in (select conversion_id from journeys_changed);
    {%- endif %}
    {%- endif -%}
{%- endmacro %}


{#- Post-hook: bring __steps up to date (the rebuilt journeys' old steps subtracted, their new
    ones added; a step whose count reaches 0 is dropped) and the copies, forget the replaced
    touches read, index the table by conversion. -#}
{% macro journeys_save_changes() -%}
    {%- if execute and this is not none -%}
    {%- set state = journeys_state() -%}
    {%- set side = journeys_relations() -%}
    {%- set conversions = ref('int_attribution_conversions') -%}
    {%- set committees = ref('int_attribution_buying_committees') -%}
    {%- if state is none %}
    drop table if exists {{ side['steps'] }};
    create table {{ side['steps'] }} as {{ journeys_steps('true', 1) }};
    drop table if exists {{ side['conversions'] }};
    create table {{ side['conversions'] }} as
    select conversion_id, {{ journeys_conversion_columns() }} from {{ conversions }};
    create unique index {{ side['conversions'].identifier }}__conversion_id
        on {{ side['conversions'] }} (conversion_id);
    drop table if exists {{ side['committees'] }};
    create table {{ side['committees'] }} as
    select deal_key, contact_id from {{ committees }};
    create index {{ side['committees'].identifier }}__deal_key
        on {{ side['committees'] }} (deal_key);
    {%- else %}
    insert into journeys_step_changes
    {{ journeys_steps('conversion_id in (select conversion_id from journeys_changed)', 1) }};
    create temporary table journeys_steps_now on commit drop as
    select
        attribution_scope,
        conversion_type,
        channel,
        next_channel,
        sum(step_count) as step_count,
        sum(first_count) as first_count
    from (
        select * from {{ side['steps'] }}
        union all
        select * from journeys_step_changes
    ) as steps
    group by attribution_scope, conversion_type, channel, next_channel
    having sum(step_count) != 0;
    delete from {{ side['steps'] }};
    insert into {{ side['steps'] }} select * from journeys_steps_now;
    delete from {{ side['conversions'] }}
    where conversion_id in (select conversion_id from journeys_changed);
    insert into {{ side['conversions'] }}
    select conversion_id, {{ journeys_conversion_columns() }} from {{ conversions }}
    where conversion_id in (select conversion_id from journeys_changed);
    delete from {{ side['committees'] }}
    where deal_key in (select deal_key from journeys_changed_deals);
    insert into {{ side['committees'] }}
    select deal_key, contact_id from {{ committees }}
    where deal_key in (select deal_key from journeys_changed_deals);
    {%- endif %}
    {#- asked of the database, not of dbt's cache of relations: on the first night the
        touchpoints' pre-hook created it after the cache was filled, and the whole build's
        marker, left in place, rebuilt every journey the night after -#}
    {%- set replaced = side['replaced'].include(database=false) %}
    do $replaced$ begin
        if to_regclass('{{ replaced }}') is not null then
            execute 'delete from {{ replaced }}';
        end if;
    end $replaced$;
    {{ ensure_index(['conversion_id']) }}
    {%- endif -%}
{%- endmacro %}


{#- Entries older than the horizon are forgotten, leaving a row without a conversion at the
    horizon: a reader last built before it rebuilds whole. -#}
{% macro journeys_forget_old_changes(changes, horizon_days=90) -%}
    {%- set horizon = dbt.dateadd('day', -horizon_days, dbt.current_timestamp()) %}
    with forgotten as (
        delete from {{ changes }} where changed_at < {{ horizon }} returning 1
    )
    insert into {{ changes }}
    select null, {{ horizon }} where exists (select from forgotten);
{%- endmacro %}


{#- For a model that reads the journeys and keeps its rows by conversion (README_markov.md,
    "Incremental nights"): the journeys' change log. -#}
{% macro journeys_change_log() -%}
    {%- set journeys = ref('int_attribution_journeys') -%}
    {{ return(journeys.incorporate(path={'identifier': journeys.identifier ~ '__changes'})) }}
{%- endmacro %}


{#- The reader's state, or none when it rebuilds every conversion: its own state is none
    (incremental_state), or the journeys' log has no record of what it missed. -#}
{% macro journeys_reader_state() -%}
    {%- set state = incremental_state() -%}
    {%- if state is none or state['loaded_through'].get('journeys') is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set log = journeys_change_log() -%}
    {%- if adapter.get_relation(log.database, log.schema, log.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rebuilt = run_query(
        "select exists (select from " ~ log ~ " where conversion_id is null and "
        ~ loaded_after('changed_at', state, 'journeys') ~ ")"
    ).columns[0].values()[0] -%}
    {{ return(none if rebuilt else state) }}
{%- endmacro %}


{#- The conversions the journeys rebuilt since the reader's last build. -#}
{% macro journeys_changed_since(state) -%}
    select conversion_id from {{ journeys_change_log() }}
    where {{ loaded_after('changed_at', state, 'journeys') }}
{%- endmacro %}


{#- Reader's pre-hook: delete the rows of the conversions it derives again (or, for a whole
    build of an existing table, every row). -#}
{% macro journeys_reader_forget() -%}
    {%- if execute and this is not none and is_incremental() -%}
    {%- set state = journeys_reader_state() -%}
    {%- if state is none %}
    truncate {{ this }}
    {%- else %}
    delete from {{ this }} where conversion_id in ({{ journeys_changed_since(state) }})
    {%- endif %}
    {%- endif -%}
{%- endmacro %}


{#- Reader's post-hooks: its state (the log's latest entry read) and an index by conversion. -#}
{% macro journeys_reader_save() -%}
    {%- if execute and this is not none -%}
    {{ incremental_save_state({'journeys': journeys_change_log()}, 'changed_at') }};
    {{ ensure_index(['conversion_id']) }}
    {%- endif -%}
{%- endmacro %}
