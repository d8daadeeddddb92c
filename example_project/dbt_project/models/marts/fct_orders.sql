{# The Parquet export for the Spark job is DuckDB's COPY; on other warehouses there is none. #}
{{ config(
    post_hook=(
        "COPY (select * from {{ this }}) TO '{{ env_var('DAGSTER_LINEAGE_EXPORT_DIR') }}/fct_orders.parquet' (FORMAT PARQUET)"
        if target.type == 'duckdb' else []
    )
) }}

select
    order_id,
    customer_id,
    order_total,
    case
        when legacy_discount_code is not null then order_total * 0.9
        else order_total
    end as net_revenue,
    ordered_at,
    status
from {{ ref('stg_orders') }}
where status <> 'cancelled'
