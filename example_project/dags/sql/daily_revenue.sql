create or replace table main.daily_revenue as
select
    cast(ordered_at as date) as order_date,
    sum(order_total) as revenue,
    count(*) as order_count
from fct_orders
where status = '{{ params.status }}'
group by 1
