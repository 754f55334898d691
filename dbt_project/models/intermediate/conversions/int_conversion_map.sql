/*
    seeds/conversion_map.csv as the offline conversions read it, each row checked: map_problem
    says in words what is wrong with a row an analyst edited (null when nothing is), and the
    data test on is_valid stops the build of fct_offline_conversions until it is fixed.
*/
with

conversion_map as (

    select * from {{ ref('conversion_map') }}

),

checked as (

    select
        platform,
        conversion_type,
        destination,
        -- Google customer ids are often written 123-456-7890; the APIs take the digits
        nullif({{ dbt.replace("btrim(account_id)", "'-'", "''") }}, '') as account_id,
        value_rule,
        fixed_value,
        nullif(upper(btrim(currency)), '') as currency_code,
        case
            when platform not in ('google_ads', 'meta_ads', 'linkedin_ads')
                then 'platform is not google_ads, meta_ads or linkedin_ads'
            when conversion_type not in ('lead', 'mql', 'sql', 'opportunity', 'closed_won')
                then 'conversion_type is not lead, mql, sql, opportunity or closed_won'
            when nullif(btrim(destination), '') is null
                then 'destination is empty'
            when platform = 'meta_ads' and account_id is null
                then 'a meta_ads row needs account_id (the dataset id)'
            when value_rule = 'none' and (fixed_value is not null or currency is not null)
                then 'value_rule none takes no fixed_value and no currency'
            when value_rule = 'fixed' and (fixed_value is null or fixed_value < 0)
                then 'value_rule fixed needs a fixed_value of 0 or more'
            when value_rule = 'fixed' and currency is null
                then 'value_rule fixed needs the currency of fixed_value'
            when value_rule = 'deal_amount' and conversion_type not in ('opportunity', 'closed_won')
                then 'value_rule deal_amount is only for opportunity and closed_won (deals)'
            when value_rule = 'deal_amount' and fixed_value is not null
                then 'value_rule deal_amount takes no fixed_value'
            when value_rule not in ('none', 'fixed', 'deal_amount') or value_rule is null
                then 'value_rule is not none, fixed or deal_amount'
            when currency is not null and {{ dbt.length('btrim(currency)') }} != 3
                then 'currency is not a 3-letter ISO 4217 code'
        end as map_problem
    from conversion_map

),

final as (

    select
        *,
        map_problem is null as is_valid
    from checked

)

select * from final
