-- One marketing touch of one person (contact_id of dim_contacts): ad click, first or latest
-- source visit, Salesforce campaign membership or lead source, with its channel.
with

touchpoints as (

    select * from {{ ref('int_attribution_touchpoints') }}

),

final as (

    select
        touchpoint_id,
        contact_id,
        record_key,
        touched_at,
        {{ to_utc_date('touched_at') }} as touched_date,
        touch_type,
        channel,
        source,
        medium,
        campaign,
        platform,
        campaign_id,
        campaign_key,
        click_id,
        is_click_matched,
        landing_page_url
    from touchpoints

)

select * from final
