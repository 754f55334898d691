{#-
    Custom CRM fields, surfaced by a var without editing any model (README "Custom fields").

    The extractors keep every field the CRM returns (Salesforce: every field describe lists,
    custom __c included; HubSpot: every property) in the raw record. The var custom_fields
    names, per staging entity, the ones to surface:

        custom_fields:
          salesforce_opportunities: [Region__c]            # column region__c
          hubspot_deals: [{name: deal_region, column: region}]

    Staging then carries each as a text column, and the entity's custom_fields column (jsonb,
    key = column name, the value as the CRM sent it) carries them all into the marts, whose
    contracts stay fixed: fct_deals, dim_accounts and dim_contacts publish it.
-#}

{#- The configured fields of one entity as [{name, column}], names checked. -#}
{% macro custom_fields_of(entity) -%}
    {%- set configured = (var('custom_fields', {}) or {}).get(entity, []) or [] -%}
    {%- set fields = [] -%}
    {%- for item in configured -%}
        {%- set name = item if item is string else item.get('name') -%}
        {%- set column = (item.get('column') if item is mapping else none) or name | lower -%}
        {%- if modules.re.fullmatch('[A-Za-z][A-Za-z0-9_]*', name | string) is none
            or modules.re.fullmatch('[a-z][a-z0-9_]*', column | string) is none -%}
            {{ exceptions.raise_compiler_error(
                "var custom_fields." ~ entity ~ ": '" ~ item ~ "' is not a field name "
                ~ "(letters, digits, _) with a lower-case column name"
            ) }}
        {%- endif -%}
        {%- do fields.append({'name': name, 'column': column}) -%}
    {%- endfor -%}
    {{ return(fields) }}
{%- endmacro %}

{#- One text column per configured field, each followed by a comma (staging select lists). -#}
{% macro custom_field_columns(entity, fields_json) -%}
    {%- for field in custom_fields_of(entity) %}
        {{ fields_json }} ->> '{{ field.name }}' as {{ field.column }},
    {%- endfor %}
{%- endmacro %}

{#- The configured fields as one json object (an empty object when none are configured). -#}
{% macro custom_fields_object(entity, fields_json) -%}
    {{ return(adapter.dispatch('custom_fields_object', 'thinline')(entity, fields_json)) }}
{%- endmacro %}

{% macro default__custom_fields_object(entity, fields_json) -%}
    {%- set fields = custom_fields_of(entity) -%}
    {%- if fields -%}
        jsonb_strip_nulls(jsonb_build_object(
            {%- for field in fields %}
            '{{ field.column }}', {{ fields_json }} -> '{{ field.name }}'
            {%- if not loop.last %},{% endif %}
            {%- endfor %}
        ))
    {%- else -%}
        cast('{}' as jsonb)
    {%- endif -%}
{%- endmacro %}
