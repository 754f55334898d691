{#-
    The identity key of an email: sha256 (hex) of the lower-cased, trimmed address, or null
    for an empty one. A stitching key, not anonymisation (an address can be guessed and hashed).
-#}
{% macro attribution_email_hash(email_expression) -%}
    case
        when nullif(btrim({{ email_expression }}), '') is not null
            then encode(sha256(convert_to(lower(btrim({{ email_expression }})), 'UTF8')), 'hex')
    end
{%- endmacro %}

{#- The query-string parameter `name` of a URL, or null (no URL decoding: ids and tags). -#}
{% macro attribution_url_parameter(url_expression, name) -%}
    nullif(substring({{ url_expression }} from '[?&]{{ name }}=([^&#]*)'), '')
{%- endmacro %}
