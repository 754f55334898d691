{{ config(
    enabled=source_enabled('hubspot'),
    materialized='incremental',
    unique_key='touchpoint_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    pre_hook="{{ incremental_restart() }}",
    post_hook=[
        "{{ incremental_key_index('touchpoint_id') }}",
        "{% set inputs = {'contacts': ref('stg_hubspot__contacts')} %}
        {%- if source_enabled('google_ads') %}
            {%- do inputs.update({'click_views': ref('stg_google_ads__click_views')}) %}
        {%- endif %}
        {{- incremental_save_state(inputs) }}",
    ],
) }}
/*
    Marketing touches recorded on HubSpot contacts: the first visit (original source; an ad
    click when the contact carries a click id: gclid, fbclid or li_fat_id) and a later visit
    from another source (latest source, when it is later than the first visit). Source,
    medium and campaign come from the first URL's UTM tags when present, else HubSpot's
    source drill-downs; the first URL without its query is the landing page. A Google click
    is matched to its click_view by gclid (campaign and ad group from Google Ads); other
    clicks name the campaign in utm_campaign (trailing id).

    Incremental (README_incremental.md): a night re-derives the touches of the contacts loaded
    since the last build and of the contacts whose Google click id was loaded since. Every
    contact keeps a first and a latest row; is_live says whether each is a touch, _derived_at
    when it was last derived.
*/
{%- set state = incremental_state() %}
with

{% if state is not none %}
    changed_contacts as (

        select contact_id from {{ ref('stg_hubspot__contacts') }}
        where {{ loaded_after('_loaded_at', state, 'contacts') }}
        {%- if source_enabled('google_ads') %}
            union
            -- a join, not `in` under an `or`: no click changed, no contact's JSON is read
            select contacts.contact_id
            from {{ ref('stg_hubspot__contacts') }} as contacts
            inner join {{ ref('stg_google_ads__click_views') }} as click_views
                on contacts.google_click_id = click_views.gclid
            where {{ loaded_after('click_views._loaded_at', state, 'click_views') }}
        {%- endif %}

    ),
{% endif %}

contacts as (

    {{ rows_to_derive(ref('stg_hubspot__contacts'), 'contact_id', 'changed_contacts', state) }}

),

{% if source_enabled('google_ads') %}
    google_clicks as (

        select
            gclid,
            min(customer_id) as account_id,
            min(campaign_id) as campaign_id,
            min(ad_group_id) as ad_group_id
        from {{ ref('stg_google_ads__click_views') }}
        where not is_deleted
        group by gclid

    ),
{% else %}
google_clicks as (

    select
        cast(null as text) as gclid,
        cast(null as bigint) as account_id,
        cast(null as bigint) as campaign_id,
        cast(null as bigint) as ad_group_id
    where false

),
{% endif %}

first_visits as (

    select
        contact_id,
        coalesce(first_visited_at, created_at) as touched_at,
        case
            when google_click_id is not null then 'google_ads'
            when facebook_click_id is not null then 'meta_ads'
            when linkedin_click_id is not null then 'linkedin_ads'
        end as platform,
        coalesce(google_click_id, facebook_click_id, linkedin_click_id) as click_id,
        coalesce(
            {{ attribution_url_parameter('first_page_url', 'utm_source') }},
            utm_source,
            lower(original_source_detail_1)
        ) as source,  -- noqa: RF04
        coalesce(
            {{ attribution_url_parameter('first_page_url', 'utm_medium') }},
            utm_medium,
            lower(original_source)
        ) as medium,
        coalesce(
            {{ attribution_url_parameter('first_page_url', 'utm_campaign') }}, utm_campaign
        ) as campaign,
        {{ url_without_query('first_page_url') }} as landing_page_url
    from contacts

),

first_touches as (

    select
        'hubspot:' || first_visits.contact_id || ':first' as touchpoint_id,
        'hubspot:' || first_visits.contact_id as record_key,
        first_visits.touched_at,
        case when first_visits.click_id is not null then 'ad_click' else 'first_source' end
            as touch_type,
        first_visits.source,
        first_visits.medium,
        first_visits.campaign,
        first_visits.platform,
        case
            when google_clicks.campaign_id is not null
                then cast(google_clicks.campaign_id as text)
            when first_visits.platform is not null
                then substring(first_visits.campaign from '([0-9]+)$')
        end as campaign_id,
        first_visits.click_id,
        google_clicks.gclid is not null as is_click_matched,
        first_visits.landing_page_url,
        first_visits.touched_at is not null as is_live
    from first_visits
    left join google_clicks
        on
            first_visits.platform = 'google_ads'
            and first_visits.click_id = google_clicks.gclid

),

latest_touches as (

    select
        'hubspot:' || contact_id || ':latest' as touchpoint_id,
        'hubspot:' || contact_id as record_key,
        latest_source_at as touched_at,
        'latest_source' as touch_type,
        lower(latest_source_detail_1) as source,  -- noqa: RF04
        lower(latest_source) as medium,
        cast(null as text) as campaign,
        cast(null as text) as platform,
        cast(null as text) as campaign_id,
        cast(null as text) as click_id,
        false as is_click_matched,
        -- HubSpot keeps the last page seen, not where the latest session landed
        cast(null as text) as landing_page_url,
        coalesce(latest_source_at > coalesce(first_visited_at, created_at), false) as is_live
    from contacts

),

touches as (

    select * from first_touches
    union all
    select * from latest_touches

),

final as (

    select
        *,
        {{ dbt.current_timestamp() }} as _derived_at
    from touches

)

select * from final
