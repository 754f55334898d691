{{ config(materialized='table') }}
/*
    Every conversion with its journey: one row per touchpoint of the conversion's person in
    the lookback window (var attribution_lookback_days: touched_at in
    (converted_at - lookback, converted_at]), or one row without a touchpoint (channel
    'unattributed') when there is none, so no conversion is dropped. Touches are numbered by
    (touched_at, touchpoint_id): simultaneous touches keep a stable order; next_channel is the
    following touch's channel (null on the last), for the Markov chain. The w_shaped
    milestones are the last touch at or before the person's lead creation and at or before
    the deal's creation.
*/
with

conversions as (

    select * from {{ ref('int_attribution_conversions') }}

),

touchpoints as (

    select * from {{ ref('int_attribution_touchpoints') }}

),

journey_touches as (

    select
        conversions.conversion_id,
        touchpoints.touchpoint_id,
        touchpoints.touched_at,
        touchpoints.channel,
        touchpoints.campaign_key,
        touchpoints.campaign_id,
        row_number() over (
            partition by conversions.conversion_id
            order by touchpoints.touched_at, touchpoints.touchpoint_id
        ) as touch_number,
        count(*) over (partition by conversions.conversion_id) as touch_count,
        -- the same window as touch_number, so no second sort: the Markov chain's next state
        lead(touchpoints.channel) over (
            partition by conversions.conversion_id
            order by touchpoints.touched_at, touchpoints.touchpoint_id
        ) as next_channel,
        touchpoints.touched_at <= conversions.lead_at as is_before_lead,
        touchpoints.touched_at <= conversions.deal_created_at as is_before_deal
    from conversions
    inner join touchpoints
        on
            conversions.contact_id = touchpoints.contact_id
            and conversions.converted_at >= touchpoints.touched_at
            and touchpoints.touched_at > conversions.converted_at
            - interval '1 day' * {{ var('attribution_lookback_days') }}

),

milestones as (

    select
        conversion_id,
        max(touch_number) filter (where channel != 'direct') as last_non_direct_number,
        max(touch_number) filter (where is_before_lead) as lead_milestone_number,
        max(touch_number) filter (where is_before_deal) as deal_milestone_number
    from journey_touches
    group by conversion_id

),

final as (

    select
        conversions.conversion_id,
        conversions.conversion_type,
        conversions.contact_id,
        conversions.deal_key,
        conversions.deal_id,
        conversions.converted_at,
        journey_touches.touchpoint_id,
        journey_touches.touched_at,
        coalesce(journey_touches.channel, 'unattributed') as channel,
        journey_touches.campaign_key,
        journey_touches.campaign_id,
        journey_touches.touch_number,
        journey_touches.touch_count,
        journey_touches.next_channel,
        milestones.last_non_direct_number,
        milestones.lead_milestone_number,
        milestones.deal_milestone_number
    from conversions
    left join journey_touches
        on conversions.conversion_id = journey_touches.conversion_id
    left join milestones
        on conversions.conversion_id = milestones.conversion_id

)

select * from final
