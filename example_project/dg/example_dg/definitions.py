"""The example's code location for `dg`: every component under ``defs/``, one process per run.

Importing ``example_project.paths`` first sets the environment the YAML reads (the DuckDB file, the
export folder, the Spark warehouse), all under ``example_project/.state`` like ``make example``.
"""

import os
from pathlib import Path

import dagster as dg

from example_project import paths, warehouse

os.environ.setdefault("DAGSTER_LINEAGE_EXPORT_DIR", str(paths.EXPORT_DIR))
os.environ.setdefault("DAGSTER_LINEAGE_SPARK_WAREHOUSE", str(paths.STATE_DIR / "spark_warehouse"))


@dg.definitions
def defs() -> dg.Definitions:
    warehouse.ensure_state_dirs()
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        # DuckDB allows one writer at a time: run the steps in one process, as the example does
        dg.Definitions(executor=dg.in_process_executor),
    )
