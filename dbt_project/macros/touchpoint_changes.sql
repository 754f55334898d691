{#-
    What an incremental build of int_attribution_touchpoints re-derives (README_incremental.md):
    the touches of records whose person or counting changed, and the per-source touches derived
    since its last build. Used by the model and by its pre-hook, which deletes the old rows.
-#}

{#- Beside the table: each record's person and counting as of the table's last build. -#}
{% macro touchpoint_identities() -%}
    {{ return(api.Relation.create(
        database=this.database, schema=this.schema, identifier=this.identifier ~ '__identities'
    )) }}
{%- endmacro %}


{#- The per-source touch models of the extracted sources, by source. -#}
{% macro touchpoint_sources() -%}
    {%- set models = {} -%}
    {%- for source_name in ['hubspot', 'salesforce'] if source_enabled(source_name) -%}
        {%- do models.update(
            {source_name: ref('int_attribution_' ~ source_name ~ '_touchpoints')}
        ) -%}
    {%- endfor -%}
    {{ return(models) }}
{%- endmacro %}


{#- Records whose contact_id or is_counted differs from the last build's (or is new or gone). -#}
{% macro touchpoint_changed_records() -%}
    select coalesce(records.record_key, previous.record_key) as record_key
    from {{ ref('int_attribution_contact_records') }} as records
    full join {{ touchpoint_identities() }} as previous
        on records.record_key = previous.record_key
    where
        records.contact_id is distinct from previous.contact_id
        or records.is_counted is distinct from previous.is_counted
{%- endmacro %}


{#- Per-source touches derived since the last build (live or not). -#}
{% macro touchpoint_changed_touches(state) -%}
    {%- for source_name, relation in touchpoint_sources().items() %}
    select touchpoint_id from {{ relation }}
    where {{ loaded_after('_derived_at', state, source_name) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select cast(null as text) as touchpoint_id where false
    {%- endfor %}
{%- endmacro %}


{#- A touch this build re-derives (every touch when there is no state). -#}
{% macro touchpoint_changed(state) -%}
    {%- if state is none -%}
        true
    {%- else -%}
        (
            record_key in ({{ touchpoint_changed_records() }})
            or touchpoint_id in ({{ touchpoint_changed_touches(state) }})
        )
    {%- endif -%}
{%- endmacro %}


{#- Beside the table: the touches this table's builds replaced or deleted, as they were
    (touchpoint_id, contact_id, touched_at) and when (_derived_at), until
    int_attribution_journeys has read them; a row without a touchpoint_id says the table was
    rebuilt whole (every touch may have changed). -#}
{% macro touchpoint_replaced() -%}
    {{ return(incremental_beside('__replaced')) }}
{%- endmacro %}


{#- Pre-hook: forget the rows this build re-derives, keeping what they were in __replaced (a
    whole build says so with one row without a touchpoint_id). -#}
{% macro touchpoints_forget_changed() -%}
    {%- if execute and this is not none -%}
    {%- set state = incremental_state(['__identities']) -%}
    create table if not exists {{ touchpoint_replaced() }} (
        touchpoint_id text, contact_id text, touched_at timestamptz, _derived_at timestamptz
    );
    {%- if state is none %}
    delete from {{ touchpoint_replaced() }};
    insert into {{ touchpoint_replaced() }} values (null, null, null, {{ dbt.current_timestamp() }});
    {%- else %}
    with replaced as (
        delete from {{ this }} where {{ touchpoint_changed(state) }}
        returning touchpoint_id, contact_id, touched_at
    )
    insert into {{ touchpoint_replaced() }}
    select touchpoint_id, contact_id, touched_at, {{ dbt.current_timestamp() }} from replaced;
    {%- endif %}
    {%- endif -%}
{%- endmacro %}


{#- Post-hook: an index on _derived_at, so int_attribution_journeys finds a night's touches
    without reading the table (created once, after the first build's rows are in). -#}
{% macro touchpoints_derived_index() -%}
    {{ ensure_index(['_derived_at']) }}
{%- endmacro %}


{#- Post-hook, in the build's transaction: the identities this build used. -#}
{% macro touchpoints_save_identities() -%}
    {%- if execute -%}
    drop table if exists {{ touchpoint_identities() }};
    create table {{ touchpoint_identities() }} as
    select record_key, contact_id, is_counted
    from {{ ref('int_attribution_contact_records') }}
    {%- endif -%}
{%- endmacro %}
