/*
    Each lead's wait in business hours of its owner's team (macros/business_hours.sql; seeds
    team_business_calendars and team_holidays), from its arrival to measured_until (its first
    outbound touch, or the end of the as-of day while it is unanswered), and its SLA status:

    * met: answered within the team's SLA (sla_business_hours, inclusive);
    * breached: answered after it, or still unanswered when more than the SLA has passed;
    * pending: unanswered and still within the SLA.

    A lead whose team has no calendar, or whose moments fall outside the calendar spine, has
    null hours and status.
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

localized as (

    select
        windows.lead_key,
        windows.team_name,
        windows.arrived_at,
        windows.first_outbound_at,
        windows.measured_until,
        calendars.sla_business_hours,
        cast({{ to_local_timestamp('windows.arrived_at', 'calendars.time_zone') }} as date)
            as arrived_local_date,
        cast({{ to_local_timestamp('windows.measured_until', 'calendars.time_zone') }} as date)
            as measured_local_date
    from windows
    inner join calendars
        on windows.team_name = calendars.team_name

),

measured as (

    select
        localized.lead_key,
        localized.first_outbound_at,
        localized.sla_business_hours,
        {{ business_milliseconds_between(
            'localized.arrived_at', 'localized.measured_until', 'arrival_day', 'until_day'
        ) }} as business_milliseconds
    from localized
    inner join business_days as arrival_day
        on
            localized.team_name = arrival_day.team_name
            and localized.arrived_local_date = arrival_day.date_day
    inner join business_days as until_day
        on
            localized.team_name = until_day.team_name
            and localized.measured_local_date = until_day.date_day

),

final as (

    select
        windows.lead_key,
        measured.sla_business_hours,
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
            when measured.business_milliseconds > measured.sla_business_hours * 3600000
                then 'breached'
            when windows.first_outbound_at is not null then 'met'
            else 'pending'
        end as sla_status
    from windows
    left join measured
        on windows.lead_key = measured.lead_key

)

select * from final
