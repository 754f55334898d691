{{ config(
    enabled=source_enabled('salesforce'),
    materialized='incremental',
    unique_key='touchpoint_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    pre_hook=[
        "{{ incremental_restart() }}",
        "{{ 'set local enable_mergejoin = off' if is_incremental() }}",
    ],
    post_hook=[
        "{{ incremental_key_index('touchpoint_id') }}",
        "{{ incremental_save_state({
            'members': ref('stg_salesforce__campaign_members'),
            'campaigns': ref('stg_salesforce__campaigns'),
            'leads': ref('stg_salesforce__leads'),
        }) }}",
    ],
) }}
/*
    Marketing touches recorded in Salesforce: campaign memberships (a lead or contact added
    to a campaign, at the membership's creation; a lead's membership recorded within a day
    after the lead is the campaign that brought the lead in, so it is dated at the lead's
    creation, which Salesforce records first) and, for a lead in no campaign, its
    LeadSource at the lead's creation. A Contact's LeadSource is not a touch of its own: it
    is copied from the lead or from HubSpot, whose touches are already counted.

    Incremental (README_incremental.md): a night re-derives the touches of memberships, leads
    and campaigns loaded since the last build. Every membership and lead keeps a row; is_live
    says whether it is a touch (a deleted membership, a lead that gained a campaign, is not),
    so a change that ends a touch replaces its row; _derived_at says when a row was last
    derived (int_attribution_touchpoints reads the rows derived since its own last build).
    An incremental build turns merge joins off: PostgreSQL sorted every membership by lead id
    (6 s at 4.6M) to merge them with a few thousand changed leads, which a hash joins in 1 s.
*/
{%- set state = incremental_state() %}
with

-- the staging models are referenced where they are read, not through one CTE: a CTE read
-- twice is materialized, which would parse every membership's JSON on a full build
campaigns as (

    select * from {{ ref('stg_salesforce__campaigns') }}

),

{% if state is not none %}
    loaded_members as materialized (

        select
            campaign_member_id,
            lead_id
        from {{ ref('stg_salesforce__campaign_members') }}
        where {{ loaded_after('_loaded_at', state, 'members') }}

    ),

    -- a lead's touches change with the lead and with its memberships
    changed_leads as materialized (

        select lead_id from {{ ref('stg_salesforce__leads') }}
        where {{ loaded_after('_loaded_at', state, 'leads') }}
        union
        select lead_id from loaded_members
        where lead_id is not null

    ),

    changed_campaigns as materialized (

        select campaign_id from campaigns
        where {{ loaded_after('_loaded_at', state, 'campaigns') }}

    ),

    -- every membership of a changed lead: one pass over the memberships, by hash (the lead
    -- id is read from each membership's JSON; sorting them all by it took seconds)
    lead_members as materialized (

        select
            members.campaign_member_id,
            members.lead_id,
            members.is_deleted
        from {{ ref('stg_salesforce__campaign_members') }} as members
        inner join changed_leads
            on members.lead_id = changed_leads.lead_id

    ),

    -- joins, not `in` over an `or`: an empty change set skips the scan it would filter
    changed_members as (

        select campaign_member_id from loaded_members
        union
        select members.campaign_member_id
        from {{ ref('stg_salesforce__campaign_members') }} as members
        inner join changed_campaigns
            on members.campaign_id = changed_campaigns.campaign_id
        union
        select campaign_member_id from lead_members

    ),
{% endif %}

members as (

    {{ rows_to_derive(
        ref('stg_salesforce__campaign_members'), 'campaign_member_id', 'changed_members', state
    ) }}

),

{% if state is not none %}
    member_leads as (

        select distinct lead_id from members
        where lead_id is not null

    ),
{% endif %}

-- the leads of the memberships derived (incremental: only theirs, each by its key)
leads as (

    {{ rows_to_derive(ref('stg_salesforce__leads'), 'lead_id', 'member_leads', state) }}

),

-- materialized when incremental: else the lookups were joined to leads_in_campaigns one by one
lead_rows as {% if state is not none %}materialized {% endif %}(

    {{ rows_to_derive(ref('stg_salesforce__leads'), 'lead_id', 'changed_leads', state) }}

),

-- leads with a live membership: their LeadSource is not a touch of its own
leads_in_campaigns as (

    select distinct lead_id
    {%- if state is none %}
        from {{ ref('stg_salesforce__campaign_members') }}
    {%- else %}
        from lead_members
    {%- endif %}
    where not is_deleted

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
        false as is_click_matched,
        -- Salesforce records no page a lead landed on
        cast(null as text) as landing_page_url,
        not members.is_deleted as is_touch
    from members
    left join campaigns
        on members.campaign_id = campaigns.campaign_id
    left join leads
        on members.lead_id = leads.lead_id

),

lead_source_touches as (

    select
        'salesforce:' || lead_rows.lead_id || ':lead_source' as touchpoint_id,
        'salesforce:' || lead_rows.lead_id as record_key,
        lead_rows.created_at as touched_at,
        'lead_source' as touch_type,
        'salesforce' as source,  -- noqa: RF04
        lower(lead_rows.lead_source) as medium,
        cast(null as text) as campaign,
        cast(null as text) as platform,
        cast(null as text) as campaign_id,
        cast(null as text) as click_id,
        false as is_click_matched,
        cast(null as text) as landing_page_url,
        lead_rows.lead_source is not null and leads_in_campaigns.lead_id is null as is_touch
    from lead_rows
    left join leads_in_campaigns
        on lead_rows.lead_id = leads_in_campaigns.lead_id

),

touches as (

    select * from member_touches
    union all
    select * from lead_source_touches

),

final as (

    select
        touchpoint_id,
        record_key,
        touched_at,
        touch_type,
        source,
        medium,
        campaign,
        platform,
        campaign_id,
        click_id,
        is_click_matched,
        landing_page_url,
        is_touch and touched_at is not null as is_live,
        {{ dbt.current_timestamp() }} as _derived_at
    from touches

)

select * from final
