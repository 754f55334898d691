{#-
    Incremental models that re-derive only the rows whose inputs changed since their last build
    (models/intermediate/attribution/README_incremental.md). Each keeps its state as JSON in its
    table's comment:

        {"fingerprint": "<md5 of the logic>", "loaded_through": {"<input>": "<timestamptz>"}}

    loaded_through is, per input, the latest _loaded_at the last build had read. Raw rows are
    only ever added or replaced, each with a new _loaded_at, and the nightly run's lock keeps
    loads and dbt apart: rows loaded after it are the rows that changed.
-#}

{#- The model's state, or none when this build must derive every row: a first build,
    --full-refresh, no state, the logic changed since the table was built, or a table the
    increment needs beside the model's is missing (`beside`: suffixes of the model's name). -#}
{% macro incremental_state(beside=[]) -%}
    {#- a unit test has no relation of its own (`this`): it builds from its given rows -#}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for suffix in beside -%}
        {%- if adapter.get_relation(this.database, this.schema, this.identifier ~ suffix) is none -%}
            {{ return(none) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set comment = run_query(
        "select obj_description(to_regclass(format('%I.%I', '"
        ~ this.schema ~ "', '" ~ this.identifier ~ "')), 'pg_class')"
    ).columns[0].values()[0] -%}
    {%- set state = fromjson(comment or '', none) -%}
    {%- if state is not mapping or state.get('fingerprint') != incremental_fingerprint() -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(state) }}
{%- endmacro %}


{#- What the rows depend on besides the data: this model's code, the code of the models and
    seeds it reads (checksums of their files), the compiled SQL of the views among them as
    the database holds it (so a staging macro's change counts too), and what the model's
    `meta` names besides: `fingerprint_seeds` (seeds it depends on through a parent) and
    `fingerprint_vars` (vars whose values it uses). A macro this model calls directly is not
    covered: after changing one, build with --full-refresh. -#}
{% macro incremental_fingerprint() -%}
    {%- set parts = [model.raw_code] -%}
    {%- set meta = model.config.get('meta') or {} -%}
    {%- for seed_name in meta.get('fingerprint_seeds', []) -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'seed' and node.name == seed_name -%}
            {%- do parts.append(node.unique_id ~ ':' ~ node.checksum.checksum) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for var_name in meta.get('fingerprint_vars', []) -%}
        {%- do parts.append('var ' ~ var_name ~ ': ' ~ var(var_name)) -%}
    {%- endfor -%}
    {%- set views = [] -%}
    {%- for unique_id in model.depends_on.nodes | sort -%}
        {%- set node = graph.nodes.get(unique_id) -%}
        {%- if node is not none -%}
            {%- do parts.append(unique_id ~ ':' ~ node.checksum.checksum) -%}
            {%- if node.config.materialized == 'view' -%}
                {%- do views.append(node.schema ~ '.' ~ node.alias) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if views -%}
        {%- set definitions = run_query(
            "select string_agg(coalesce(pg_get_viewdef(to_regclass(name)), ''), '|' order by name)"
            ~ " from unnest(array['" ~ views | join("', '") ~ "']) as name"
        ).columns[0].values()[0] -%}
        {%- do parts.append(definitions) -%}
    {%- endif -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}


{#- A table beside the model's: its name with `suffix`. -#}
{% macro incremental_beside(suffix) -%}
    {{ return(this.incorporate(path={'identifier': this.identifier ~ suffix})) }}
{%- endmacro %}


{#- `column` is later than the input's loaded_through (every row when there is none). -#}
{% macro loaded_after(column, state, input) -%}
    {%- set through = state['loaded_through'].get(input) -%}
    {%- if through is none -%}
        true
    {%- else -%}
        {{ column }} > cast('{{ through }}' as timestamptz)
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook: a rebuild of an existing table (no state, or the logic changed) starts empty
    (truncated, within the build's transaction), so no row that the new logic no longer
    derives survives. -#}
{% macro incremental_restart(beside=[]) -%}
    {%- if execute and is_incremental() and incremental_state(beside) is none -%}
        truncate {{ this }}
    {%- endif -%}
{%- endmacro %}


{#- Post-hook: a unique index on the key, so a night's delete+insert finds the rows it
    replaces by index rather than by reading the whole table (created once, after the first
    build's rows are in: dbt's `indexes` config is applied only when it creates the table). -#}
{% macro incremental_key_index(key) -%}
    {{ ensure_index([key], unique=true) }}
{%- endmacro %}


{#- An index on `columns` of this model's table unless the table has one (unique, if asked).
    Looked up by table and columns, not by name: after a --full-refresh, dbt's backup of the
    old table still holds the old index's name when the post-hooks run, so `create index if
    not exists <name>` skipped the new table's for a night. -#}
{% macro ensure_index(columns, unique=false) -%}
    {%- set table = this.include(database=false) -%}
    do $index$ begin
        if not exists (
            select from pg_index
            where
                indrelid = '{{ table }}'::regclass
                {%- if unique %}
                and indisunique
                {%- endif %}
                and indkey::text = (
                    select string_agg(attribute.attnum::text, ' ' order by wanted.position)
                    from unnest(array['{{ columns | join("', '") }}'])
                        with ordinality as wanted (name, position)
                    inner join pg_attribute as attribute
                        on
                            attribute.attrelid = '{{ table }}'::regclass
                            and attribute.attname = wanted.name
                )
        ) then
            create {{ 'unique ' if unique }}index on {{ table }} ({{ columns | join(', ') }});
        end if;
    end $index$
{%- endmacro %}


{#- Post-hook: record the state this build reached. `inputs` maps each input's name to the
    relation whose `column` (_loaded_at of raw rows, _derived_at of incremental models) it
    tracks. -#}
{% macro incremental_save_state(inputs, column='_loaded_at') -%}
    {%- if execute -%}
    do $state$ begin
        execute format('comment on table %s is %L', '{{ this.include(database=false) }}', json_build_object(
            'fingerprint', '{{ incremental_fingerprint() }}',
            'loaded_through', json_build_object(
                {%- for name, relation in inputs.items() %}
                '{{ name }}', (select max({{ column }}) from {{ relation }}){{ ',' if not loop.last }}
                {%- endfor %}
            )
        )::text);
    end $state$
    {%- endif -%}
{%- endmacro %}


{#- The rows of `relation` this build derives from: all of them, or (incremental) those whose
    `key` is in the CTE `changed`, each looked up by its key. A join would read, and for a
    staging view parse, every row before discarding all but the changed ones; a lookup by key
    uses the raw table's key index. -#}
{% macro rows_to_derive(relation, key, changed, state) -%}
    {%- if state is none -%}
        select * from {{ relation }}
    {%- else -%}
        select derived.*
        from {{ changed }}
        cross join lateral (
            select * from {{ relation }} as derived
            where derived.{{ key }} = {{ changed }}.{{ key }}
            offset 0
        ) as derived
    {%- endif -%}
{%- endmacro %}
