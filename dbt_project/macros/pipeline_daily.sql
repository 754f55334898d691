{#-
    The incremental bookkeeping of int_pipeline_daily (models/marts/sales/README.md,
    "Pipeline over time"). A deal's daily rows depend only on its states in int_deal_states
    and on the build's as-of date, so a night rewrites the deals whose states changed (a
    fingerprint of each deal's states differs from the one stored beside the table, in
    int_pipeline_daily__deals) and adds the new days of the others. Not covered by the
    model's fingerprint (macros/incremental_state.sql): after changing a macro here, build
    with --full-refresh.
-#}

{#- The table beside the model that keeps each deal's fingerprint as of its last build. -#}
{% macro pipeline_deals_relation() -%}
    {{ return(this.incorporate(path={'identifier': this.identifier ~ '__deals'})) }}
{%- endmacro %}


{#- One row per deal of int_deal_states: its key and an md5 of every state it has, every
    column the daily rows are made of. -#}
{% macro pipeline_deal_fingerprints() -%}
    select
        deal_key,
        md5(string_agg(
            cast(row(
                valid_from, valid_to, crm, deal_id, state_number, pipeline_id, stage_id,
                standard_stage, standard_stage_order, is_closed, is_won, amount, currency_code,
                close_date, owner_id, sales_rep_id, forecast_category, crm_forecast_category,
                created_at, stage_entered_at
            ) as text),
            '|' order by valid_from
        )) as states_fingerprint
    from {{ ref('int_deal_states') }}
    group by deal_key
{%- endmacro %}


{#- The deals whose states changed since the last build: new, changed or gone. -#}
{% macro pipeline_changed_deals() -%}
    select coalesce(current_deals.deal_key, previous_deals.deal_key) as deal_key
    from ({{ pipeline_deal_fingerprints() }}) as current_deals
    full outer join {{ pipeline_deals_relation() }} as previous_deals
        on current_deals.deal_key = previous_deals.deal_key
    where current_deals.states_fingerprint is distinct from previous_deals.states_fingerprint
{%- endmacro %}


{#- Pre-hook of an increment: drop the rows of the deals that changed (they are derived again
    whole) and the days after the as-of date (a re-run of an earlier night). -#}
{% macro pipeline_daily_delete_changed() -%}
    {%- if execute and is_incremental() and incremental_state(beside=['__deals']) is not none -%}
        delete from {{ this }}
        where
            date_day > {{ as_of_date() }}
            or deal_key in (select changed.deal_key from ({{ pipeline_changed_deals() }}) as changed)
    {%- endif -%}
{%- endmacro %}


{#- Post-hook: store every deal's fingerprint as of this build, and the unique index the
    increment's delete finds its rows by. -#}
{% macro pipeline_daily_save_deals() -%}
    {%- if execute -%}
        {%- set deals = pipeline_deals_relation() -%}
        drop table if exists {{ deals }};
        create table {{ deals }} as {{ pipeline_deal_fingerprints() }};
        {{ ensure_index(['deal_key', 'date_day'], unique=true) }}
    {%- endif -%}
{%- endmacro %}
