{{ config(enabled=source_enabled('salesforce')) }}
/*
    Marketing touches recorded in Salesforce: campaign memberships (a lead or contact added
    to a campaign, at the membership's creation; a lead's membership recorded within a day
    after the lead is the campaign that brought the lead in, so it is dated at the lead's
    creation, which Salesforce records first) and, for a lead in no campaign, its
    LeadSource at the lead's creation. A Contact's LeadSource is not a touch of its own: it
    is copied from the lead or from HubSpot, whose touches are already counted.
*/
with

members as (

    select * from {{ ref('stg_salesforce__campaign_members') }}
    where not is_deleted

),

campaigns as (

    select * from {{ ref('stg_salesforce__campaigns') }}

),

leads as (

    select * from {{ ref('stg_salesforce__leads') }}

),

member_touches as (

    select
        'salesforce:' || members.campaign_member_id as touchpoint_id,
        'salesforce:' || coalesce(members.lead_id, members.contact_id) as record_key,
        case
            when
                members.created_at >= leads.created_at
                and members.created_at < leads.created_at + interval '1 day'
                then leads.created_at
            else members.created_at
        end as touched_at,
        'campaign_member' as touch_type,
        lower(campaigns.campaign_name) as source,  -- noqa: RF04
        lower(campaigns.campaign_type) as medium,
        campaigns.campaign_name as campaign,
        'salesforce' as platform,
        members.campaign_id,
        cast(null as text) as click_id,
        false as is_click_matched
    from members
    left join campaigns
        on members.campaign_id = campaigns.campaign_id
    left join leads
        on members.lead_id = leads.lead_id

),

lead_source_touches as (

    select
        'salesforce:' || leads.lead_id || ':lead_source' as touchpoint_id,
        'salesforce:' || leads.lead_id as record_key,
        leads.created_at as touched_at,
        'lead_source' as touch_type,
        'salesforce' as source,  -- noqa: RF04
        lower(leads.lead_source) as medium,
        cast(null as text) as campaign,
        cast(null as text) as platform,
        cast(null as text) as campaign_id,
        cast(null as text) as click_id,
        false as is_click_matched
    from leads
    where
        leads.lead_source is not null
        and not exists (
            select 1
            from members
            where members.lead_id = leads.lead_id
        )

),

final as (

    select * from member_touches
    where touched_at is not null
    union all
    select * from lead_source_touches
    where touched_at is not null

)

select * from final
