-- Some rate source (var fx_rate_sources) must know the reporting currency (var
-- reporting_currency), otherwise no other currency converts and every *_reporting amount in it
-- would be null (MART-FX-001 would then name each currency and day).
with

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

converting_rates as (

    select count(*) as rate_count
    from fx_rates
    where fx_rate_source != 'same_currency'

)

select rate_count
from converting_rates
where rate_count = 0
