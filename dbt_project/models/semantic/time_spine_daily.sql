-- MetricFlow's day time spine (models/semantic/_semantic__models.yml). Built from the same
-- calendar_days() spine as dim_dates, not from dim_dates itself: a table in its own schema
-- that depends on no published table survives the analytics_build -> analytics swap.
with

calendar as (

    {{ calendar_days() }}

),

final as (

    select date_day
    from calendar

)

select * from final
