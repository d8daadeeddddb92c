r"""Airflow DAGs as lineage-aware Dagster assets: specs, the asset factory, a run sensor, a runner.

- :func:`build_airflow_lineage_specs`: one ``AssetSpec`` per DAG (or task / output table) with
  its dependencies, ``dagster/column_lineage``/``dagster/column_schema`` where the output table is
  known, the ``airflow`` kind, owners from the DAG's ``owner`` and ``code_version`` = checksum of
  the DAG file and its SQL. External assets: Airflow runs them.
- :func:`airflow_dag_assets`: the factory; ``execution="in_process"`` materializes a DAG from
  Dagster by running its SQL tasks against DuckDB (local development, the example).
- :func:`build_airflow_run_sensor`: polls an Airflow 3 REST API (``/api/v2``) for successful DAG
  runs and records one materialization per run.

Modules: ``translator`` (:class:`AirflowLineageTranslator`, keys as ``dagster.AssetKey``),
``assets`` (specs and the factory), ``runner`` (the in-process DuckDB runner),
``client`` (the REST client), ``sensor`` (the run sensor).

Airflow itself is never imported at module level: a code location using this loads without it.

Examples:
    >>> import tempfile, pathlib
    >>> from dagster_lineage.defs.airflow import build_airflow_lineage_specs
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "report.py").write_text(
    ...     "from airflow.sdk import DAG\n"
    ...     "from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
    ...     "with DAG('report', default_args={'owner': 'finance'}):\n"
    ...     "    SQLExecuteQueryOperator(task_id='q', conn_id='duckdb', sql=\n"
    ...     "        'create table daily as select sum(order_total) as revenue from fct_orders')\n"
    ... )
    >>> (spec,) = build_airflow_lineage_specs(dags_folder=folder, reader="static")
    >>> spec.key.path, [d.asset_key.path for d in spec.deps], spec.owners, sorted(spec.kinds)
    (['report'], [['fct_orders']], ['team:finance'], ['airflow'])
"""

from dagster_lineage.defs.airflow.assets import AirflowLineage as AirflowLineage
from dagster_lineage.defs.airflow.assets import Execution as Execution
from dagster_lineage.defs.airflow.assets import airflow_dag_assets as airflow_dag_assets
from dagster_lineage.defs.airflow.assets import (
    build_airflow_lineage_specs as build_airflow_lineage_specs,
)
from dagster_lineage.defs.airflow.assets import load_airflow_lineage as load_airflow_lineage
from dagster_lineage.defs.airflow.runner import TaskRun as TaskRun
from dagster_lineage.defs.airflow.runner import run_dag_in_process as run_dag_in_process
from dagster_lineage.defs.airflow.sensor import build_airflow_run_sensor as build_airflow_run_sensor
from dagster_lineage.defs.airflow.translator import (
    AirflowLineageSettings as AirflowLineageSettings,
)
from dagster_lineage.defs.airflow.translator import (
    AirflowLineageTranslator as AirflowLineageTranslator,
)
