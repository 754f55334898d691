{{ config(enabled=source_enabled('hubspot')) }}
{#- The property holding marketing consent (var conversion_consent, read again by
    int_conversion_consents): HubSpot's "Legal basis for processing contact's data". -#}
{%- set consent = (var('conversion_consent', {}) or {}).get(
    'hubspot_contacts', {'property': 'hs_legal_basis'}
) or {} %}
{%- set consent_property = consent.get('property') %}
{%- set name_pattern = '[A-Za-z][A-Za-z0-9_]*' %}
{%- if consent_property and modules.re.fullmatch(name_pattern, consent_property) is none %}
    {{ exceptions.raise_compiler_error(
        "var conversion_consent.hubspot_contacts.property: '" ~ consent_property
        ~ "' is not a property name (letters, digits, _)"
    ) }}
{%- endif %}
with

source as (

    select * from {{ source('hubspot', 'contacts') }}

),

renamed as (

    select
        -- ids
        contact_id,
        {{ string_to_number("record -> 'properties' ->> 'associatedcompanyid'", 'bigint') }}
            as company_id,
        {{ string_to_number("record -> 'properties' ->> 'hubspot_owner_id'", 'bigint') }}
            as owner_id,
        record -> 'properties' ->> 'hs_merged_object_ids' as merged_contact_ids,

        -- person
        lower(btrim(record -> 'properties' ->> 'email')) as email,
        record -> 'properties' ->> 'firstname' as first_name,
        record -> 'properties' ->> 'lastname' as last_name,
        record -> 'properties' ->> 'lifecyclestage' as lifecycle_stage,
        record -> 'properties' ->> 'jobtitle' as job_title,
        record -> 'properties' ->> 'country' as country,

        -- source of the contact
        record -> 'properties' ->> 'hs_analytics_source' as original_source,
        record -> 'properties' ->> 'hs_analytics_source_data_1' as original_source_detail_1,
        record -> 'properties' ->> 'hs_analytics_source_data_2' as original_source_detail_2,
        record -> 'properties' ->> 'hs_latest_source' as latest_source,
        record -> 'properties' ->> 'hs_latest_source_data_1' as latest_source_detail_1,
        record -> 'properties' ->> 'hs_latest_source_data_2' as latest_source_detail_2,
        record -> 'properties' ->> 'hs_analytics_first_url' as first_page_url,
        record -> 'properties' ->> 'hs_analytics_first_referrer' as first_referrer_url,
        record -> 'properties' ->> 'hs_analytics_last_url' as last_page_url,
        record -> 'properties' ->> 'hs_analytics_last_referrer' as last_referrer_url,
        record -> 'properties' ->> 'utm_source' as utm_source,
        record -> 'properties' ->> 'utm_medium' as utm_medium,
        record -> 'properties' ->> 'utm_campaign' as utm_campaign,
        record -> 'properties' ->> 'hs_google_click_id' as google_click_id,
        record -> 'properties' ->> 'hs_facebook_click_id' as facebook_click_id,
        -- portal-specific custom property: HubSpot has no standard LinkedIn click id
        record -> 'properties' ->> 'li_fat_id' as linkedin_click_id,

        -- marketing consent: the configured property's value as HubSpot sent it
        {% if consent_property -%}
            record -> 'properties' ->> '{{ consent_property }}'
        {%- else -%}
            cast(null as text)
        {%- endif %} as marketing_consent_basis,

        -- timestamps
        {{ string_to_timestamp("record -> 'properties' ->> 'hs_analytics_first_timestamp'") }}
            as first_visited_at,
        {{ string_to_timestamp("record -> 'properties' ->> 'hs_latest_source_timestamp'") }}
            as latest_source_at,
        {{ string_to_timestamp("record -> 'properties' ->> 'hs_lifecyclestage_subscriber_date'") }}
            as became_subscriber_at,
        {{ string_to_timestamp("record -> 'properties' ->> 'hs_lifecyclestage_lead_date'") }}
            as became_lead_at,
        {{ string_to_timestamp(
            "record -> 'properties' ->> 'hs_lifecyclestage_marketingqualifiedlead_date'"
        ) }} as became_marketing_qualified_lead_at,
        {{ string_to_timestamp(
            "record -> 'properties' ->> 'hs_lifecyclestage_salesqualifiedlead_date'"
        ) }} as became_sales_qualified_lead_at,
        {{ string_to_timestamp("record -> 'properties' ->> 'hs_lifecyclestage_opportunity_date'") }}
            as became_opportunity_at,
        {{ string_to_timestamp("record -> 'properties' ->> 'hs_lifecyclestage_customer_date'") }}
            as became_customer_at,
        {{ string_to_timestamp("record -> 'properties' ->> 'hs_lifecyclestage_evangelist_date'") }}
            as became_evangelist_at,
        {{ string_to_timestamp("record -> 'properties' ->> 'hs_lifecyclestage_other_date'") }}
            as became_other_at,
        coalesce(
            {{ string_to_timestamp("record -> 'properties' ->> 'createdate'") }},
            {{ string_to_timestamp("record ->> 'createdAt'") }}
        ) as created_at,
        coalesce(
            {{ string_to_timestamp("record -> 'properties' ->> 'lastmodifieddate'") }},
            {{ string_to_timestamp("record ->> 'updatedAt'") }}
        ) as updated_at,

        -- custom fields (var custom_fields, macros/custom_fields.sql)
        {{ custom_field_columns('hubspot_contacts', "record -> 'properties'") }}
        {{ custom_fields_object('hubspot_contacts', "record -> 'properties'") }} as custom_fields,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
