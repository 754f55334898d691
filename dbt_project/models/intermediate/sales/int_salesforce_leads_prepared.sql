{{ config(enabled=source_enabled('salesforce')) }}
/*
    Salesforce leads for speed to lead (fct_lead_response): the org has no MQL stage, so every
    Lead arrives when it is created (a web form or an ad's lead form creates it), owned by its
    OwnerId. Its activities name the lead (WhoId) until it converts, then the converted
    contact: both records are the lead's.
*/
with

leads as (

    select * from {{ ref('stg_salesforce__leads') }}

),

final as (

    select
        'salesforce' as crm,
        lead_id,
        {{ dbt.concat(["'salesforce:'", "lead_id"]) }} as lead_record_key,
        case
            when converted_contact_id is not null
                then {{ dbt.concat(["'salesforce:'", "converted_contact_id"]) }}
        end as converted_record_key,
        owner_id,
        created_at as arrived_at,
        is_deleted
    from leads

)

select * from final
