with

deals as (

    select * from {{ ref('int_deals_unioned') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

stage_mapping as (

    select * from {{ ref('deal_stage_mapping') }}

),

source_channels as (

    select * from {{ ref('int_deal_source_channels') }}

),

stage_history as (

    select * from {{ ref('int_deal_stage_history') }}

),

-- a deal that entered an open stage after a closed one (won or lost) was re-opened
reopenings as (

    select
        deal_key,
        count(*) as reopened_count
    from stage_history
    where is_reopening
    group by deal_key

),

deal_dates as (

    select
        deal_key,
        crm,
        deal_id,
        deal_name,
        account_id,
        account_key,
        owner_id,
        sales_rep_id,
        pipeline_id,
        pipeline_name,
        stage_id,
        stage_name,
        stage_probability,
        created_at,
        case when is_closed then close_at end as closed_at,
        {{ to_utc_date('close_at') }} as close_date,
        {{ to_utc_date('created_at') }} as created_date,
        -- the day whose rate converts the deal, as its CRM converts it: a closed deal at its
        -- close date; an open HubSpot deal at the newest rate (HubSpot re-rates open deals and
        -- fixes the rate on closing); an open Salesforce opportunity at its expected close
        -- date (dated rates apply by close date, open or closed; a static rate is the same
        -- every day). No close date: the created date.
        case
            when is_closed or crm = 'salesforce'
                then coalesce({{ to_utc_date('close_at') }}, {{ to_utc_date('created_at') }})
            else {{ as_of_date() }}
        end as fx_conversion_date,
        is_closed,
        is_won,
        amount,
        currency_code,
        list_amount,
        list_amount_source,
        custom_fields
    from deals

),

final as (

    select
        deal_dates.deal_key,
        deal_dates.crm,
        deal_dates.deal_id,
        deal_dates.deal_name,
        deal_dates.account_id,
        deal_dates.owner_id,
        deal_dates.pipeline_id,
        deal_dates.pipeline_name,
        deal_dates.stage_id,
        deal_dates.stage_name,
        deal_dates.stage_probability,
        deal_dates.created_at,
        deal_dates.closed_at,
        deal_dates.close_date,
        deal_dates.is_closed,
        deal_dates.is_won,
        deal_dates.amount,
        deal_dates.currency_code,
        deal_dates.amount * fx_rates.reporting_per_unit as amount_reporting,
        {{ currency_var('reporting_currency') }} as reporting_currency_code,
        deal_dates.list_amount,
        deal_dates.list_amount * fx_rates.reporting_per_unit as list_amount_reporting,
        1 - deal_dates.amount / nullif(deal_dates.list_amount, 0) as discount,
        case
            when deal_dates.is_closed
                then {{ to_utc_date('deal_dates.closed_at') }} - deal_dates.created_date
        end as sales_cycle_days,
        -- columns added for the sales marts (issue 5)
        deal_dates.sales_rep_id,
        deal_dates.account_key,
        deal_dates.created_date,
        coalesce(
            stage_mapping.standard_stage,
            case
                when deal_dates.is_won then 'closed_won'
                when deal_dates.is_closed then 'closed_lost'
                else 'unmapped'
            end
        ) as standard_stage,
        coalesce(
            stage_mapping.standard_stage_order,
            case when deal_dates.is_closed then 6 end
        ) as standard_stage_order,
        deal_dates.list_amount - deal_dates.amount as discount_amount,
        (deal_dates.list_amount - deal_dates.amount) * fx_rates.reporting_per_unit
            as discount_amount_reporting,
        deal_dates.list_amount_source,
        fx_rates.reporting_per_unit as fx_rate_to_reporting,
        deal_dates.fx_conversion_date,
        fx_rates.fx_rate_date,
        fx_rates.fx_rate_source,
        coalesce(reopenings.reopened_count, 0) > 0 as is_reopened,
        coalesce(source_channels.source_channel, 'unattributed') as source_channel,
        coalesce(source_channels.is_marketing_sourced, false) as is_marketing_sourced,
        -- the CRM fields named in var custom_fields (macros/custom_fields.sql)
        deal_dates.custom_fields
    from deal_dates
    left join fx_rates
        on
            deal_dates.fx_conversion_date = fx_rates.date_day
            and deal_dates.currency_code = fx_rates.currency_code
            -- the deal's own CRM's rates first (var fx_rate_sources)
            and deal_dates.crm = fx_rates.rate_scope
    left join stage_mapping
        on
            deal_dates.crm = stage_mapping.crm
            and deal_dates.pipeline_id is not distinct from stage_mapping.pipeline_id
            and deal_dates.stage_id = stage_mapping.stage_id
    left join reopenings
        on deal_dates.deal_key = reopenings.deal_key
    left join source_channels
        on deal_dates.deal_key = source_channels.deal_key

)

select * from final
