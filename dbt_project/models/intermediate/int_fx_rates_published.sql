-- Every rate source's published rates (var fx_rate_sources), one row per source x currency x
-- publishing day, as units of the currency per unit of the source's base currency: the euro
-- for the ECB (which is 1 on every day the ECB published), the US dollar for the manual seed.
-- A source that is not enabled (THINLINE_SOURCES) or not listed adds nothing.
{%- set precedence = fx_rate_sources() %}
with

published_rates as (

    {%- if 'ecb' in precedence and source_enabled('ecb') %}

        select
            'ecb' as fx_rate_source,
            currency_code,
            rate_date,
            units_per_euro as units_per_base
        from {{ ref('stg_ecb__reference_rates') }}

        union all

        -- the ECB's base: one euro is one euro on every day it published
        select distinct
            'ecb' as fx_rate_source,
            'EUR' as currency_code,
            rate_date,
            1 as units_per_base
        from {{ ref('stg_ecb__reference_rates') }}

        union all
    {%- endif %}

    select
        'manual' as fx_rate_source,
        upper(currency_code) as currency_code,
        rate_date,
        1 / usd_per_unit as units_per_base
    from {{ ref('fx_rates') }}
    where {{ 'true' if 'manual' in precedence else 'false' }}

)

select * from published_rates
