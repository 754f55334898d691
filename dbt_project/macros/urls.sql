{#- URL parts in SQL, for ad landing pages (dim_ads). A URL is
    `scheme://host/path?query#fragment`; the query is `key=value` pairs joined by `&`, values
    percent-encoded, `+` a space (HTML form encoding, as ad platforms' URL builders write it). -#}

{#- The URL without its query and fragment (the landing page itself). -#}
{% macro url_without_query(url) -%}
    nullif({{ dbt.split_part(dbt.split_part(url, "'#'", 1), "'?'", 1) }}, '')
{%- endmacro %}

{#- The query string: after the first `?`, before the fragment (`#`); '' when there is none. -#}
{% macro url_query(url) -%}
    {{ dbt.split_part(dbt.split_part(url, "'#'", 1), "'?'", 2) }}
{%- endmacro %}

{#- The decoded value of query parameter `parameter` (a literal name, matched exactly), null when
    the URL has no such parameter or its value is empty. A repeated parameter's first value
    wins (Google Analytics reads the first too). -#}
{% macro url_parameter(url, parameter) -%}
    {%- set value = dbt.split_part(
        dbt.split_part(dbt.concat(["'&'", url_query(url)]), "'&" ~ parameter ~ "='", 2),
        "'&'",
        1,
    ) -%}
    nullif({{ url_decode(value) }}, '')
{%- endmacro %}

{#- Percent-decoding (`%C3%A9` -> `é`, `+` -> space). No cross-database macro exists, so it is
    dispatched: PostgreSQL's below; another adapter needs its own (a clear error until then). A
    value whose escapes are not well-formed UTF-8 is kept as written (only `+` replaced) rather
    than failing the build. -#}
{% macro url_decode(expression) -%}
    {{ return(adapter.dispatch('url_decode', 'thinline')(expression)) }}
{%- endmacro %}

{% macro default__url_decode(expression) -%}
    {{ exceptions.raise_compiler_error(
        "url_decode has no implementation for adapter " ~ adapter.type() ~ " (macros/urls.sql)"
    ) }}
{%- endmacro %}

{% macro postgres__url_decode(expression) -%}
    {%- set byte = "[0-9A-Fa-f]" -%}
    {%- set tail = "%[89ABab]" ~ byte -%}
    {#- one character: not an escape, or the escapes of one UTF-8 character (RFC 3629 table 1) -#}
    {%- set utf8 = [
        "[^%]",
        "%0[1-9A-Fa-f]",
        "%[1-7]" ~ byte,
        "%[Cc][2-9A-Fa-f]" ~ tail,
        "%[Dd]" ~ byte ~ tail,
        "%[Ee]0%[ABab]" ~ byte ~ tail,
        "%[Ee][1-9A-Ca-c]" ~ tail ~ tail,
        "%[Ee][Dd]%[89]" ~ byte ~ tail,
        "%[Ee][EFef]" ~ tail ~ tail,
        "%[Ff]0%[9ABab]" ~ byte ~ tail ~ tail,
        "%[Ff][1-3]" ~ tail ~ tail ~ tail,
        "%[Ff]4%8" ~ byte ~ tail ~ tail,
    ] -%}
    {%- set spaced = "replace(" ~ expression ~ ", '+', ' ')" -%}
    case
        when {{ dbt.position("'%'", spaced) }} = 0 then {{ spaced }}
        when {{ spaced }} ~ '^({{ utf8 | join("|") }})*$'
            then (
                select
                    convert_from(
                        string_agg(
                            case
                                when tokens.token[1] is not null
                                    then decode(substr(tokens.token[1], 2), 'hex')
                                else convert_to(tokens.token[2], 'UTF8')
                            end,
                            ''::bytea
                            order by tokens.token_number
                        ),
                        'UTF8'
                    )
                from regexp_matches(
                    {{ spaced }}, '(%{{ byte }}{{ byte }})|([^%]+)', 'g'
                ) with ordinality as tokens (token, token_number)
            )
        else {{ spaced }}
    end
{%- endmacro %}
