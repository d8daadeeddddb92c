select
    order_id,
    customer_id,
    order_total,
    legacy_discount_code,
    cast(ordered_at as timestamp) as ordered_at,
    lower(status) as status
from {{ source('raw', 'raw_orders') }}
where status is not null
