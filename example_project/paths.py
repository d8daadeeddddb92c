"""Where the example keeps its state: one ignored folder, ``example_project/.state`` by default.

Set ``DAGSTER_LINEAGE_EXAMPLE_STATE`` to put it elsewhere (the tests use a temporary folder).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent
STATE_DIR = Path(os.environ.get("DAGSTER_LINEAGE_EXAMPLE_STATE", PROJECT_DIR / ".state")).resolve()
DUCKDB_PATH = STATE_DIR / "warehouse.duckdb"
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
DBT_TARGET_DIR = STATE_DIR / "dbt_target"
EXPORT_DIR = STATE_DIR / "exports"
DAGS_DIR = PROJECT_DIR / "dags"
JOBS_DIR = PROJECT_DIR / "jobs"
DATA_DIR = PROJECT_DIR / "data"

os.environ.setdefault("DAGSTER_LINEAGE_DUCKDB_PATH", str(DUCKDB_PATH))
# Airflow's DagBag (used to read the DAG files when Airflow is installed) writes logs under
# AIRFLOW_HOME: keep them inside the example's state folder rather than in ~/airflow.
os.environ.setdefault("AIRFLOW_HOME", str(STATE_DIR / "airflow_home"))
