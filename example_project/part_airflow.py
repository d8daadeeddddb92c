"""Example definitions: the Airflow DAGs of ``example_project/dags`` as lineage-aware assets.

``daily_revenue_report`` reads ``fct_orders``; in the example Dagster materializes it by running
its SQL task in-process against the DuckDB warehouse (no Airflow server needed). The sensor
records runs of a real Airflow 3 deployment when ``AIRFLOW_API_URL`` is set (stopped by default).
"""

from __future__ import annotations

import os

import dagster as dg

from dagster_lineage.defs.airflow import airflow_dag_assets, build_airflow_run_sensor
from example_project import paths

airflow_assets = airflow_dag_assets(
    dags_folder=paths.DAGS_DIR,
    execution="in_process",
    connections={"duckdb_warehouse": str(paths.DUCKDB_PATH)},
)

airflow_runs_sensor = build_airflow_run_sensor(
    airflow_url=os.environ.get("AIRFLOW_API_URL", "http://127.0.0.1:8080"),
    specs=airflow_assets,
    token=os.environ.get("AIRFLOW_API_TOKEN"),
    username=os.environ.get("AIRFLOW_API_USERNAME"),
    password=os.environ.get("AIRFLOW_API_PASSWORD"),
)

defs = dg.Definitions(assets=airflow_assets, sensors=[airflow_runs_sensor])
