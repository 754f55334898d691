/*
    The offline conversions to send back to the ad platforms (issue 20), one row per
    conversion x destination of seeds/conversion_map.csv whose platform's click id the
    conversion's person carries (int_conversion_clicks). Its columns are the fields of
    thinline.conversions.model.Conversion, which the sender builds from each row, plus what a
    reader needs to check them (deal, person, the value's arithmetic, consent).

    * event_id: md5 of platform, destination and conversion_id, stable across nights: the
      platform's de-duplication key and the ledger's.
    * account_id: the map's, else the ad account of the click's campaign (Google: the customer
      the click came from, digits only). A click whose campaign is unknown has none: such a
      conversion cannot be addressed and is left out.
    * value, by the map's value_rule: none, no value; fixed, fixed_value in the map's
      currency; deal_amount, the deal's amount in its own currency when the map names none,
      else converted into the map's currency through the reporting currency on the deal's
      fx_conversion_date (fct_deals: a closed deal's close date, as its CRM converts it), with
      fx_rate, fx_rate_date and fx_rate_source beside it. No amount or no rate: no value.
    * has_marketing_consent: int_conversion_consents; the sender skips rows without it.
*/
with

clicks as (

    select * from {{ ref('int_conversion_clicks') }}

),

conversion_map as (

    select * from {{ ref('int_conversion_map') }}
    where is_valid  -- an invalid row also fails int_conversion_map's test, stopping the build

),

consents as (

    select * from {{ ref('int_conversion_consents') }}

),

contacts as (

    select * from {{ ref('dim_contacts') }}

),

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

destined as (

    select
        clicks.conversion_id,
        clicks.conversion_type,
        clicks.platform,
        coalesce(conversion_map.account_id, campaigns.account_id) as account_id,
        conversion_map.destination,
        clicks.converted_at as occurred_at,
        clicks.click_id,
        clicks.clicked_at,
        clicks.touchpoint_id,
        clicks.contact_id,
        clicks.deal_key,
        clicks.deal_id,
        conversion_map.value_rule,
        conversion_map.fixed_value,
        conversion_map.currency_code as map_currency_code
    from clicks
    inner join conversion_map
        on
            clicks.platform = conversion_map.platform
            and clicks.conversion_type = conversion_map.conversion_type
    left join campaigns
        on clicks.campaign_key = campaigns.campaign_key

),

-- deal_amount rows: the deal's amount, in the map's currency when it names another one, by
-- the cross rate deal currency -> value currency through the reporting currency, both legs on
-- the same day and from the deal's own CRM's scope (as fct_deals converts). One pass of left
-- joins: joining a CTE of these values back to `destined` was a nested loop over two CTEs
-- without statistics (quadratic at 50,000 deals).
deal_values as (

    select
        destined.*,
        deals.amount as deal_amount,
        deals.currency_code as deal_currency_code,
        coalesce(destined.map_currency_code, deals.currency_code) as deal_value_currency_code,
        coalesce(destined.map_currency_code != deals.currency_code, false) as is_converted,
        cast(deal_rates.reporting_per_unit / value_rates.reporting_per_unit as numeric(20, 10))
            as cross_rate,
        least(deal_rates.fx_rate_date, value_rates.fx_rate_date) as cross_rate_date,
        case
            -- the reporting currency's own leg (factor 1) adds no source
            when
                deal_rates.fx_rate_source = value_rates.fx_rate_source
                or value_rates.fx_rate_source = 'same_currency'
                then deal_rates.fx_rate_source
            when deal_rates.fx_rate_source = 'same_currency'
                then value_rates.fx_rate_source
            else
                {{ dbt.concat([
                    "deal_rates.fx_rate_source", "'/'", "value_rates.fx_rate_source"
                ]) }}
        end as cross_rate_source
    from destined
    left join deals
        on
            destined.deal_key = deals.deal_key
            and destined.value_rule = 'deal_amount'
    left join fx_rates as deal_rates
        on
            deals.crm = deal_rates.rate_scope
            and deals.fx_conversion_date = deal_rates.date_day
            and deals.currency_code = deal_rates.currency_code
    left join fx_rates as value_rates
        on
            deals.crm = value_rates.rate_scope
            and deals.fx_conversion_date = value_rates.date_day
            and coalesce(destined.map_currency_code, deals.currency_code)
            = value_rates.currency_code

),

valued as (

    select
        conversion_id,
        conversion_type,
        platform,
        account_id,
        destination,
        occurred_at,
        click_id,
        clicked_at,
        touchpoint_id,
        contact_id,
        deal_key,
        deal_id,
        value_rule,
        deal_amount,
        deal_currency_code,
        case when is_converted then cross_rate end as fx_rate,
        case when is_converted then cross_rate_date end as fx_rate_date,
        case when is_converted then cross_rate_source end as fx_rate_source,
        case
            when value_rule = 'fixed' then fixed_value
            when is_converted then deal_amount * cross_rate
            else deal_amount
        end as conversion_value,
        case
            when value_rule = 'fixed' then map_currency_code
            else deal_value_currency_code
        end as value_currency_code
    from deal_values

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            "valued.platform", "'|'", "valued.destination", "'|'", "valued.conversion_id"
        ])) }} as event_id,
        valued.conversion_id,
        valued.conversion_type,
        valued.platform,
        valued.account_id,
        valued.destination,
        valued.occurred_at,
        valued.click_id,
        valued.clicked_at,
        contacts.email_hash as email_sha256,
        cast(valued.conversion_value as numeric(20, 6)) as value,  -- noqa: RF04
        -- set whenever value is (Conversion.currency)
        case when valued.conversion_value is not null then valued.value_currency_code end
            as currency,
        coalesce(consents.has_marketing_consent, false) as has_marketing_consent,
        {{ to_utc_date('valued.occurred_at') }} as occurred_date,
        valued.contact_id,
        valued.deal_key,
        valued.deal_id,
        valued.touchpoint_id,
        valued.value_rule,
        cast(valued.deal_amount as numeric(20, 6)) as deal_amount,
        valued.deal_currency_code,
        valued.fx_rate,
        valued.fx_rate_date,
        valued.fx_rate_source
    from valued
    left join consents
        on valued.contact_id = consents.contact_id
    left join contacts
        on valued.contact_id = contacts.contact_id
    where valued.account_id is not null

)

select * from final
