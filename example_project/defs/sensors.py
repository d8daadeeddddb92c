"""The example's sensors (stopped by default; start them in the UI).

- ``dagster_lineage_code_change_sensor``: when a model's code checksum differs from the one
  recorded at its last successful materialization, it requests a run of that model and everything
  downstream of it (job ``rebuild_changed_assets_job``), once per new checksum.
  ``dagster-lineage changed -m example_project.definitions`` answers the same question.
- ``raw_orders_schema_drift_sensor``: watches ``main.raw_orders`` in the DuckDB warehouse; on drift
  it records the impact report on ``raw_orders`` and launches the impact job, tagged with the
  asset, the risk and the verdict.
"""

from dagster_lineage import build_code_change_sensor, build_schema_drift_impact_sensor
from example_project import paths
from example_project.defs.impact import impact_job

code_change_sensor = build_code_change_sensor(minimum_interval_seconds=60)

raw_orders_schema_drift_sensor = build_schema_drift_impact_sensor(
    name="raw_orders_schema_drift_sensor",
    tables={"raw_orders": "main.raw_orders"},
    database=lambda: str(paths.DUCKDB_PATH),
    kind="duckdb",
    job=impact_job.impact_check_job,
)
