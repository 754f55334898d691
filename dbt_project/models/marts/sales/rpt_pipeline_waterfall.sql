-- The pipeline waterfall: per period (week, month, fiscal quarter) and owner (rep, team,
-- company), the open pipeline whose close date falls in the period at the start of the period,
-- every flow in and out of it day by day, and the pipeline at the period's end (or as of
-- today). Outflows are negative, so for every row opening + every flow = closing exactly
-- (README.md, "Pipeline over time", defines each flow).
{%- set as_of = as_of_date() %}
{%- set zero = 'cast(0 as numeric)' %}
{%- set inflows = ['created', 'reopened', 'pulled_in', 'reassigned_in'] %}
{%- set outflows = ['pushed_out', 'reassigned_out', 'won', 'lost'] %}
{%- set changes = ['increased', 'decreased', 'fx_movement'] %}
{%- set flows = inflows + changes + outflows %}
with

pipeline_days as (

    select * from {{ ref('fct_pipeline_daily') }}

),

states as (

    select * from {{ ref('int_deal_states') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

reps as (

    select * from {{ ref('int_sales_reps_unioned') }}

),

dates as (

    select * from {{ ref('dim_dates') }}

),

-- the day's periods of each type
day_periods as (

    select
        date_day,
        'week' as period_type,
        week_start_date as period_start,
        week_end_date as period_end
    from dates
    union all
    select
        date_day,
        'month' as period_type,
        month_start_date as period_start,
        month_end_date as period_end
    from dates
    union all
    select
        date_day,
        'quarter' as period_type,
        fiscal_quarter_start_date as period_start,
        fiscal_quarter_end_date as period_end
    from dates

),

periods as (

    select distinct
        period_type,
        period_start,
        period_end,
        least(period_end, {{ as_of }}) as closing_date
    from day_periods
    where period_start <= {{ as_of }}

),

owner_levels as (

    select 'rep' as owner_level
    union all
    select 'team' as owner_level
    union all
    select 'company' as owner_level

),

-- each open day beside the deal's previous open day
open_days as (

    select
        deal_key,
        date_day,
        amount,
        coalesce(amount_reporting, 0) as pipeline_value,
        fx_rate,
        close_date,
        coalesce(sales_rep_id, 'unassigned') as rep_key,
        coalesce(team_key, 'unassigned') as team_key,
        lag(date_day) over deal_days as previous_day,
        lead(date_day) over deal_days as next_day,
        lag(amount) over deal_days as previous_amount,
        lag(coalesce(amount_reporting, 0)) over deal_days as previous_value,
        lag(close_date) over deal_days as previous_close_date,
        lag(coalesce(sales_rep_id, 'unassigned')) over deal_days as previous_rep_key,
        lag(coalesce(team_key, 'unassigned')) over deal_days as previous_team_key
    from pipeline_days
    window deal_days as (partition by deal_key order by date_day)

),

-- the first day a deal ended closed (won or lost): an open day after it re-opens the deal
first_closed_days as (

    select
        deal_key,
        min({{ to_utc_date('valid_from') }}) as first_closed_day
    from states
    where
        is_closed
        and (valid_to is null or {{ to_utc_date('valid_to') }} > {{ to_utc_date('valid_from') }})
    group by deal_key

),

-- day d against day d - 1 while the deal is open at the end of d: continuing (open both days)
-- or entering (created, or re-opened)
open_transitions as (

    select
        open_days.deal_key,
        open_days.date_day,
        case
            when open_days.previous_day = open_days.date_day - 1 then 'open'
            when first_closed_days.first_closed_day < open_days.date_day then 'closed'
            else 'none'
        end as previous_status,
        case when open_days.previous_day = open_days.date_day - 1 then open_days.previous_amount end
            as previous_amount,
        case when open_days.previous_day = open_days.date_day - 1 then open_days.previous_value end
            as previous_value,
        case
            when open_days.previous_day = open_days.date_day - 1 then open_days.previous_close_date
        end
            as previous_close_date,
        case
            when open_days.previous_day = open_days.date_day - 1 then open_days.previous_rep_key
        end
            as previous_rep_key,
        case
            when open_days.previous_day = open_days.date_day - 1 then open_days.previous_team_key
        end
            as previous_team_key,
        'open' as current_status,
        false as is_won,
        open_days.amount as current_amount,
        open_days.fx_rate as current_fx_rate,
        open_days.pipeline_value as current_value,
        open_days.close_date as current_close_date,
        open_days.rep_key as current_rep_key,
        open_days.team_key as current_team_key
    from open_days
    left join first_closed_days
        on open_days.deal_key = first_closed_days.deal_key
    -- a day that changed nothing moves no flow
    where not (
            open_days.previous_day = open_days.date_day - 1
            and open_days.previous_value = open_days.pipeline_value
            and open_days.previous_amount is not distinct from open_days.amount
            and open_days.previous_close_date is not distinct from open_days.close_date
            and open_days.previous_rep_key = open_days.rep_key
            and open_days.previous_team_key = open_days.team_key
        )

),

-- the day after a deal's last open day (up to today): it ended that day closed
exit_days as (

    select
        deal_key,
        date_day + 1 as date_day,
        amount as previous_amount,
        pipeline_value as previous_value,
        close_date as previous_close_date,
        rep_key as previous_rep_key,
        team_key as previous_team_key
    from open_days
    where
        (next_day is null or next_day > date_day + 1)
        and date_day < {{ as_of }}

),

-- the closed state at the end of that day, at that day's rate
exit_transitions as (

    select
        exit_days.deal_key,
        exit_days.date_day,
        'open' as previous_status,
        exit_days.previous_amount,
        exit_days.previous_value,
        exit_days.previous_close_date,
        exit_days.previous_rep_key,
        exit_days.previous_team_key,
        'closed' as current_status,
        states.is_won,
        states.amount as current_amount,
        fx_rates.reporting_per_unit as current_fx_rate,
        coalesce(states.amount * fx_rates.reporting_per_unit, 0) as current_value,
        states.close_date as current_close_date,
        coalesce(states.sales_rep_id, 'unassigned') as current_rep_key,
        coalesce(
            case
                when reps.team_id is not null then {{ key_from(['reps.crm', 'reps.team_id']) }}
            end,
            'unassigned'
        ) as current_team_key
    from exit_days
    inner join states
        on
            exit_days.deal_key = states.deal_key
            and {{ to_utc_date('states.valid_from') }} <= exit_days.date_day
            and (
                states.valid_to is null or {{ to_utc_date('states.valid_to') }} > exit_days.date_day
            )
    left join fx_rates
        on
            exit_days.date_day = fx_rates.date_day
            and states.currency_code = fx_rates.currency_code
            and states.crm = fx_rates.rate_scope
    left join reps
        on states.sales_rep_id = reps.sales_rep_id

),

transitions as (

    select * from open_transitions
    union all
    select * from exit_transitions

),

-- each transition in the period of each type its day falls in, for each owner level: the
-- owner before and after, and whether the deal is in the period's pipeline before and after
placed as (

    select
        day_periods.period_type,
        day_periods.period_start,
        owner_levels.owner_level,
        case owner_levels.owner_level
            when 'rep' then transitions.previous_rep_key
            when 'team' then transitions.previous_team_key
            else 'company'
        end as previous_owner_key,
        case owner_levels.owner_level
            when 'rep' then transitions.current_rep_key
            when 'team' then transitions.current_team_key
            else 'company'
        end as current_owner_key,
        coalesce(
            transitions.previous_status = 'open'
            and transitions.previous_close_date
            between day_periods.period_start and day_periods.period_end,
            false
        ) as was_in_period,
        coalesce(
            transitions.current_status = 'open'
            and transitions.current_close_date
            between day_periods.period_start and day_periods.period_end,
            false
        ) as is_in_period,
        transitions.previous_status,
        transitions.current_status,
        transitions.is_won,
        transitions.previous_value,
        transitions.current_value,
        -- the change of amount at today's rate, and what the rate moved (the rest)
        (coalesce(transitions.current_amount, 0) - coalesce(transitions.previous_amount, 0))
        * coalesce(transitions.current_fx_rate, 0) as amount_change,
        transitions.current_value - coalesce(transitions.previous_value, 0)
        - (coalesce(transitions.current_amount, 0) - coalesce(transitions.previous_amount, 0))
        * coalesce(transitions.current_fx_rate, 0) as fx_change
    from transitions
    inner join day_periods
        on transitions.date_day = day_periods.date_day
    cross join owner_levels

),

classified as (

    select
        *,
        was_in_period and is_in_period and previous_owner_key = current_owner_key as stays,
        was_in_period and current_status = 'closed' and is_won as is_won_out
    from placed
    where was_in_period or is_in_period

),

-- every contribution as a row of flows: opening, the transitions' two sides, closing
contributions as (

    select
        periods.period_type,
        periods.period_start,
        owner_levels.owner_level,
        case owner_levels.owner_level
            when 'rep' then coalesce(pipeline_days.sales_rep_id, 'unassigned')
            when 'team' then coalesce(pipeline_days.team_key, 'unassigned')
            else 'company'
        end as owner_key,
        coalesce(pipeline_days.amount_reporting, 0) as opening_pipeline,
        {%- for flow in flows %}
            {{ zero }} as {{ flow }},
        {%- endfor %}
        {{ zero }} as closing_pipeline
    from periods
    inner join pipeline_days
        on
            pipeline_days.date_day = periods.period_start - 1
            and pipeline_days.close_date between periods.period_start and periods.period_end
    cross join owner_levels

    union all

    select
        periods.period_type,
        periods.period_start,
        owner_levels.owner_level,
        case owner_levels.owner_level
            when 'rep' then coalesce(pipeline_days.sales_rep_id, 'unassigned')
            when 'team' then coalesce(pipeline_days.team_key, 'unassigned')
            else 'company'
        end as owner_key,
        {{ zero }} as opening_pipeline,
        {%- for flow in flows %}
            {{ zero }} as {{ flow }},
        {%- endfor %}
        coalesce(pipeline_days.amount_reporting, 0) as closing_pipeline
    from periods
    inner join pipeline_days
        on
            periods.closing_date = pipeline_days.date_day
            and pipeline_days.close_date between periods.period_start and periods.period_end
    cross join owner_levels

    union all

    -- the previous owner's side: the deal stays (its change of amount and rate), or leaves
    select
        period_type,
        period_start,
        owner_level,
        previous_owner_key as owner_key,
        {{ zero }} as opening_pipeline,
        {{ zero }} as created,
        {{ zero }} as reopened,
        {{ zero }} as pulled_in,
        {{ zero }} as reassigned_in,
        case when stays or is_won_out then greatest(amount_change, 0) else 0 end as increased,
        case when stays or is_won_out then least(amount_change, 0) else 0 end as decreased,
        case when stays or is_won_out then fx_change else 0 end as fx_movement,
        case
            when not stays and current_status = 'open'
                and not is_in_period then -previous_value
            else 0
        end as pushed_out,
        case
            when not stays and current_status = 'open'
                and is_in_period then -previous_value
            else 0
        end as reassigned_out,
        -- won at the amount it was won at: a change on the winning day is increased/decreased
        case when is_won_out then -current_value else 0 end as won,
        case
            when
                was_in_period and current_status = 'closed' and not is_won
                then -previous_value
            else 0
        end
            as lost,
        {{ zero }} as closing_pipeline
    from classified
    where was_in_period

    union all

    -- the new owner's side of a deal that was not in this owner's period pipeline before
    select
        period_type,
        period_start,
        owner_level,
        current_owner_key as owner_key,
        {{ zero }} as opening_pipeline,
        case when previous_status = 'none' then current_value else 0 end as created,
        case when previous_status = 'closed' then current_value else 0 end as reopened,
        case when previous_status = 'open' and not was_in_period then current_value else 0 end
            as pulled_in,
        case when previous_status = 'open' and was_in_period then current_value else 0 end
            as reassigned_in,
        {%- for flow in changes + outflows %}
            {{ zero }} as {{ flow }},
        {%- endfor %}
        {{ zero }} as closing_pipeline
    from classified
    where is_in_period and not stays

),

totals as (

    select
        period_type,
        period_start,
        owner_level,
        owner_key,
        sum(opening_pipeline) as opening_pipeline,
        {%- for flow in flows %}
            sum({{ flow }}) as {{ flow }},
        {%- endfor %}
        sum(closing_pipeline) as closing_pipeline
    from contributions
    group by period_type, period_start, owner_level, owner_key

),

team_names as (

    select distinct
        {{ key_from(['crm', 'team_id']) }} as team_key,
        first_value(team_name) over (
            partition by crm, team_id order by team_name
        ) as team_name
    from reps
    where team_id is not null

),

final as (

    select
        totals.period_type,
        totals.period_start,
        periods.period_end,
        periods.closing_date,
        periods.closing_date = periods.period_end as is_period_complete,
        totals.owner_level,
        totals.owner_key,
        case totals.owner_level
            when 'rep' then reps.rep_name
            when 'team' then team_names.team_name
            else 'Company'
        end as owner_name,
        {{ currency_var('reporting_currency') }} as reporting_currency_code,
        totals.opening_pipeline,
        {%- for flow in flows %}
            totals.{{ flow }},
        {%- endfor %}
        totals.closing_pipeline
    from totals
    inner join periods
        on
            totals.period_type = periods.period_type
            and totals.period_start = periods.period_start
    left join reps
        on totals.owner_level = 'rep' and totals.owner_key = reps.sales_rep_id
    left join team_names
        on totals.owner_level = 'team' and totals.owner_key = team_names.team_key

)

select * from final
