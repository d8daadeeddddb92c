"""Daily revenue report: an Airflow DAG that builds ``main.daily_revenue`` from ``fct_orders``.

Scheduled on the ``fct_orders`` Airflow Asset (the dbt model); its SQL task reads
``fct_orders.order_total`` by name, filters on ``status`` and groups by the order date. Airflow
runs it in production; the example materializes it from Dagster (``execution="in_process"``).
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG, Asset

with DAG(
    dag_id="daily_revenue_report",
    description="Daily revenue of completed orders (DuckDB main.daily_revenue)",
    schedule=[Asset("fct_orders")],
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={"status": "completed"},
    default_args={"owner": "finance-analytics"},
    tags=["finance"],
):
    SQLExecuteQueryOperator(
        task_id="build_daily_revenue",
        conn_id="duckdb_warehouse",
        sql="sql/daily_revenue.sql",
        outlets=[Asset("daily_revenue")],
    )
