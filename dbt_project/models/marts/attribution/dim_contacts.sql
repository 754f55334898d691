/*
    One row per person after identity stitching (int_attribution_contact_records): the CRM
    ids of its records, first and latest touch (source), lifecycle stage dates (its
    conversions: lead, mql, sql, first opportunity, first won deal) and the
    sha256 hash of its normalised email. No raw email leaves the intermediate layer.

    No CTE is read twice: PostgreSQL keeps such a CTE's rows without statistics, and at 500,000
    people it guessed 200, then re-read 5 million ranked touches once per person (a nested
    loop; bench/results/company.md). Each person's first and latest touch come from one
    grouped pass instead.
*/
with

records as (

    select * from {{ ref('int_attribution_contact_records') }}

),

-- the records that carry custom fields (the custom fields' own read of the records)
records_with_fields as (

    select
        contact_id,
        custom_fields,
        record_precedence,
        created_at,
        record_key
    from {{ ref('int_attribution_contact_records') }}
    where custom_fields != cast('{}' as jsonb)

),

touchpoints as (

    select * from {{ ref('int_attribution_touchpoints') }}

),

conversions as (

    select * from {{ ref('int_attribution_conversions') }}

),

stage_dates as (

    select
        contact_id,
        min(converted_at) filter (where conversion_type = 'lead') as became_lead_at,
        min(converted_at) filter (where conversion_type = 'mql') as became_mql_at,
        min(converted_at) filter (where conversion_type = 'sql') as became_sql_at,
        min(converted_at) filter (where conversion_type = 'opportunity')
            as became_opportunity_at,
        min(converted_at) filter (where conversion_type = 'closed_won') as became_customer_at
    from conversions
    where contact_id is not null
    group by contact_id

),

people as (

    select
        contact_id,
        max(email_hash) as email_hash,
        -- the person's own record when it is a live HubSpot contact (see contact_id)
        min(record_id) filter (where record_key = contact_id and crm = 'hubspot')
            as hubspot_contact_id,
        string_agg(record_id, ';' order by record_id) filter (where crm = 'hubspot')
            as hubspot_contact_ids,
        min(record_id) filter (
            where crm = 'salesforce' and record_type = 'contact' and is_counted
        ) as salesforce_contact_id,
        min(record_id) filter (
            where crm = 'salesforce' and record_type = 'lead' and is_counted
        ) as salesforce_lead_id,
        count(*) as record_count,
        count(*) filter (where is_merged) as merged_record_count,
        not bool_or(is_counted) as is_deleted,
        min(created_at) as created_at,
        min(first_sales_activity_at) filter (where is_counted) as first_sales_activity_at
    from records
    group by contact_id

),

-- the custom fields of all the person's records (var custom_fields); where two records set
-- the same one, the record first by precedence (int_attribution_contact_records) wins
custom_fields as (

    select
        records_with_fields.contact_id,
        jsonb_object_agg(
            record_fields.field_name, record_fields.field_value
            order by
                records_with_fields.record_precedence desc,
                records_with_fields.created_at desc,
                records_with_fields.record_key desc
        ) as custom_fields
    from records_with_fields
    cross join
        lateral jsonb_each(records_with_fields.custom_fields)
            as record_fields (field_name, field_value)
    group by records_with_fields.contact_id

),

ordered_touches as (

    select
        contact_id,
        touched_at,
        channel,
        source,
        medium,
        row_number() over (
            partition by contact_id order by touched_at, touchpoint_id
        ) as first_rank,
        row_number() over (
            partition by contact_id order by touched_at desc, touchpoint_id desc
        ) as latest_rank,
        count(*) over (partition by contact_id) as touch_count
    from touchpoints

),

-- one row per touched person: its first and latest touch (a person touched once has one row
-- that is both)
touch_ends as (

    select
        contact_id,
        max(touched_at) filter (where first_rank = 1) as first_touched_at,
        max(channel) filter (where first_rank = 1) as first_touch_channel,
        max(source) filter (where first_rank = 1) as first_touch_source,
        max(medium) filter (where first_rank = 1) as first_touch_medium,
        max(touched_at) filter (where latest_rank = 1) as latest_touched_at,
        max(channel) filter (where latest_rank = 1) as latest_touch_channel,
        max(source) filter (where latest_rank = 1) as latest_touch_source,
        max(medium) filter (where latest_rank = 1) as latest_touch_medium,
        max(touch_count) as touch_count
    from ordered_touches
    where first_rank = 1 or latest_rank = 1
    group by contact_id

),

final as (

    select
        people.contact_id,
        people.email_hash,
        people.hubspot_contact_id,
        people.hubspot_contact_ids,
        people.salesforce_contact_id,
        people.salesforce_lead_id,
        people.record_count,
        people.merged_record_count,
        people.is_deleted,
        people.created_at,
        touch_ends.first_touched_at,
        coalesce(touch_ends.first_touch_channel, 'unattributed') as first_touch_channel,
        touch_ends.first_touch_source,
        touch_ends.first_touch_medium,
        touch_ends.latest_touched_at,
        coalesce(touch_ends.latest_touch_channel, 'unattributed') as latest_touch_channel,
        touch_ends.latest_touch_source,
        touch_ends.latest_touch_medium,
        coalesce(touch_ends.touch_count, 0) as touch_count,
        stage_dates.became_lead_at,
        stage_dates.became_mql_at,
        stage_dates.became_sql_at,
        stage_dates.became_opportunity_at,
        stage_dates.became_customer_at,
        people.first_sales_activity_at,
        coalesce(custom_fields.custom_fields, cast('{}' as jsonb)) as custom_fields
    from people
    left join stage_dates
        on people.contact_id = stage_dates.contact_id
    left join custom_fields
        on people.contact_id = custom_fields.contact_id
    left join touch_ends
        on people.contact_id = touch_ends.contact_id

)

select * from final
