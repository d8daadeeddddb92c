"""A ``schema_drift`` asset check on every materializable asset of the example.

After each materialization it compares the recorded schema with the previous one and warns with
the columns added, removed and retyped.
"""

import dagster as dg

from dagster_lineage import build_schema_drift_checks

_PARTS = ("raw_orders.py", "dbt", "airflow", "spark")


@dg.definitions
def defs(context: dg.ComponentLoadContext) -> dg.Definitions:
    """The drift checks over the assets the other parts of ``defs/`` build."""
    keys: set[dg.AssetKey] = set()
    for part in _PARTS:
        for asset in context.build_defs(part).assets or ():
            if isinstance(asset, dg.AssetsDefinition) and asset.is_materializable:
                keys.update(asset.keys)
    return dg.Definitions(
        asset_checks=build_schema_drift_checks(
            assets=sorted(keys, key=lambda k: k.to_user_string())
        )
    )
