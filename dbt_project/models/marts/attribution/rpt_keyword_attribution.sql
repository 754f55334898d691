/*
    Keywords per attribution model: each keyword's spend and clicks over all days (reporting
    currency) next to the leads, opportunities, won deals and revenue the model credits to the
    touchpoints whose ad click came through that keyword (the click's keyword in click_view,
    found by its gclid). Spend does not depend on the model: each model's row carries it whole.
    A keyword credited with conversions but without spend in the warehouse still has its rows.
    Microsoft Advertising keywords show their spend and clicks with nothing credited: Microsoft
    has no click report naming a click's keyword (MSCLKID matching is not built).
*/
with

keyword_spend as (

    select
        platform,
        campaign_key,
        ad_group_id,
        keyword_id,
        max(keyword_text) as keyword_text,
        max(match_type) as match_type,
        sum(spend_reporting) as spend,
        sum(clicks) as clicks
    from {{ ref('fct_keyword_performance_daily') }}
    group by platform, campaign_key, ad_group_id, keyword_id

),

click_keywords as (

    {{ union_sources(
        {'google_ads': 'stg_google_ads__click_views'},
        {
            'gclid': 'text',
            'campaign_id': 'bigint',
            'ad_group_id': 'bigint',
            'keyword_id': 'bigint',
            'keyword_text': 'text',
            'match_type': 'text',
        },
    ) }}

),

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}
    where platform = 'google_ads' and click_id is not null

),

attribution as (

    select * from {{ ref('fct_attribution') }}
    -- the primary contact's journeys (account scope is for side-by-side analysis)
    where attribution_scope = 'contact'

),

credited as (

    select
        'google_ads' as platform,
        {{ key_from(["'google_ads'", 'click_keywords.campaign_id']) }} as campaign_key,
        cast(click_keywords.ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        cast(click_keywords.keyword_id as {{ dbt.type_string() }}) as keyword_id,
        max(click_keywords.keyword_text) as keyword_text,
        max(click_keywords.match_type) as match_type,
        attribution.model,
        sum(attribution.credit) filter (where attribution.conversion_type = 'lead') as leads,
        sum(attribution.credit) filter (
            where attribution.conversion_type = 'opportunity'
        ) as opportunities,
        sum(attribution.credit) filter (
            where attribution.conversion_type = 'closed_won'
        ) as won_deals,
        sum(attribution.revenue_credit) filter (
            where attribution.conversion_type = 'closed_won'
        ) as attributed_revenue
    from attribution
    inner join touchpoints on attribution.touchpoint_id = touchpoints.touchpoint_id
    inner join click_keywords on touchpoints.click_id = click_keywords.gclid
    where click_keywords.keyword_id is not null
    group by
        click_keywords.campaign_id,
        click_keywords.ad_group_id,
        click_keywords.keyword_id,
        attribution.model

),

models as (

    {{ attribution_models() }}

),

spend_per_model as (

    select
        keyword_spend.*,
        models.model
    from keyword_spend
    cross join models

),

final as (

    select
        {{ key_from([
            'coalesce(spend_per_model.platform, credited.platform)',
            'coalesce(spend_per_model.ad_group_id, credited.ad_group_id)',
            'coalesce(spend_per_model.keyword_id, credited.keyword_id)',
            'coalesce(spend_per_model.model, credited.model)',
        ]) }} as keyword_attribution_key,
        coalesce(spend_per_model.platform, credited.platform) as platform,
        coalesce(spend_per_model.campaign_key, credited.campaign_key) as campaign_key,
        coalesce(spend_per_model.ad_group_id, credited.ad_group_id) as ad_group_id,
        coalesce(spend_per_model.keyword_id, credited.keyword_id) as keyword_id,
        coalesce(spend_per_model.keyword_text, credited.keyword_text) as keyword_text,
        coalesce(spend_per_model.match_type, credited.match_type) as match_type,
        coalesce(spend_per_model.model, credited.model) as model,  -- noqa: RF04
        coalesce(spend_per_model.spend, 0) as spend,
        coalesce(spend_per_model.clicks, 0) as clicks,
        coalesce(credited.leads, 0) as leads,
        coalesce(credited.opportunities, 0) as opportunities,
        coalesce(credited.won_deals, 0) as won_deals,
        coalesce(credited.attributed_revenue, 0) as attributed_revenue,
        spend_per_model.spend / nullif(credited.leads, 0) as cost_per_lead,
        coalesce(credited.attributed_revenue, 0) / nullif(spend_per_model.spend, 0) as roas
    from spend_per_model
    full outer join credited
        on
            spend_per_model.platform = credited.platform
            and spend_per_model.ad_group_id = credited.ad_group_id
            and spend_per_model.keyword_id = credited.keyword_id
            and spend_per_model.model = credited.model

)

select * from final
