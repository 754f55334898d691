-- Every rate source's published rates (var fx_rate_sources), one row per source x currency x
-- day the rate takes effect, as units of the currency per unit of the source's base currency:
-- the euro for the ECB (1 on every day the ECB published), the corporate or company currency
-- for a CRM, the US dollar for the manual seed. A CRM's rates convert only that CRM's deals
-- (rate_scope); the others convert anything (rate_scope 'all'). A rate in force on every day
-- (a static rate, a base currency) takes effect on 0001-01-01. A source that is not enabled
-- (THINLINE_SOURCES) or not listed adds nothing.
{%- set precedence = fx_rate_sources() %}
with

published_rates as (

    {%- if 'crm' in precedence and source_enabled('salesforce') %}

        -- Salesforce's dated rates (advanced currency management) by range start; where a
        -- currency has none, its static CurrencyType rate, in force on every day
        select
            'salesforce' as fx_rate_source,
            'salesforce' as rate_scope,
            currency_code,
            start_date as rate_date,
            conversion_rate as units_per_base
        from {{ ref('stg_salesforce__dated_conversion_rates') }}
        where not is_deleted

        union all

        select
            'salesforce' as fx_rate_source,
            'salesforce' as rate_scope,
            currency_code,
            cast('0001-01-01' as date) as rate_date,
            conversion_rate as units_per_base
        from {{ ref('stg_salesforce__currency_types') }}
        where
            not is_deleted
            and currency_code not in (
                select dated.currency_code
                from {{ ref('stg_salesforce__dated_conversion_rates') }} as dated
                where not dated.is_deleted
            )

        union all
    {%- endif %}

    {%- if 'crm' in precedence and source_enabled('hubspot') %}

        -- HubSpot's rates from the day they take effect (the day's latest one wins), and the
        -- company currency itself at 1
        select
            'hubspot' as fx_rate_source,
            'hubspot' as rate_scope,
            from_currency_code as currency_code,
            rate_date,
            1 / conversion_rate as units_per_base
        from (
            select
                from_currency_code,
                conversion_rate,
                {{ to_utc_date('effective_at') }} as rate_date,
                row_number() over (
                    partition by from_currency_code, {{ to_utc_date('effective_at') }}
                    order by effective_at desc, updated_at desc
                ) as day_rank
            from {{ ref('stg_hubspot__exchange_rates') }}
            where not is_deleted and from_currency_code != to_currency_code
        ) as hubspot_rates
        where day_rank = 1

        union all

        select distinct
            'hubspot' as fx_rate_source,
            'hubspot' as rate_scope,
            to_currency_code as currency_code,
            cast('0001-01-01' as date) as rate_date,
            1 as units_per_base
        from {{ ref('stg_hubspot__exchange_rates') }}
        where not is_deleted

        union all
    {%- endif %}

    {%- if 'ecb' in precedence and source_enabled('ecb') %}

        select
            'ecb' as fx_rate_source,
            'all' as rate_scope,
            currency_code,
            rate_date,
            units_per_euro as units_per_base
        from {{ ref('stg_ecb__reference_rates') }}

        union all

        -- the ECB's base: one euro is one euro on every day it published
        select distinct
            'ecb' as fx_rate_source,
            'all' as rate_scope,
            'EUR' as currency_code,
            rate_date,
            1 as units_per_base
        from {{ ref('stg_ecb__reference_rates') }}

        union all
    {%- endif %}

    select
        'manual' as fx_rate_source,
        'all' as rate_scope,
        upper(currency_code) as currency_code,
        rate_date,
        1 / usd_per_unit as units_per_base
    from {{ ref('fx_rates') }}
    where {{ 'true' if 'manual' in precedence else 'false' }}

)

select * from published_rates
