/*
    The source channel of every deal (one row per deal_key of int_deals_unioned): the channel
    of the first touch of its primary contact in the lookback window before the deal was
    created (the opportunity conversion's first touch). A deal is marketing-sourced when
    that touch exists, sales-sourced when it does not (no contact, or no marketing touch in
    the window: the rep created it); its source_channel is then 'unattributed'.
*/
with

deals as (

    select * from {{ ref('int_deals_unioned') }}

),

journeys as (

    select * from {{ ref('int_attribution_journeys') }}
    where conversion_type = 'opportunity' and attribution_scope = 'contact'

),

first_touches as (

    select
        deal_key,
        contact_id,
        touchpoint_id,
        touched_at,
        channel,
        campaign_key
    from journeys
    where touch_number = 1 or touchpoint_id is null

),

final as (

    select
        deals.deal_key,
        first_touches.contact_id,
        coalesce(first_touches.channel, 'unattributed') as source_channel,
        first_touches.touchpoint_id as source_touchpoint_id,
        first_touches.touched_at as source_touched_at,
        first_touches.campaign_key as source_campaign_key,
        first_touches.touchpoint_id is not null as is_marketing_sourced
    from deals
    left join first_touches
        on deals.deal_key = first_touches.deal_key

)

select * from final
