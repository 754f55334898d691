/*
    The rep activity scorecard: one row per rep and week (Monday to Sunday, UTC) in which the
    rep logged an activity or decided a deal. Activities by type, meetings held, the
    activity -> meeting -> opportunity conversion of the contacts the rep first reached that
    week, and the week's win rate and discount. Set-based: groupings of fct_activities and
    fct_deals, no per-row lookups. Rules in README.md ("Rep activity scorecard").
*/
with

activities as (

    select
        *,
        cast({{ dbt.date_trunc('week', 'occurred_date') }} as date) as week_start
    from {{ ref('fct_activities') }}
    where sales_rep_id is not null

),

deals as (

    select
        *,
        cast({{ dbt.date_trunc('week', to_utc_date('closed_at')) }} as date) as week_start
    from {{ ref('fct_deals') }}
    where sales_rep_id is not null and is_closed and closed_at is not null

),

contacts as (

    select * from {{ ref('dim_contacts') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_reps') }}

),

activity_weeks as (

    select
        sales_rep_id,
        week_start,
        count(*) as activities,
        {{ count_where("activity_type = 'call'") }} as calls,
        {{ count_where("activity_type = 'call' and outcome = 'connected'") }} as calls_connected,
        {{ count_where("activity_type = 'email'") }} as emails,
        {{ count_where("activity_type = 'meeting'") }} as meetings,
        {{ count_where("activity_type = 'meeting' and is_completed") }} as meetings_held,
        {{ count_where("activity_type = 'task'") }} as tasks,  -- noqa: RF04
        {{ count_where("activity_type = 'note'") }} as notes,
        {{ count_where("direction = 'outbound'") }} as outbound_activities,
        {{ count_where("direction = 'inbound'") }} as inbound_activities,
        count(distinct contact_id) as contacts_touched
    from activities
    group by sales_rep_id, week_start

),

-- each contact's first outbound activity by each rep: the week the rep first reached them
first_reach as (

    select
        sales_rep_id,
        contact_id,
        min(occurred_at) as first_reached_at
    from activities
    where direction = 'outbound' and contact_id is not null
    group by sales_rep_id, contact_id

),

held_meetings as (

    select
        sales_rep_id,
        contact_id,
        min(occurred_at) as first_meeting_at
    from activities
    where activity_type = 'meeting' and is_completed and contact_id is not null
    group by sales_rep_id, contact_id

),

reach_outcomes as (

    select
        first_reach.sales_rep_id,
        cast({{ dbt.date_trunc('week', to_utc_date('first_reach.first_reached_at')) }} as date)
            as week_start,
        held_meetings.first_meeting_at >= first_reach.first_reached_at as had_meeting,
        contacts.became_opportunity_at >= first_reach.first_reached_at as became_opportunity
    from first_reach
    left join held_meetings
        on
            first_reach.sales_rep_id = held_meetings.sales_rep_id
            and first_reach.contact_id = held_meetings.contact_id
    left join contacts
        on first_reach.contact_id = contacts.contact_id

),

reach_weeks as (

    select
        sales_rep_id,
        week_start,
        count(*) as contacts_first_reached,
        {{ count_where('had_meeting') }} as reached_with_meeting,
        {{ count_where('had_meeting and became_opportunity') }}
            as reached_with_meeting_and_opportunity,
        {{ count_where('became_opportunity') }} as reached_with_opportunity
    from reach_outcomes
    group by sales_rep_id, week_start

),

deal_weeks as (

    select
        sales_rep_id,
        week_start,
        {{ count_where('is_won') }} as deals_won,
        {{ count_where('not is_won') }} as deals_lost,
        avg(case when is_won and list_amount is not null then coalesce(discount, 0) end)
            as average_discount
    from deals
    group by sales_rep_id, week_start

),

rep_weeks as (

    select
        sales_rep_id,
        week_start
    from activity_weeks
    union
    select
        sales_rep_id,
        week_start
    from deal_weeks

),

final as (

    select
        {{ key_from(['rep_weeks.sales_rep_id', 'rep_weeks.week_start']) }} as rep_week_key,
        rep_weeks.sales_rep_id,
        sales_reps.team_key,
        sales_reps.team_name,
        rep_weeks.week_start,
        cast({{ dbt.dateadd('day', 6, 'rep_weeks.week_start') }} as date) as week_end,
        coalesce(activity_weeks.activities, 0) as activities,
        coalesce(activity_weeks.calls, 0) as calls,
        coalesce(activity_weeks.calls_connected, 0) as calls_connected,
        coalesce(activity_weeks.emails, 0) as emails,
        coalesce(activity_weeks.meetings, 0) as meetings,
        coalesce(activity_weeks.meetings_held, 0) as meetings_held,
        coalesce(activity_weeks.tasks, 0) as tasks,  -- noqa: RF04
        coalesce(activity_weeks.notes, 0) as notes,
        coalesce(activity_weeks.outbound_activities, 0) as outbound_activities,
        coalesce(activity_weeks.inbound_activities, 0) as inbound_activities,
        coalesce(activity_weeks.contacts_touched, 0) as contacts_touched,
        coalesce(reach_weeks.contacts_first_reached, 0) as contacts_first_reached,
        coalesce(reach_weeks.reached_with_meeting, 0) as reached_with_meeting,
        coalesce(reach_weeks.reached_with_opportunity, 0) as reached_with_opportunity,
        round(
            cast(reach_weeks.reached_with_meeting as numeric)
            / nullif(reach_weeks.contacts_first_reached, 0),
            4
        ) as activity_to_meeting_rate,
        round(
            cast(reach_weeks.reached_with_meeting_and_opportunity as numeric)
            / nullif(reach_weeks.reached_with_meeting, 0),
            4
        ) as meeting_to_opportunity_rate,
        coalesce(deal_weeks.deals_won, 0) as deals_won,
        coalesce(deal_weeks.deals_lost, 0) as deals_lost,
        round(
            cast(deal_weeks.deals_won as numeric)
            / nullif(deal_weeks.deals_won + deal_weeks.deals_lost, 0),
            4
        ) as win_rate_by_count,
        round(cast(deal_weeks.average_discount as numeric), 4) as average_discount
    from rep_weeks
    left join sales_reps
        on rep_weeks.sales_rep_id = sales_reps.sales_rep_id
    left join activity_weeks
        on
            rep_weeks.sales_rep_id = activity_weeks.sales_rep_id
            and rep_weeks.week_start = activity_weeks.week_start
    left join reach_weeks
        on
            rep_weeks.sales_rep_id = reach_weeks.sales_rep_id
            and rep_weeks.week_start = reach_weeks.week_start
    left join deal_weeks
        on
            rep_weeks.sales_rep_id = deal_weeks.sales_rep_id
            and rep_weeks.week_start = deal_weeks.week_start

)

select * from final
