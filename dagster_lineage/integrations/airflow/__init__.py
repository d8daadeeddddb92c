r"""Airflow DAG files as lineage records: two readers (static AST, Airflow's DagBag), one model.

Nothing here imports Airflow at module level: the DagBag reader imports it inside its functions,
so a code location using these readers loads without Airflow installed.

Examples:
    >>> import tempfile, pathlib
    >>> from dagster_lineage.integrations.airflow import read_dags, dag_records
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "report.py").write_text(
    ...     "from airflow.sdk import DAG\n"
    ...     "from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
    ...     "with DAG('report'):\n"
    ...     "    SQLExecuteQueryOperator(task_id='q', conn_id='duckdb', sql=\n"
    ...     "        'create table daily as select sum(order_total) as revenue from fct_orders')\n"
    ... )
    >>> (unit,) = dag_records(read_dags(folder, reader="static").dags)
    >>> unit.record.column_deps["revenue"][0].upstream.display()
    'fct_orders.order_total'
"""

from __future__ import annotations

import os
from typing import Literal

from dagster_lineage.integrations.airflow.dagbag_reader import (
    airflow_available as airflow_available,
)
from dagster_lineage.integrations.airflow.dagbag_reader import (
    read_dags_dagbag as read_dags_dagbag,
)
from dagster_lineage.integrations.airflow.lineage import AirflowUnit as AirflowUnit
from dagster_lineage.integrations.airflow.lineage import dag_records as dag_records
from dagster_lineage.integrations.airflow.model import AirflowAssetRef as AirflowAssetRef
from dagster_lineage.integrations.airflow.model import DagFileError as DagFileError
from dagster_lineage.integrations.airflow.model import DagFolder as DagFolder
from dagster_lineage.integrations.airflow.model import DagInfo as DagInfo
from dagster_lineage.integrations.airflow.model import TaskInfo as TaskInfo
from dagster_lineage.integrations.airflow.model import TaskKind as TaskKind
from dagster_lineage.integrations.airflow.static_reader import (
    read_dags_static as read_dags_static,
)
from dagster_lineage.integrations.airflow.translator import (
    AirflowLineageSettings as AirflowLineageSettings,
)
from dagster_lineage.integrations.airflow.translator import (
    AirflowLineageTranslator as AirflowLineageTranslator,
)
from dagster_lineage.integrations.airflow.translator import (
    DeclaredLineage as DeclaredLineage,
)

Reader = Literal["auto", "static", "dagbag"]


def read_dags(dags_folder: str | os.PathLike[str], *, reader: Reader | None = None) -> DagFolder:
    """Read a DAG folder with Airflow's DagBag (``auto`` when Airflow is installed) or statically.

    Args:
        dags_folder: the folder (or one file) holding DAG files.
        reader: ``"static"`` (Python AST, no Airflow), ``"dagbag"`` (needs Airflow) or ``"auto"``
            (the default: DagBag when Airflow can be imported, else static).

    Raises:
        IntegrationError: ``reader="dagbag"`` without Airflow installed, or an unknown reader.

    Examples:
        >>> read_dags("/nonexistent", reader="static").dags
        ()
    """
    from dagster_lineage.errors import IntegrationError

    choice = reader or "auto"
    if choice == "auto":
        choice = "dagbag" if airflow_available() else "static"
    if choice == "static":
        return read_dags_static(dags_folder)
    if choice == "dagbag":
        return read_dags_dagbag(dags_folder)
    raise IntegrationError(
        str(dags_folder), f"unknown DAG reader '{reader}'", fix="Use 'auto', 'static' or 'dagbag'."
    )
