{#-
    Each deal's pipeline and stage as seen by every nightly build: a new version whenever
    they change, so stage history accrues even where a CRM keeps none (HubSpot keeps only the
    latest entry per stage). dbt_valid_from is when the build saw the change (an upper bound of
    the real entry time). Persistent schema `snapshots`, never the published build schema.
-#}
{% snapshot snp_deal_stages %}

{{ config(
    schema='snapshots',
    unique_key='deal_key',
    strategy='check',
    check_cols=['pipeline_id', 'stage_id'],
) }}

    select
        deal_key,
        crm,
        deal_id,
        pipeline_id,
        stage_id,
        is_closed,
        is_won
    from {{ ref('int_deals_unioned') }}

{% endsnapshot %}
