{{ config(materialized='view') }}
/*
    How the offline conversions fared, per day x platform x conversion type x currency of the
    value: from the ledger ops.conversion_uploads, each row counted once, on the UTC day it
    last changed (updated_at).

    A view, like rpt_data_health: the sender writes the ledger after publish, so a table built
    before publish would always be a night behind. The view reads only ops (no object of the
    build schema, which publish renames, nor of the intermediate schema, whose tables dbt
    replaces), and bi_reader reads it with the view owner's rights on ops, and nothing else
    of ops. Values stay in their own currency for the same reason: converting them would read
    the FX rates at query time.
*/
{#- The sender creates the ledger (thinline/conversions/ledger.py; the nightly transform does
    before dbt runs). A dbt command on a warehouse that never had one (an analyst's build, a
    benchmark) builds the view over no rows; the night's next build reads the ledger. #}
{%- set ledger = adapter.get_relation(
    database=target.database, schema='ops', identifier='conversion_uploads'
) if execute else none %}
with

uploads as (

    {%- if ledger is not none or not execute %}

    select * from {{ source('ops', 'conversion_uploads') }}
    {%- else %}

        select
            cast(null as {{ dbt.type_string() }}) as platform,
            cast(null as {{ dbt.type_string() }}) as conversion_type,
            cast(null as {{ dbt.type_string() }}) as currency,
            cast(null as {{ dbt.type_string() }}) as status,
            cast(null as {{ dbt.type_int() }}) as attempts,
            cast(null as numeric(20, 6)) as value,  -- noqa: RF04
            cast(null as timestamp with time zone) as updated_at
        where false
    {%- endif %}

),

daily as (

    select
        {{ to_utc_date('updated_at') }} as sync_date,
        platform,
        conversion_type,
        currency as currency_code,
        {{ count_where("attempts > 0") }} as sent_count,
        {{ count_where("status = 'accepted'") }} as accepted_count,
        {{ count_where("status = 'rejected'") }} as rejected_count,
        {{ count_where("status = 'failed'") }} as failed_count,
        {{ count_where("status = 'retry'") }} as retry_pending_count,
        {{ count_where("status = 'skipped'") }} as skipped_count,
        {{ count_where("status = 'pending'") }} as pending_count,
        count(*) as conversion_count,
        cast(
            coalesce(sum(case when status = 'accepted' then value end), 0) as numeric(20, 6)
        ) as value_sent,
        max(updated_at) as last_updated_at
    from uploads
    group by
        {{ to_utc_date('updated_at') }},
        platform,
        conversion_type,
        currency

),

final as (

    select
        {{ key_from(['sync_date', 'platform', 'conversion_type', 'currency_code']) }}
            as conversion_sync_key,
        sync_date,
        platform,
        conversion_type,
        currency_code,
        sent_count,
        accepted_count,
        rejected_count,
        failed_count,
        retry_pending_count,
        skipped_count,
        pending_count,
        conversion_count,
        value_sent,
        last_updated_at
    from daily

)

select * from final
