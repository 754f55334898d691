{{ config(severity='warn') }}
-- seeds/quotas.csv rows that apply to nobody: a rep id, team key or default prefix that no rep
-- in dim_sales_reps matches (a typo, or a CRM not extracted here). Warns, as the nightly run
-- should not stop for a quota row of someone who left the CRM.
with

quotas as (

    select * from {{ ref('quotas') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_reps') }}

),

owners as (

    select
        'rep' as owner_type,
        sales_rep_id as owner_id
    from sales_reps
    union all
    select distinct
        'team' as owner_type,
        team_key as owner_id
    from sales_reps
    where team_key is not null

),

final as (

    select
        quotas.owner_type,
        quotas.owner_id,
        quotas.period_start
    from quotas
    where not exists (
            select 1
            from owners
            where
                owners.owner_type = quotas.owner_type
                and (
                    owners.owner_id = quotas.owner_id
                    or (
                        right(quotas.owner_id, 1) = '*'
                        and starts_with(owners.owner_id, rtrim(quotas.owner_id, '*'))
                    )
                )
        )

)

select * from final
