{#-
    The channel of `relation_alias`'s source and medium columns by seeds/channel_mapping.csv:
    a correlated lookup of the lowest-priority matching row (LIKE on lower-cased values).
    Fallback: no source and no medium is '(direct)' / '(none)' (the seed maps it to direct);
    a touch no row matches is 'other'.
-#}
{% macro attribution_channel(source_expression, medium_expression) -%}
    coalesce(
        (
            select channel_mapping.channel
            from {{ ref('channel_mapping') }} as channel_mapping
            where
                coalesce(lower(nullif(btrim({{ source_expression }}), '')), '(direct)')
                like channel_mapping.source_pattern
                and coalesce(lower(nullif(btrim({{ medium_expression }}), '')), '(none)')
                like channel_mapping.medium_pattern
            order by channel_mapping.priority
            limit 1
        ),
        'other'
    )
{%- endmacro %}
