-- a table: fct_offline_conversions plans its joins on this model's real row count (as a
-- view, its estimate of a few rows made every join above it a nested loop: hours at 50,000
-- deals), and its tests read it without deriving it again
{{ config(materialized='table') }}
/*
    Marketing consent per person (contact_id of int_attribution_contact_records): may this
    person's conversions be sent to the ad platforms?

    var conversion_consent names, per CRM entity, the property holding consent (read into the
    staging model's marketing_consent_basis) and the values that grant it; a multiple checkbox
    or multi-select picklist holds several values separated by ';', and grants when any of
    them does. Defaults (README.md of marts/conversions):
      hubspot_contacts: {property: hs_legal_basis, granted: ['Freely given consent from contact']}
      salesforce_contacts: none (no standard Contact field holds consent)

    A person has consent when at least one of its counted records states a value and every
    record that states one grants it: a refusal recorded in either CRM wins. A record of an
    entity left unconfigured (null) states nothing; one configured without granted values
    grants nothing.
*/
{%- set configured = var('conversion_consent', {}) or {} %}
{%- set defaults = {
    'hubspot_contacts': {'granted': ['Freely given consent from contact']},
    'salesforce_contacts': none,
} %}
{%- set entities = [
    ('hubspot_contacts', 'hubspot', 'stg_hubspot__contacts'),
    ('salesforce_contacts', 'salesforce', 'stg_salesforce__contacts'),
] %}
with

records as (

    select * from {{ ref('int_attribution_contact_records') }}
    where is_counted

),

stated as (

    {%- set branches = [] %}
    {%- for entity, source_name, model in entities if source_enabled(source_name) %}
        {%- set consent = configured.get(entity, defaults[entity]) %}
        {%- set granted = (consent or {}).get('granted') or [] %}
        {%- if granted is string %}
            {{ exceptions.raise_compiler_error(
                "var conversion_consent." ~ entity ~ ".granted: a list of values, e.g. ['true']"
            ) }}
        {%- endif %}
        {%- do branches.append((entity, source_name, model, consent is not none, granted)) %}
    {%- endfor %}
    {%- for entity, source_name, model, is_configured, granted in branches %}
    select
        '{{ source_name }}:' || cast(contact_id as text) as record_key,
        marketing_consent_basis,
        case
            when marketing_consent_basis is null then cast(null as boolean)
            {%- if not is_configured %}
            -- not configured: this CRM's records state nothing
            else cast(null as boolean)
            {%- elif granted %}
            else (
                {%- for value in granted %}
                {{ dbt.position(
                    "';" ~ (value | string | replace("'", "''")) ~ ";'",
                    dbt.concat(["';'", "marketing_consent_basis", "';'"]),
                ) }} > 0
                {%- if not loop.last %} or{% endif %}
                {%- endfor %}
            )
            {%- else %}
            else false
            {%- endif %}
        end as is_granted
    from {{ ref(model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select
        cast(null as text) as record_key,
        cast(null as text) as marketing_consent_basis,
        cast(null as boolean) as is_granted
    where false
    {%- endfor %}

),

final as (

    select
        records.contact_id,
        coalesce(not {{ dbt.bool_or('not stated.is_granted') }}, false)
            as has_marketing_consent,
        count(stated.is_granted) as stated_record_count,
        {{ count_where("stated.is_granted") }} as granting_record_count
    from records
    left join stated
        on records.record_key = stated.record_key
    group by records.contact_id

)

select * from final
