{{ config(severity='warn') }}
-- seeds/quotas.csv rows that apply to nobody: a rep id, team key or default prefix that matches
-- no rep or team in int_quota_owners (a typo, or a CRM not extracted here). Warns, as the
-- nightly run should not stop for a quota row of someone who left the CRM.
with

quotas as (

    select * from {{ ref('quotas') }}

),

owners as (

    select * from {{ ref('int_quota_owners') }}

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
