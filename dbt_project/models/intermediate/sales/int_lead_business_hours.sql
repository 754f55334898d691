{{ config(materialized='table') }}
/*
    Each lead's wait in business hours of its owner's team (macros/business_hours.sql; seeds
    team_business_calendars and team_holidays), from its arrival to measured_until (its first
    outbound touch, or the end of the as-of day while it is unanswered), and its SLA status:

    * met: answered within the team's SLA (sla_business_hours, inclusive);
    * breached: answered after it, or still unanswered when more than the SLA has passed;
    * pending: unanswered and still within the SLA.

    A lead whose team has no calendar, or whose moments fall outside the calendar spine, has
    null hours and status. Both moments of a lead join the team's calendar days in one
    equi-join on (team, local date): the calendar is read once, so PostgreSQL plans it with
    its real size (a CTE read twice is kept without statistics, and joining two such copies
    on the team alone once multiplied every day by every day).
*/
with

windows as (

    select * from {{ ref('int_lead_response_windows') }}

),

calendars as (

    select * from {{ ref('team_business_calendars') }}

),

business_days as (

    {{ business_calendar_days() }}

),

-- the two ends of each lead's wait
moments as (

    select
        lead_key,
        team_name,
        'arrived' as moment,
        arrived_at as moment_at
    from windows
    union all
    select
        lead_key,
        team_name,
        'measured_until' as moment,
        measured_until as moment_at
    from windows

),

-- materialized: its local_date is then a column, and the join below hashes on (team, day).
-- Inlined, PostgreSQL joined the calendar days to the calendars first and hashed the moments
-- on the team alone, comparing every moment with every day of its team (50 s at 320,000
-- leads; about 1 s now).
localized as materialized (

    select
        moments.lead_key,
        moments.team_name,
        moments.moment,
        moments.moment_at,
        cast({{ to_local_timestamp('moments.moment_at', 'calendars.time_zone') }} as date)
            as local_date
    from moments
    inner join calendars
        on moments.team_name = calendars.team_name

),

-- each moment's business milliseconds since the start of the calendar spine
timed as (

    select
        localized.lead_key,
        localized.moment,
        {{ business_milliseconds_until('localized.moment_at', 'business_days') }}
            as business_milliseconds
    from localized
    inner join business_days
        on
            localized.team_name = business_days.team_name
            and localized.local_date = business_days.date_day

),

measured as (

    select
        lead_key,
        greatest(
            max(case when moment = 'measured_until' then business_milliseconds end)
            - max(case when moment = 'arrived' then business_milliseconds end),
            0
        ) as business_milliseconds
    from timed
    group by lead_key
    having count(*) = 2

),

final as (

    select
        windows.lead_key,
        calendars.sla_business_hours,
        case
            when windows.first_outbound_at is not null
                then cast(measured.business_milliseconds / 3600000.0 as numeric(12, 4))
        end as business_hours_to_first_touch,
        case
            when windows.first_outbound_at is null
                then cast(measured.business_milliseconds / 3600000.0 as numeric(12, 4))
        end as business_hours_waiting,
        case
            when measured.lead_key is null then null
            when measured.business_milliseconds > calendars.sla_business_hours * 3600000
                then 'breached'
            when windows.first_outbound_at is not null then 'met'
            else 'pending'
        end as sla_status
    from windows
    left join measured
        on windows.lead_key = measured.lead_key
    left join calendars
        on windows.team_name = calendars.team_name and measured.lead_key is not null

)

select * from final
