"""The example code location: every part merged into one ``defs``.

``dagster dev`` (via workspace.yaml) and ``dagster asset materialize -m example_project.definitions``
both load this module. Steps run in one process: DuckDB allows a single writer at a time.
"""

from __future__ import annotations

import dagster as dg

from example_project import (
    part_airflow,
    part_dbt,
    part_impact,
    part_raw,
    part_spark,
    part_state,
)

defs = dg.Definitions.merge(
    part_raw.defs,
    part_dbt.defs,
    part_airflow.defs,
    part_spark.defs,
    part_state.defs,
    part_impact.defs,
    dg.Definitions(executor=dg.in_process_executor),
)
