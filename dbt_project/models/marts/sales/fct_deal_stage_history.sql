with

stage_history as (

    select * from {{ ref('int_deal_stage_history') }}

),

deals as (

    select * from {{ ref('int_deals_unioned') }}

),

final as (

    select
        stage_history.deal_stage_entry_key,
        stage_history.deal_key,
        stage_history.crm,
        stage_history.deal_id,
        deals.sales_rep_id,
        stage_history.stage_entry_number,
        stage_history.pipeline_id,
        stage_history.stage_id,
        stage_history.standard_stage,
        stage_history.standard_stage_order,
        stage_history.is_closed_stage,
        stage_history.is_won_stage,
        stage_history.entered_at,
        stage_history.exited_at,
        {{ to_utc_date('stage_history.entered_at') }} as entered_date,
        stage_history.days_in_stage,
        stage_history.is_current_stage,
        stage_history.is_regression,
        stage_history.is_reopening,
        stage_history.entry_source
    from stage_history
    inner join deals
        on stage_history.deal_key = deals.deal_key

)

select * from final
