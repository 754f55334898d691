-- seeds/quotas.csv rows that cannot be applied as written: a period_start that is not the first
-- day of a month, or a negative amount.
with

quotas as (

    select * from {{ ref('quotas') }}

),

final as (

    select
        owner_type,
        owner_id,
        period_start,
        amount
    from quotas
    where
        extract(day from period_start) != 1
        or amount < 0

)

select * from final
