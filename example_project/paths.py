"""Where the example keeps its state: one ignored folder, ``example_project/.state`` by default.

Set ``DAGSTER_LINEAGE_EXAMPLE_STATE`` to put it elsewhere (the tests use a temporary folder).
Importing this module only sets environment defaults (no file is written): the component YAML of
``defs/`` reads them (``{{ env.DAGSTER_LINEAGE_DUCKDB_PATH }}``, ...), and so do the dbt profile
and the dbt model that exports ``fct_orders`` for the Spark job.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent
STATE_DIR = Path(os.environ.get("DAGSTER_LINEAGE_EXAMPLE_STATE", PROJECT_DIR / ".state")).resolve()
DUCKDB_PATH = STATE_DIR / "warehouse.duckdb"
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
DBT_TARGET_DIR = STATE_DIR / "dbt_target"
EXPORT_DIR = STATE_DIR / "exports"
SPARK_WAREHOUSE_DIR = STATE_DIR / "spark_warehouse"
DAGS_DIR = PROJECT_DIR / "dags"
JOBS_DIR = PROJECT_DIR / "jobs"
DATA_DIR = PROJECT_DIR / "data"

os.environ.setdefault("DAGSTER_LINEAGE_DUCKDB_PATH", str(DUCKDB_PATH))
os.environ.setdefault("DAGSTER_LINEAGE_DBT_TARGET", str(DBT_TARGET_DIR))
os.environ.setdefault("DAGSTER_LINEAGE_EXPORT_DIR", str(EXPORT_DIR))
os.environ.setdefault("DAGSTER_LINEAGE_SPARK_WAREHOUSE", str(SPARK_WAREHOUSE_DIR))
os.environ.setdefault("DAGSTER_LINEAGE_AIRFLOW_URL", "http://127.0.0.1:8080")
# Airflow's DagBag (used to read the DAG files when Airflow is installed) writes logs under
# AIRFLOW_HOME: keep them inside the example's state folder rather than in ~/airflow.
os.environ.setdefault("AIRFLOW_HOME", str(STATE_DIR / "airflow_home"))
# the dbt component runs `dbt` from PATH: an un-activated virtualenv has it next to Python
if shutil.which("dbt") is None:
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
