-- a table: fct_offline_conversions plans its joins on this model's real row count (as a
-- view, its estimate of a few rows made every join above it a nested loop: hours at 50,000
-- deals), and its tests read it without deriving it again
{{ config(materialized='table') }}
/*
    One row per conversion (int_attribution_conversions) x ad platform whose click id its
    person carries: the click an offline conversion is sent with. A person's clicks are its
    touchpoints with a click id (gclid: google_ads, fbclid: meta_ads, li_fat_id: linkedin_ads);
    of one platform's, the latest at or before the conversion, else (every click came after
    it) the latest. The platforms' uploaders decide whether that click may still be sent.
*/
with

conversions as (

    select * from {{ ref('int_attribution_conversions') }}
    where contact_id is not null

),

clicks as (

    select
        touchpoint_id,
        contact_id,
        platform,
        click_id,
        touched_at,
        campaign_id,
        campaign_key
    from {{ ref('int_attribution_touchpoints') }}
    where
        click_id is not null
        and platform in ('google_ads', 'meta_ads', 'linkedin_ads')

),

ranked as (

    select
        conversions.conversion_id,
        conversions.conversion_type,
        conversions.contact_id,
        conversions.deal_key,
        conversions.deal_id,
        conversions.converted_at,
        clicks.platform,
        clicks.touchpoint_id,
        clicks.click_id,
        clicks.touched_at as clicked_at,
        clicks.campaign_id,
        clicks.campaign_key,
        row_number() over (
            partition by conversions.conversion_id, clicks.platform
            order by
                case when clicks.touched_at <= conversions.converted_at then 0 else 1 end,
                clicks.touched_at desc,
                clicks.touchpoint_id desc
        ) as click_rank
    from conversions
    inner join clicks
        on conversions.contact_id = clicks.contact_id

),

final as (

    select
        conversion_id,
        conversion_type,
        contact_id,
        deal_key,
        deal_id,
        converted_at,
        platform,
        touchpoint_id,
        click_id,
        clicked_at,
        campaign_id,
        campaign_key
    from ranked
    where click_rank = 1

)

select * from final
