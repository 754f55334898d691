{{ config(materialized='view') }}
/*
    Data health for BI: every quality check of every run (ops.quality_results), without the
    sample of bad values (they can hold raw PII). A view, so the checks of the run that
    publishes it (validate_marts runs after dbt builds) are visible too; bi_reader reads it
    with the view owner's rights on ops, and nothing else of ops.
*/
with

results as (

    select * from {{ source('ops', 'quality_results') }}

),

latest_runs as (

    select
        suite,
        max(checked_at) as latest_checked_at
    from results
    group by suite

),

final as (

    select
        results.result_id,
        results.run_id,
        results.checked_at,
        {{ to_utc_date('results.checked_at') }} as checked_date,
        results.suite,
        results.table_name,
        results.rule as rule_code,
        results.expectation,
        results.description,
        results.severity,
        results.passed,
        results.observed_value,
        results.unexpected_count,
        results.checked_at = latest_runs.latest_checked_at as is_latest_check
    from results
    inner join latest_runs
        on results.suite = latest_runs.suite

)

select * from final
