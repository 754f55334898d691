{{ config(enabled=source_enabled('salesforce')) }}
{#- The field holding marketing consent (var conversion_consent, read again by
    int_conversion_consents): none by default, as a standard Contact has no such field (the
    Individual object's HasOptedOutTracking / HasOptedOutProfiling are not extracted); an org
    names its own, e.g. a custom Marketing_Consent__c. -#}
{%- set consent = (var('conversion_consent', {}) or {}).get('salesforce_contacts') or {} %}
{%- set consent_property = consent.get('property') %}
{%- set name_pattern = '[A-Za-z][A-Za-z0-9_]*' %}
{%- if consent_property and modules.re.fullmatch(name_pattern, consent_property) is none %}
    {{ exceptions.raise_compiler_error(
        "var conversion_consent.salesforce_contacts.property: '" ~ consent_property
        ~ "' is not a field API name (letters, digits, _)"
    ) }}
{%- endif %}
with

source as (

    select * from {{ source('salesforce', 'contacts') }}

),

renamed as (

    select
        -- ids
        contact_id,
        record ->> 'AccountId' as account_id,
        record ->> 'OwnerId' as owner_id,

        -- contact
        lower(btrim(record ->> 'Email')) as email,
        record ->> 'FirstName' as first_name,
        record ->> 'LastName' as last_name,
        record ->> 'Title' as title,
        record ->> 'LeadSource' as lead_source,

        -- marketing consent: the configured field's value as Salesforce sent it
        {% if consent_property -%}
            record ->> '{{ consent_property }}'
        {%- else -%}
            cast(null as text)
        {%- endif %} as marketing_consent_basis,

        -- timestamps
        {{ string_to_timestamp("record ->> 'CreatedDate'") }} as created_at,
        coalesce(
            {{ string_to_timestamp("record ->> 'LastModifiedDate'") }},
            {{ string_to_timestamp("record ->> 'SystemModstamp'") }}
        ) as updated_at,

        -- custom fields (var custom_fields, macros/custom_fields.sql)
        {{ custom_field_columns('salesforce_contacts', "record") }}
        {{ custom_fields_object('salesforce_contacts', "record") }} as custom_fields,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
