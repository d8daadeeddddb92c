"""Example definitions: checksum-driven automation over the other parts' assets.

- ``dagster_lineage_code_change_sensor`` (stopped by default; start it in the UI): when a model's code
  checksum differs from the one recorded at its last successful materialization, it requests a run
  of that model and everything downstream of it, once per new checksum.
- a ``schema_drift`` asset check on every materializable lineage asset: after each materialization
  it compares the recorded schema with the previous one and warns with the columns added, removed
  and retyped.

``dagster-lineage changed -m example_project.definitions`` answers the same question from the
command line.
"""

import dagster as dg

from dagster_lineage.defs.schema_drift import build_schema_drift_checks
from dagster_lineage.defs.sensors import build_code_change_sensor
from example_project import part_airflow, part_dbt, part_raw, part_spark


def _materializable_keys(*parts: dg.Definitions) -> list[dg.AssetKey]:
    keys: set[dg.AssetKey] = set()
    for part in parts:
        for asset in part.assets or ():
            if isinstance(asset, dg.AssetsDefinition) and asset.is_materializable:
                keys.update(asset.keys)
    return sorted(keys, key=lambda k: k.to_user_string())


defs = dg.Definitions(
    sensors=[build_code_change_sensor(minimum_interval_seconds=60)],
    asset_checks=build_schema_drift_checks(
        assets=_materializable_keys(
            part_raw.defs, part_dbt.defs, part_airflow.defs, part_spark.defs
        )
    ),
)
