/*
    Landing pages per attribution model: per normalised landing URL (no query, no fragment) and
    campaign, the spend and clicks of the ads whose final URL is that page (all days,
    reporting currency) next to the leads, opportunities, won deals and revenue the model
    credits to the touchpoints that landed there (fct_touchpoints.landing_page_url).

    Spend and touches meet on the page and the campaign, not on the UTM tags: Google's
    auto-tagged clicks carry a gclid and no UTM tags, and a campaign's ads may not name their
    UTM set in the final URL; the campaign is known on both sides (gclid or utm_campaign on the
    touch, the ad's campaign on the spend). The UTM set shown is the touches' (their source,
    medium and campaign, from the landing URL's UTM tags), else the ads' final URL's. Touches
    with no campaign (organic, referral, direct) have rows of their own per page, without
    spend. Spend without an ad (a campaign-level remainder, Microsoft Advertising's campaign
    report) or of an ad without a final URL has no page and is left out.
*/
with

ad_spend as (

    select * from {{ ref('fct_ad_spend_daily') }}
    where ad_id is not null

),

ads as (

    select * from {{ ref('dim_ads') }}
    where landing_page_url is not null

),

page_spend as (

    select
        ads.landing_page_url,
        ad_spend.campaign_key,
        min(ad_spend.platform) as platform,
        min(ads.utm_source) as utm_source,
        min(ads.utm_medium) as utm_medium,
        min(ads.utm_campaign) as utm_campaign,
        count(distinct ad_spend.ad_id) as ads,
        sum(ad_spend.spend_reporting) as spend,
        sum(ad_spend.impressions) as impressions,
        sum(ad_spend.clicks) as clicks
    from ad_spend
    inner join ads
        on
            ad_spend.platform = ads.platform
            and ad_spend.ad_id = ads.ad_id
    group by ads.landing_page_url, ad_spend.campaign_key

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
        coalesce(page_touches.utm_source, page_spend.utm_source) as utm_source,
        coalesce(page_touches.utm_medium, page_spend.utm_medium) as utm_medium,
        coalesce(page_touches.utm_campaign, page_spend.utm_campaign) as utm_campaign,
        coalesce(page_spend.ads, 0) as ads,
        coalesce(page_spend.spend, 0) as spend,
        coalesce(page_spend.impressions, 0) as impressions,
        coalesce(page_spend.clicks, 0) as clicks,
        coalesce(page_touches.touches, 0) as touches
    from page_touches
    full outer join page_spend
        on
            page_touches.landing_page_url = page_spend.landing_page_url
            and page_touches.campaign_key = page_spend.campaign_key

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
