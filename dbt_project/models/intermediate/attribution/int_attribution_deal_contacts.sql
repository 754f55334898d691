/*
    Every CRM person record associated with a deal, both CRMs: HubSpot deal-contact
    associations, Salesforce opportunity contact roles and converted leads. is_primary: the CRM
    flags the association primary. int_attribution_conversions picks the deal's primary
    contact from these; int_attribution_buying_committees makes them the deal's committee.
*/
with

deal_contacts as (

    {{ union_sources(
        {
            'hubspot': 'int_attribution_hubspot_deal_contacts',
            'salesforce': 'int_attribution_salesforce_deal_contacts',
        },
        {'deal_key': 'text', 'record_key': 'text', 'is_primary': 'boolean'},
    ) }}

),

final as (

    select
        deal_key,
        record_key,
        is_primary
    from deal_contacts

)

select * from final
