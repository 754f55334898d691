-- The reporting currency (var reporting_currency) must have rates in seeds/fx_rates.csv,
-- otherwise every *_reporting column would be null.
with

fx_rates as (

    select * from {{ ref('fx_rates') }}

),

reporting_currency_rates as (

    select count(*) as rate_count
    from fx_rates
    where upper(currency_code) = {{ currency_var('reporting_currency') }}

)

select rate_count
from reporting_currency_rates
where rate_count = 0
