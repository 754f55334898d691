/*
    Landing pages per attribution model: per normalised landing URL (no query, no fragment) and
    campaign, the spend and clicks that landed there (all days, reporting currency;
    int_landing_page_spend_daily: Google's landing_page_view, other platforms' ads by their
    final URL) next to the leads, opportunities, won deals and revenue the model credits to the
    touchpoints that landed there (fct_touchpoints.landing_page_url).

    Spend and touches meet on the page and the campaign, not on the UTM tags: Google's
    auto-tagged clicks carry a gclid and no UTM tags, and a campaign's ads may not name their
    UTM set in the final URL; the campaign is known on both sides (gclid or utm_campaign on the
    touch, the campaign of the spend). The UTM set shown is the touches' (their source, medium
    and campaign, from the landing URL's UTM tags), else the ads' final URL's. Touches with no
    campaign (organic, referral, direct) have rows of their own per page, without spend.
*/
with

page_spend_daily as (

    select * from {{ ref('int_landing_page_spend_daily') }}

),

page_spend as (

    select
        landing_page_url,
        campaign_key,
        min(platform) as platform,
        sum(spend_reporting) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from page_spend_daily
    group by landing_page_url, campaign_key

),

-- the UTM set the campaign's ads name in their final URL (none when auto-tagged)
ad_tags as (

    select
        landing_page_url,
        campaign_key,
        count(*) as ads,
        min(utm_source) as utm_source,
        min(utm_medium) as utm_medium,
        min(utm_campaign) as utm_campaign
    from {{ ref('dim_ads') }}
    where landing_page_url is not null
    group by landing_page_url, campaign_key

),

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}
    where landing_page_url is not null

),

page_touches as (

    select
        landing_page_url,
        campaign_key,
        min(platform) as platform,
        min(source) as utm_source,
        min(medium) as utm_medium,
        min(campaign) as utm_campaign,
        count(*) as touches
    from touchpoints
    group by landing_page_url, campaign_key

),

pages as (

    select
        coalesce(page_touches.landing_page_url, page_spend.landing_page_url)
            as landing_page_url,
        coalesce(page_touches.campaign_key, page_spend.campaign_key) as campaign_key,
        coalesce(page_touches.platform, page_spend.platform) as platform,
        coalesce(page_touches.utm_source, ad_tags.utm_source) as utm_source,
        coalesce(page_touches.utm_medium, ad_tags.utm_medium) as utm_medium,
        coalesce(page_touches.utm_campaign, ad_tags.utm_campaign) as utm_campaign,
        coalesce(ad_tags.ads, 0) as ads,
        coalesce(page_spend.spend, 0) as spend,
        coalesce(page_spend.impressions, 0) as impressions,
        coalesce(page_spend.clicks, 0) as clicks,
        coalesce(page_touches.touches, 0) as touches
    from page_touches
    full outer join page_spend
        on
            page_touches.landing_page_url = page_spend.landing_page_url
            and page_touches.campaign_key = page_spend.campaign_key
    left join ad_tags
        on
            coalesce(page_touches.landing_page_url, page_spend.landing_page_url)
            = ad_tags.landing_page_url
            and coalesce(page_touches.campaign_key, page_spend.campaign_key)
            = ad_tags.campaign_key

),

credited as (

    select
        touchpoints.landing_page_url,
        touchpoints.campaign_key,
        attribution.model,
        sum(case when attribution.conversion_type = 'lead' then attribution.credit end)
            as leads,
        sum(case when attribution.conversion_type = 'opportunity' then attribution.credit end)
            as opportunities,
        sum(case when attribution.conversion_type = 'closed_won' then attribution.credit end)
            as won_deals,
        sum(
            case
                when attribution.conversion_type = 'closed_won' then attribution.revenue_credit
            end
        ) as attributed_revenue
    from {{ ref('fct_attribution') }} as attribution
    inner join touchpoints
        on attribution.touchpoint_id = touchpoints.touchpoint_id
    -- the primary contact's journeys (account scope is for side-by-side analysis)
    where attribution.attribution_scope = 'contact'
    group by touchpoints.landing_page_url, touchpoints.campaign_key, attribution.model

),

models as (

    {{ attribution_models() }}

),

final as (

    select
        {{ key_from(['models.model', 'pages.campaign_key', 'pages.landing_page_url']) }}
            as landing_page_attribution_key,
        pages.landing_page_url,
        pages.platform,
        pages.campaign_key,
        pages.utm_source,
        pages.utm_medium,
        pages.utm_campaign,
        models.model,
        pages.ads,
        pages.spend,
        pages.impressions,
        pages.clicks,
        pages.touches,
        coalesce(credited.leads, 0) as leads,
        coalesce(credited.opportunities, 0) as opportunities,
        coalesce(credited.won_deals, 0) as won_deals,
        coalesce(credited.attributed_revenue, 0) as attributed_revenue,
        nullif(pages.spend, 0) / nullif(credited.leads, 0) as cost_per_lead,
        coalesce(credited.attributed_revenue, 0) / nullif(pages.spend, 0) as roas
    from pages
    cross join models
    left join credited
        on
            pages.landing_page_url = credited.landing_page_url
            and (
                pages.campaign_key = credited.campaign_key
                or (pages.campaign_key is null and credited.campaign_key is null)
            )
            and models.model = credited.model

)

select * from final
