{{ config(materialized='table') }}

-- The statistical forecast's win rates (models/marts/sales/README_forecast.md): for each as-of
-- day and each cell an open deal was in then, the share of earlier open deals in that cell
-- that were won by their period's end, counting only outcomes known by the as-of day (periods
-- that ended on or before it). Cells: standard stage x horizon band x close date in period
-- (coarse), x age-in-stage band x size band (fine); a fine cell's rate is shrunk to its coarse
-- cell's, the coarse cell's to the top cell's (horizon band x close date in period):
-- rate = (wins + k x coarser rate) / (observations + k), k = var forecast_shrinkage_weight.
-- Set-based: observations (a deal open at the end of a week) are counted once, on the day
-- their outcome became known, and summed cumulatively over the as-of days per cell.
{%- set shrinkage = var('forecast_shrinkage_weight') %}
{%- if shrinkage is not number or shrinkage < 0 %}
    {{ exceptions.raise_compiler_error(
        "var forecast_shrinkage_weight must be a number >= 0, got '" ~ shrinkage ~ "'"
    ) }}
{%- endif %}
{%- set fine_cell = [
    'standard_stage', 'horizon_band', 'is_close_in_period', 'age_band', 'size_band'
] %}
with

snapshots as (

    select * from {{ ref('int_forecast_deal_snapshots') }}

),

states as (

    select * from {{ ref('int_deal_states') }}

),

open_deals as (

    select * from snapshots
    where deal_status = 'open'

),

-- each week-end observation and whether the deal was won by the period end: the state in
-- force at the end of that day is won, closing in the period (an observation whose period has
-- not ended counts on no as-of day: it becomes known on the period end, after the build date)
observations as (

    select
        open_deals.as_of_date,
        open_deals.period_end,
        {%- for column in fine_cell %}
            open_deals.{{ column }},
        {%- endfor %}
        coalesce(bool_or(
            states.is_won and states.close_date <= open_deals.period_end
        ), false) as is_won_by_period_end
    from open_deals
    left join states
        on
            open_deals.deal_key = states.deal_key
            and {{ to_utc_date('states.valid_from') }} <= open_deals.period_end
            and (
                states.valid_to is null
                or {{ to_utc_date('states.valid_to') }} > open_deals.period_end
            )
    where open_deals.is_week_end
    group by
        {%- for column in fine_cell %}
            open_deals.{{ column }},
        {%- endfor %}
        open_deals.as_of_date,
        open_deals.deal_key,
        open_deals.period_end

),

-- observations and wins per cell, on the day their outcome became known (the period end)
outcomes as (

    select
        period_end as known_on,
        {%- for column in fine_cell %}
            {{ column }},
        {%- endfor %}
        count(*) as observations,
        sum(case when is_won_by_period_end then 1 else 0 end) as wins
    from observations
    group by
        {%- for column in fine_cell %}
            {{ column }},
        {%- endfor %}
        period_end

),

cells as (

    select distinct {{ fine_cell | join(', ') }}
    from open_deals

),

as_of_days as (

    select distinct as_of_date
    from snapshots

),

-- every cell on every as-of day, and the outcomes, in one stream: a day's outcomes sort
-- before its grid row, so they count for it
cell_rows as (

    select
        as_of_days.as_of_date as event_date,
        {%- for column in fine_cell %}
            cells.{{ column }},
        {%- endfor %}
        0 as observations,
        0 as wins,
        true as is_grid_row
    from cells
    cross join as_of_days
    union all
    select
        known_on as event_date,
        {%- for column in fine_cell %}
            {{ column }},
        {%- endfor %}
        observations,
        wins,
        false as is_grid_row
    from outcomes

),

cumulative as (

    select
        event_date as as_of_date,
        {%- for column in fine_cell %}
            {{ column }},
        {%- endfor %}
        is_grid_row,
        sum(observations) over cell_history as fine_observations,
        sum(wins) over cell_history as fine_wins
    from cell_rows
    window cell_history as (
        partition by {{ fine_cell | join(', ') }}
        order by event_date, is_grid_row
        rows between unbounded preceding and current row
    )

),

levels as (

    select
        as_of_date,
        {%- for column in fine_cell %}
            {{ column }},
        {%- endfor %}
        fine_observations,
        fine_wins,
        sum(fine_observations) over coarse_cell as coarse_observations,
        sum(fine_wins) over coarse_cell as coarse_wins,
        sum(fine_observations) over top_cell as top_observations,
        sum(fine_wins) over top_cell as top_wins
    from cumulative
    where is_grid_row
    window
        coarse_cell as (partition by as_of_date, standard_stage, horizon_band, is_close_in_period),
        top_cell as (partition by as_of_date, horizon_band, is_close_in_period)

),

rates as (

    select
        levels.*,
        cast(levels.top_wins as numeric) / nullif(levels.top_observations, 0) as top_win_rate
    from levels

),

coarse_rates as (

    select
        rates.*,
        (rates.coarse_wins + {{ shrinkage }} * rates.top_win_rate)
        / nullif(rates.coarse_observations + {{ shrinkage }}, 0) as coarse_win_rate
    from rates

),

-- only the cells an open deal was in on the day (so a day's rows depend on nothing later)
targets as (

    select distinct
        as_of_date,
        {{ fine_cell | join(', ') }}
    from open_deals

),

final as (

    select
        coarse_rates.as_of_date,
        {%- for column in fine_cell %}
            coarse_rates.{{ column }},
        {%- endfor %}
        coarse_rates.fine_observations,
        coarse_rates.fine_wins,
        coarse_rates.coarse_observations,
        coarse_rates.coarse_wins,
        coarse_rates.top_observations,
        coarse_rates.top_wins,
        round(coarse_rates.top_win_rate, 6) as top_win_rate,
        round(coarse_rates.coarse_win_rate, 6) as coarse_win_rate,
        round(
            (coarse_rates.fine_wins + {{ shrinkage }} * coarse_rates.coarse_win_rate)
            / nullif(coarse_rates.fine_observations + {{ shrinkage }}, 0),
            6
        ) as win_rate
    from coarse_rates
    inner join targets
        on
            coarse_rates.as_of_date = targets.as_of_date
            {%- for column in fine_cell %}
                and coarse_rates.{{ column }} = targets.{{ column }}
            {%- endfor %}

)

select * from final
