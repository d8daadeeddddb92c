"""Run an Airflow DAG's SQL tasks in process against DuckDB, without an Airflow server.

Examples:
    >>> from dagster_lineage.defs.airflow.runner import TaskRun
    >>> TaskRun("load", "skipped", "PythonOperator tasks only run under Airflow").state
    'skipped'
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dagster_lineage.errors import IntegrationError, import_extra
from dagster_lineage.integrations.airflow.model import DagInfo, TaskKind
from dagster_lineage.integrations.airflow.templates import render_sql, template_searchpath


@dataclass(frozen=True)
class TaskRun:
    """What the in-process runner did with one task.

    Examples:
        >>> TaskRun("load", "success").state
        'success'
    """

    task_id: str
    state: str  # "success" | "skipped"
    detail: str = ""


def duckdb_path(conn_id: str | None, connections: Mapping[str, str] | None) -> str | None:
    """The DuckDB database a task's ``conn_id`` resolves to, or ``None``.

    ``connections`` first, then an ``AIRFLOW_CONN_<ID>=duckdb:///path`` variable, then
    ``connections["default"]``.

    Examples:
        >>> duckdb_path("wh", {"wh": "w.duckdb"}), duckdb_path(None, None)
        ('w.duckdb', None)
    """
    if conn_id and connections and conn_id in connections:
        return str(connections[conn_id])
    if conn_id:
        env = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
        if env and env.startswith("duckdb://"):
            split = urlsplit(env)
            return (split.netloc + split.path) or ":memory:"
    if connections and "default" in connections:
        return str(connections["default"])
    return None


def run_dag_in_process(
    dag: DagInfo,
    *,
    connections: Mapping[str, str] | None = None,
    logical_date: _dt.datetime | None = None,
    log: Any | None = None,
) -> list[TaskRun]:
    """Run a DAG's SQL tasks in dependency order against DuckDB, without an Airflow server.

    Each SQL task's templates are rendered like Airflow renders them (params, ``ds`` of
    ``logical_date``, the template search path) and executed on the DuckDB database its
    ``conn_id`` resolves to (``connections`` first, then an ``AIRFLOW_CONN_<ID>=duckdb:///path``
    variable, then ``connections["default"]``). Tasks that move no data are done; other tasks
    (Python, Bash) only run under Airflow and are reported as skipped.

    Raises:
        IntegrationError: when a SQL task has no DuckDB connection or its SQL fails (names the DAG
            file, the task and the fix).

    Examples:
        >>> import tempfile, pathlib, duckdb
        >>> from dagster_lineage.integrations.airflow.model import TaskInfo
        >>> db = str(pathlib.Path(tempfile.mkdtemp()) / "w.duckdb")
        >>> t = TaskInfo("q", "SQLExecuteQueryOperator", TaskKind.SQL, conn_id="wh",
        ...              sql=("create table t as select '{{ ds }}' as d",))
        >>> [r.state for r in run_dag_in_process(DagInfo("d", "d.py", tasks=(t,)),
        ...     connections={"wh": db}, logical_date=_dt.datetime(2024, 5, 1))]
        ['success']
        >>> duckdb.connect(db).execute("select d from t").fetchone()[0]
        '2024-05-01'
    """
    duckdb = import_extra("duckdb", extra="duckdb", feature="Running a DAG's SQL tasks in process")
    runs: list[TaskRun] = []
    ld = logical_date or _dt.datetime.now(_dt.timezone.utc).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    searchpath = template_searchpath(str(Path(dag.fileloc).parent), dag.template_searchpath)
    for task in dag.topological_tasks():
        if task.kind is TaskKind.SQL and task.sql:
            path = duckdb_path(task.conn_id, connections)
            if path is None:
                raise IntegrationError(
                    f"{dag.fileloc} (task {task.task_id})",
                    f"connection '{task.conn_id}' does not resolve to a DuckDB database",
                    fix="Pass connections={conn_id: path} to the factory, or set "
                    f"AIRFLOW_CONN_{(task.conn_id or '').upper()}=duckdb:///path/to.duckdb.",
                )
            conn = duckdb.connect(path)
            try:
                for template in task.sql:
                    rendered = render_sql(
                        template,
                        params={**dict(dag.params), **dict(task.params)},
                        searchpath=searchpath,
                        macros=dag.user_defined_macros,
                        logical_date=ld,
                        extra_context={"dag_id": dag.dag_id, "task_id": task.task_id},
                    )
                    try:
                        conn.execute(rendered.sql)
                    except duckdb.Error as e:
                        raise IntegrationError(
                            f"{dag.fileloc} (task {task.task_id})",
                            f"its SQL failed on DuckDB: {str(e).splitlines()[0]}",
                            fix="Fix the SQL (or its upstream tables) and re-run.",
                        ) from None
            finally:
                conn.close()
            runs.append(TaskRun(task.task_id, "success"))
        elif task.kind is TaskKind.NOOP:
            runs.append(TaskRun(task.task_id, "success", "moves no data"))
        else:
            runs.append(
                TaskRun(task.task_id, "skipped", f"{task.operator} tasks only run under Airflow")
            )
        if log is not None:
            last = runs[-1]
            log.info(
                f"Airflow DAG {dag.dag_id}: task {last.task_id} {last.state}"
                + (f" ({last.detail})" if last.detail else "")
            )
    return runs
