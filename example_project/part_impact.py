"""Example definitions: the schema-change impact check.

- ``impact_check_job``: analyses proposed changes to an asset over the whole example graph (dbt,
  Airflow, Spark, the exposure). Its default run config is the story: rename
  ``raw_orders.order_total`` to ``total_amount`` and drop ``legacy_discount_code`` -- the verdict
  is a red (ERROR) ``impact_check`` on ``raw_orders`` with the report (risk HIGH) as Markdown. Edit the config in the launchpad, or run
  ``dagster job execute -m example_project.definitions -j impact_check_job -c my_changes.yaml``.
- ``schema_change_gate`` checks on the dbt models (blocking), and ``schema_change_gate_job`` to run
  them alone before materializing: a model whose compiled output schema differs from its last
  materialized schema in a way that breaks a downstream asset fails its gate.
- ``raw_orders_schema_drift_sensor`` (stopped by default): watches ``main.raw_orders`` in the DuckDB
  warehouse; on drift it records the impact report on ``raw_orders`` and launches the job.
"""

import dagster as dg

from dagster_lineage.defs.impact import (
    build_impact_check_job,
    build_schema_change_gate_checks,
    build_schema_change_gate_job,
    build_schema_drift_impact_sensor,
)
from dagster_lineage.impact.schema_changes import ColumnDropped, ColumnRenamed
from example_project import part_dbt, paths
from example_project.lineage import example_graph

impact_check_job = build_impact_check_job(
    graph=example_graph,
    asset="raw_orders",
    changes=[ColumnRenamed("order_total", "total_amount"), ColumnDropped("legacy_discount_code")],
)

schema_change_gate_checks = build_schema_change_gate_checks(
    assets=[part_dbt.example_dbt_assets], graph=example_graph
)

schema_change_gate_job = build_schema_change_gate_job(checks=schema_change_gate_checks)

raw_orders_schema_drift_sensor = build_schema_drift_impact_sensor(
    name="raw_orders_schema_drift_sensor",
    tables={"raw_orders": "main.raw_orders"},
    database=lambda: str(paths.DUCKDB_PATH),
    kind="duckdb",
    graph=example_graph,
    job=impact_check_job,
)

defs = dg.Definitions(
    jobs=[impact_check_job, schema_change_gate_job],
    asset_checks=schema_change_gate_checks,
    sensors=[raw_orders_schema_drift_sensor],
)
