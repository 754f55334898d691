{#-
    Business hours (issue 18): the time between two moments that falls inside a team's working
    hours (seeds team_business_calendars and team_holidays), in the team's own time zone.

    Set-based and linear: business_calendar_days() is one row per team and calendar day
    (calendar_days(), vars calendar_start..calendar_end) with the day's opening and closing
    moment in UTC and the business milliseconds of all the team's earlier days (a running
    sum). business_milliseconds_until() gives a moment's business milliseconds since the start
    of the spine: its day's running sum plus the part of its own day's working hours before
    it. The business time between two moments is the difference of theirs (at least 0): each
    moment joins its team's day on (team, local date), an equi-join, so the cost grows with
    the rows, never with rows x days (int_lead_business_hours). Time is counted in
    whole milliseconds (dbt.datediff), exact for the CRMs' timestamps, and on UTC wall-clock
    values, so the session's time zone cannot shift it. A moment outside the calendar's range
    has no day: null hours.
-#}

{#- A UTC timestamptz as the local wall-clock time (timestamp without time zone) in
    `time_zone` (an IANA name, a column or a quoted literal). -#}
{% macro to_local_timestamp(timestamp_expression, time_zone) -%}
    {{ return(adapter.dispatch('to_local_timestamp', 'thinline')(timestamp_expression, time_zone)) }}
{%- endmacro %}

{% macro default__to_local_timestamp(timestamp_expression, time_zone) -%}
    {{ exceptions.raise_compiler_error(
        "to_local_timestamp has no implementation for adapter " ~ adapter.type()
        ~ ": add a " ~ adapter.type() ~ "__to_local_timestamp macro"
    ) }}
{%- endmacro %}

{% macro postgres__to_local_timestamp(timestamp_expression, time_zone) -%}
    (({{ timestamp_expression }}) at time zone {{ time_zone }})
{%- endmacro %}

{#- A local wall-clock time in `time_zone` as the UTC moment (timestamptz) it is. -#}
{% macro from_local_timestamp(local_expression, time_zone) -%}
    {{ return(adapter.dispatch('from_local_timestamp', 'thinline')(local_expression, time_zone)) }}
{%- endmacro %}

{% macro default__from_local_timestamp(local_expression, time_zone) -%}
    {{ exceptions.raise_compiler_error(
        "from_local_timestamp has no implementation for adapter " ~ adapter.type()
        ~ ": add a " ~ adapter.type() ~ "__from_local_timestamp macro"
    ) }}
{%- endmacro %}

{% macro postgres__from_local_timestamp(local_expression, time_zone) -%}
    (({{ local_expression }}) at time zone {{ time_zone }})
{%- endmacro %}

{#- One row per team and calendar day: team_name, time_zone, date_day (local), is_working_day,
    opened_at and closed_at (UTC; null on a day off), business_milliseconds (the day's) and
    business_milliseconds_before (the team's working
    milliseconds on all earlier days of the spine). -#}
{% macro business_calendar_days() -%}
    select
        team_days.team_name,
        team_days.time_zone,
        team_days.date_day,
        team_days.is_working_day,
        team_days.opened_at,
        team_days.closed_at,
        team_days.business_milliseconds,
        coalesce(
            sum(team_days.business_milliseconds) over (
                partition by team_days.team_name
                order by team_days.date_day
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as business_milliseconds_before
    from (
        select
            working_days.team_name,
            working_days.time_zone,
            working_days.date_day,
            working_days.is_working_day,
            working_days.opened_at,
            working_days.closed_at,
            case
                when working_days.is_working_day
                    then {{ dbt.datediff(
                        "working_days.opened_at at time zone 'UTC'",
                        "working_days.closed_at at time zone 'UTC'",
                        'millisecond',
                    ) }}
                else 0
            end as business_milliseconds
        from (
            select
                calendars.team_name,
                calendars.time_zone,
                spine.date_day,
                {{ business_day_is_working('spine.date_day', 'calendars.working_days') }}
                and holidays.holiday_date is null as is_working_day,
                {{ from_local_timestamp(
                    dbt.dateadd('hour', 'calendars.open_hour', 'spine.date_day'),
                    'calendars.time_zone',
                ) }} as opened_at,
                {{ from_local_timestamp(
                    dbt.dateadd('hour', 'calendars.close_hour', 'spine.date_day'),
                    'calendars.time_zone',
                ) }} as closed_at
            from ({{ calendar_days() }}) as spine
            cross join {{ ref('team_business_calendars') }} as calendars
            left join {{ ref('team_holidays') }} as holidays
                on
                    calendars.team_name = holidays.team_name
                    and spine.date_day = holidays.holiday_date
        ) as working_days
    ) as team_days
{%- endmacro %}

{#- The ISO weekday of a date (1 = Monday, 7 = Sunday); dbt has no cross-database macro. -#}
{% macro iso_weekday(date_expression) -%}
    {{ return(adapter.dispatch('iso_weekday', 'thinline')(date_expression)) }}
{%- endmacro %}

{% macro default__iso_weekday(date_expression) -%}
    extract(isodow from {{ date_expression }})
{%- endmacro %}

{#- true when the ISO weekday of `date_day` is in `working_days` ('1,2,3,4,5'). -#}
{% macro business_day_is_working(date_day, working_days) -%}
    {{ dbt.position(
        dbt.concat(["','", "cast(" ~ iso_weekday(date_day) ~ " as integer)", "','"]),
        dbt.concat(["','", "replace(" ~ working_days ~ ", ' ', '')", "','"]),
    ) }} > 0
{%- endmacro %}

{#- The team's business milliseconds from the start of the calendar spine to
    `timestamp_expression`, given `day` (the alias of its business_calendar_days() row: the
    team's day holding the moment's local date). The business time between two moments is
    the difference of theirs. -#}
{% macro business_milliseconds_until(timestamp_expression, day) -%}
    ({{ day }}.business_milliseconds_before + case
        when {{ day }}.is_working_day
            then least(
                greatest(
                    {{ dbt.datediff(
                        day ~ ".opened_at at time zone 'UTC'",
                        timestamp_expression ~ " at time zone 'UTC'",
                        'millisecond',
                    ) }},
                    0
                ),
                {{ day }}.business_milliseconds
            )
        else 0
    end)
{%- endmacro %}
