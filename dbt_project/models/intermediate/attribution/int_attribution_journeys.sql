{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    meta={
        'fingerprint_seeds': ['channel_mapping'],
        'fingerprint_vars': ['attribution_lookback_days'],
    },
    pre_hook=["{{ journeys_forget_changed() }}"],
    post_hook=[
        "{{ journeys_save_changes() }}",
        "{{ incremental_save_state({'touches': ref('int_attribution_touchpoints')}, '_derived_at') }}",
    ],
) }}
/*
    Every conversion with its journey, per attribution scope: one row per touchpoint in the
    lookback window (var attribution_lookback_days: touched_at in
    (converted_at - lookback, converted_at]), or one row without a touchpoint (channel
    'unattributed') when there is none, so no conversion is dropped.
    * contact scope (every conversion): the touches of the conversion's person (a deal's
      primary contact);
    * account scope (opportunity and closed_won only): the touches of every person on the
      deal's buying committee (int_attribution_buying_committees), the primary contact
      included. A lead, mql or sql is one person's, so it has no account scope.
    Touches are numbered per conversion and scope by (touched_at, touchpoint_id):
    simultaneous touches keep a stable order; next_channel is the following touch's channel
    (null on the last), for the Markov chain. The w_shaped milestones are the last touch at
    or before the person's lead creation and at or before the deal's creation.

    Incremental (macros/journey_changes.sql, README_markov.md "Incremental nights"): a night
    rebuilds only the conversions whose row, buying committee or window's touches changed
    (the pre-hook finds them, journeys_changed, and deletes their rows); a first build,
    --full-refresh, a changed model, channel mapping or lookback, or a rebuilt
    int_attribution_touchpoints rebuilds every conversion.
*/
{%- set state = journeys_state() %}
with

conversions as (

    select * from {{ ref('int_attribution_conversions') }}
    {%- if state is not none %}
    where conversion_id in (select conversion_id from journeys_changed)
    {%- endif %}

),

touchpoints as (

    select * from {{ ref('int_attribution_touchpoints') }}

),

buying_committees as (

    select * from {{ ref('int_attribution_buying_committees') }}

),

scoped_conversions as (

    select
        conversions.*,
        scopes.attribution_scope
    from conversions
    cross join (values ('contact'), ('account')) as scopes (attribution_scope)
    where scopes.attribution_scope = 'contact' or conversions.deal_key is not null

),

-- whose touches make each conversion's journey in each scope
journey_people as (

    select
        conversion_id,
        'contact' as attribution_scope,
        contact_id,
        converted_at,
        lead_at,
        deal_created_at
    from conversions
    where contact_id is not null
    union all
    select
        conversions.conversion_id,
        'account' as attribution_scope,
        buying_committees.contact_id,
        conversions.converted_at,
        conversions.lead_at,
        conversions.deal_created_at
    from conversions
    inner join buying_committees
        on conversions.deal_key = buying_committees.deal_key

),

journey_touches as (

    select
        journey_people.conversion_id,
        journey_people.attribution_scope,
        touchpoints.touchpoint_id,
        touchpoints.contact_id as touched_contact_id,
        touchpoints.touched_at,
        touchpoints.channel,
        touchpoints.campaign_key,
        touchpoints.campaign_id,
        row_number() over journey as touch_number,
        count(*) over (
            partition by journey_people.conversion_id, journey_people.attribution_scope
        ) as touch_count,
        -- the same window as touch_number, so no second sort: the Markov chain's next state
        lead(touchpoints.channel) over journey as next_channel,
        touchpoints.touched_at <= journey_people.lead_at as is_before_lead,
        touchpoints.touched_at <= journey_people.deal_created_at as is_before_deal
    from journey_people
    inner join touchpoints
        on
            journey_people.contact_id = touchpoints.contact_id
            and journey_people.converted_at >= touchpoints.touched_at
            and touchpoints.touched_at > journey_people.converted_at
            - interval '1 day' * {{ var('attribution_lookback_days') }}
    window journey as (
        partition by journey_people.conversion_id, journey_people.attribution_scope
        order by touchpoints.touched_at, touchpoints.touchpoint_id
    )

),

milestones as (

    select
        conversion_id,
        attribution_scope,
        max(touch_number) filter (where channel != 'direct') as last_non_direct_number,
        max(touch_number) filter (where is_before_lead) as lead_milestone_number,
        max(touch_number) filter (where is_before_deal) as deal_milestone_number
    from journey_touches
    group by conversion_id, attribution_scope

),

final as (

    select
        conversions.conversion_id,
        conversions.attribution_scope,
        conversions.conversion_type,
        conversions.contact_id,
        conversions.deal_key,
        conversions.deal_id,
        conversions.converted_at,
        journey_touches.touchpoint_id,
        journey_touches.touched_contact_id,
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
    from scoped_conversions as conversions
    left join journey_touches
        on
            conversions.conversion_id = journey_touches.conversion_id
            and conversions.attribution_scope = journey_touches.attribution_scope
    left join milestones
        on
            conversions.conversion_id = milestones.conversion_id
            and conversions.attribution_scope = milestones.attribution_scope

)

select * from final
