"""``AirflowDagFolderComponent``: a folder of Airflow DAG files as lineage-aware assets.

Calls :func:`~dagster_lineage.defs.airflow.airflow_dag_assets` (one asset per DAG, with the tables
its SQL reads and their columns) and, when ``airflow_url`` is set,
:func:`~dagster_lineage.defs.airflow.build_airflow_run_sensor` (a materialization per successful
Airflow 3 DAG run).

Example ``defs.yaml``::

    type: dagster_lineage.AirflowDagFolderComponent
    attributes:
      dags_folder: dags                         # relative to this defs.yaml
      execution: in_process                     # or external (default): Airflow runs them
      connections:
        duckdb_warehouse: "{{ env.DAGSTER_LINEAGE_DUCKDB_PATH }}"
      airflow_url: "{{ env.AIRFLOW_API_URL }}"  # optional: the run sensor
      airflow_token: "{{ env.AIRFLOW_API_TOKEN }}"

Examples:
    >>> AirflowDagFolderComponent(dags_folder="dags").execution
    'external'
"""


from pathlib import Path
from typing import Literal

import dagster as dg
from pydantic import Field

from dagster_lineage.defs.airflow import airflow_dag_assets, build_airflow_run_sensor


def _resolve(context: dg.ComponentLoadContext, path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else (context.path / p).resolve()


class AirflowDagFolderComponent(dg.Component, dg.Model, dg.Resolvable):
    """The Airflow DAGs of a folder as Dagster assets with table and column lineage.

    Examples:
        >>> AirflowDagFolderComponent(dags_folder="dags", reader="static").reader
        'static'
    """

    dags_folder: str = Field(
        description="Folder (or one file) of Airflow DAG files, relative to this defs.yaml.",
        examples=["dags", "{{ context.project_root }}/airflow/dags"],
    )
    reader: Literal["auto", "static", "dagbag"] = Field(
        default="auto",
        description="How DAG files are read: Airflow's DagBag when installed (auto), or static "
        "analysis.",
    )
    execution: Literal["external", "in_process"] = Field(
        default="external",
        description="external: Airflow runs the DAGs (pair with airflow_url); in_process: "
        "Dagster runs each DAG's SQL tasks against DuckDB.",
    )
    connections: dict[str, str] = Field(
        default_factory=dict,
        description="For in_process: Airflow conn_id -> DuckDB database path.",
        examples=[{"duckdb_warehouse": "{{ env.DAGSTER_LINEAGE_DUCKDB_PATH }}"}],
    )
    airflow_url: str | None = Field(
        default=None,
        description="Airflow 3 base URL: adds a sensor recording each successful DAG run.",
        examples=["http://airflow:8080"],
    )
    airflow_token: str | None = Field(default=None, description="Airflow API bearer token.")
    airflow_username: str | None = Field(default=None, description="Airflow API user.")
    airflow_password: str | None = Field(default=None, description="Airflow API password.")
    sensor_name: str | None = Field(default=None, description="Name of the run sensor.")

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        """The DAG assets (and the run sensor when ``airflow_url`` is set)."""
        assets = airflow_dag_assets(
            dags_folder=_resolve(context, self.dags_folder),
            reader=self.reader,
            execution=self.execution,
            connections=dict(self.connections) or None,
        )
        sensors = []
        if self.airflow_url:
            sensors.append(
                build_airflow_run_sensor(
                    airflow_url=self.airflow_url,
                    specs=assets,
                    token=self.airflow_token,
                    username=self.airflow_username,
                    password=self.airflow_password,
                    name=self.sensor_name,
                )
            )
        return dg.Definitions(assets=assets, sensors=sensors)
