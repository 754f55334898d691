-- A rate must be positive, and the US dollar is worth exactly one US dollar.
with

fx_rates as (

    select * from {{ ref('fx_rates') }}

),

invalid_rates as (

    select
        rate_date,
        currency_code,
        usd_per_unit
    from fx_rates
    where
        usd_per_unit <= 0
        or (upper(currency_code) = 'USD' and usd_per_unit != 1)

)

select * from invalid_rates
