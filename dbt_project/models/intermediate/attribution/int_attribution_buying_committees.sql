{{ config(materialized='table') }}
/*
    Each deal's buying committee: every person (contact_id, after identity stitching) with a
    counted record associated with the deal, once. The deal's primary contact is one of them.
    Account-scope attribution credits the touches of all of them (int_attribution_journeys).
*/
with

deal_contacts as (

    select * from {{ ref('int_attribution_deal_contacts') }}

),

records as (

    select * from {{ ref('int_attribution_contact_records') }}
    where is_counted

),

final as (

    select
        deal_contacts.deal_key,
        records.contact_id,
        bool_or(deal_contacts.is_primary) as is_primary_association
    from deal_contacts
    inner join records
        on deal_contacts.record_key = records.record_key
    group by deal_contacts.deal_key, records.contact_id

)

select * from final
