"""The normalised DAG model both readers produce (pure, no Airflow or Dagster import).

The static reader (Python AST) and the DagBag reader (Airflow's own parser) turn DAG files into the
same :class:`DagInfo` records, so everything downstream (SQL rendering, lineage, specs) is shared
and both ways of reading a DAG give the same answer.

Examples:
    >>> from dagster_lineage.integrations.airflow.model import DagInfo, TaskInfo, TaskKind
    >>> t = TaskInfo(task_id="load", operator="SQLExecuteQueryOperator", kind=TaskKind.SQL,
    ...              sql=("select 1",))
    >>> dag = DagInfo(dag_id="d", fileloc="dags/d.py", tasks=(t,))
    >>> dag.task("load").kind.value
    'sql'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class TaskKind(str, Enum):
    """What a task does, as far as lineage is concerned.

    ``SQL``: runs SQL (``sql`` holds the templates); ``PYTHON``: runs a Python callable (literal SQL
    strings found in it are in ``sql``); ``CHECK``: a SQL check operator on a ``table``;
    ``NOOP``: moves no data (empty operators, sensors, triggers); ``OTHER``: anything else (its
    reads cannot be analysed unless it declares inlets).

    Examples:
        >>> TaskKind("python").is_opaque
        True
    """

    SQL = "sql"
    PYTHON = "python"
    CHECK = "check"
    NOOP = "noop"
    OTHER = "other"

    @property
    def is_opaque(self) -> bool:
        """True when the task runs code whose reads static analysis cannot see in full."""
        return self in (TaskKind.PYTHON, TaskKind.OTHER)


@dataclass(frozen=True)
class AirflowAssetRef:
    """An Airflow Asset (Dataset) used as an inlet, outlet or schedule: its name and URI.

    Examples:
        >>> AirflowAssetRef(name="fct_orders", uri="fct_orders").uri
        'fct_orders'
    """

    name: str
    uri: str


@dataclass(frozen=True)
class TaskInfo:
    """One task of a DAG, normalised.

    Attributes:
        task_id: the task id (with its task-group prefix, as Airflow builds it).
        operator: the operator class name, or the TaskFlow decorator (``@task``, ``@task.bash``).
        kind: what the task does.
        sql: SQL templates (un-rendered; ``.sql`` files replaced by their text), in order.
        sql_files: the ``.sql`` template files read for ``sql`` (paths), when known (the static
            reader knows them; Airflow's DagBag replaces file names by their text; not compared).
        conn_id: the connection the task uses, when any.
        table: the table a check operator checks.
        check_columns: the columns a check operator checks.
        inlets: Airflow Assets declared as inlets.
        outlets: Airflow Assets declared as outlets.
        upstream_task_ids: ids of the tasks it runs after.
        params: task-level params (merged over the DAG's when rendering).
        owner: the task's owner.
        notes: what the reader could not resolve for this task (reason strings).
    """

    task_id: str
    operator: str
    kind: TaskKind
    sql: tuple[str, ...] = ()
    sql_files: tuple[str, ...] = field(default=(), compare=False)
    conn_id: str | None = None
    table: str | None = None
    check_columns: tuple[str, ...] = ()
    inlets: tuple[AirflowAssetRef, ...] = ()
    outlets: tuple[AirflowAssetRef, ...] = ()
    upstream_task_ids: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    owner: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DagInfo:
    """One DAG, normalised.

    Attributes:
        dag_id: the DAG id.
        fileloc: the DAG file's path.
        tasks: its tasks, sorted by id.
        params: DAG params (their default values).
        template_searchpath: extra folders Jinja searches for templates (after the DAG's folder).
        user_defined_macros: literal user-defined macros (strings, numbers, booleans).
        schedule_assets: Airflow Assets the DAG is scheduled on.
        owners: owners from ``default_args``/tasks (``airflow`` is left out as Airflow's default).
        tags: the DAG's tags.
        description: the DAG's description.
        reader: which reader produced it (``static`` or ``dagbag``; not compared).
        notes: what the reader could not resolve at DAG level.

    Examples:
        >>> DagInfo(dag_id="d", fileloc="d.py").task_ids
        ()
    """

    dag_id: str
    fileloc: str
    tasks: tuple[TaskInfo, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    template_searchpath: tuple[str, ...] = ()
    user_defined_macros: Mapping[str, Any] = field(default_factory=dict)
    schedule_assets: tuple[AirflowAssetRef, ...] = ()
    owners: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    description: str | None = None
    reader: str = field(default="static", compare=False)
    notes: tuple[str, ...] = ()

    @property
    def task_ids(self) -> tuple[str, ...]:
        """Ids of its tasks."""
        return tuple(t.task_id for t in self.tasks)

    def task(self, task_id: str) -> TaskInfo:
        """The task called ``task_id`` (``KeyError`` when absent)."""
        for t in self.tasks:
            if t.task_id == task_id:
                return t
        raise KeyError(task_id)

    def topological_tasks(self) -> tuple[TaskInfo, ...]:
        """Tasks in dependency order (ties broken by task id).

        Examples:
            >>> a = TaskInfo("a", "X", TaskKind.NOOP, upstream_task_ids=("b",))
            >>> b = TaskInfo("b", "X", TaskKind.NOOP)
            >>> [t.task_id for t in DagInfo("d", "d.py", tasks=(a, b)).topological_tasks()]
            ['b', 'a']
        """
        by_id = {t.task_id: t for t in self.tasks}
        done: list[TaskInfo] = []
        seen: set[str] = set()
        remaining = sorted(by_id)
        while remaining:
            ready = [
                tid
                for tid in remaining
                if all(u in seen or u not in by_id for u in by_id[tid].upstream_task_ids)
            ]
            if not ready:  # a cycle: Airflow rejects it; keep going in id order
                ready = remaining[:1]
            for tid in ready:
                seen.add(tid)
                done.append(by_id[tid])
            remaining = [tid for tid in remaining if tid not in seen]
        return tuple(done)


@dataclass(frozen=True)
class DagFileError:
    """A DAG file that could not be read, with a message naming the file.

    Examples:
        >>> DagFileError("dags/bad.py", "SyntaxError at line 3").message
        'SyntaxError at line 3'
    """

    path: str
    message: str


@dataclass(frozen=True)
class DagFolder:
    """What a reader found in a DAG folder: the DAGs (sorted by id) and the files that failed.

    Examples:
        >>> DagFolder(dags=(DagInfo("d", "d.py"),)).dag("d").fileloc
        'd.py'
    """

    dags: tuple[DagInfo, ...] = ()
    errors: tuple[DagFileError, ...] = ()

    def dag(self, dag_id: str) -> DagInfo:
        """The DAG called ``dag_id`` (``KeyError`` when absent)."""
        for d in self.dags:
            if d.dag_id == dag_id:
                return d
        raise KeyError(dag_id)

    @property
    def dag_ids(self) -> tuple[str, ...]:
        """Ids of its DAGs."""
        return tuple(d.dag_id for d in self.dags)


# Operators that move no data for lineage purposes.
NOOP_OPERATORS = frozenset(
    {
        "EmptyOperator",
        "DummyOperator",
        "LatestOnlyOperator",
        "TriggerDagRunOperator",
        "ExternalTaskMarker",
        "EmailOperator",
        "SmtpNotifier",
    }
)


def classify_operator(operator: str, *, has_sql: bool, has_table: bool) -> TaskKind:
    """The :class:`TaskKind` of an operator name (class name or TaskFlow decorator).

    Examples:
        >>> classify_operator("SQLExecuteQueryOperator", has_sql=True, has_table=False).value
        'sql'
        >>> classify_operator("@task", has_sql=False, has_table=False).value
        'python'
        >>> classify_operator("BashOperator", has_sql=False, has_table=False).value
        'other'
    """
    if operator in NOOP_OPERATORS or operator.endswith("Sensor") or operator == "@task.sensor":
        return TaskKind.NOOP
    if has_table and "Check" in operator:
        return TaskKind.CHECK
    if operator == "@task.sql" or (has_sql and not operator.startswith("@")):
        return TaskKind.SQL
    if operator.startswith("@task") and operator not in ("@task.bash", "@task.docker"):
        return TaskKind.PYTHON
    if operator in ("PythonOperator", "BranchPythonOperator", "ShortCircuitOperator") or (
        "Python" in operator and operator.endswith("Operator")
    ):
        return TaskKind.PYTHON
    return TaskKind.OTHER


def normalise_owners(owners: list[str]) -> tuple[str, ...]:
    """Owners split on commas, stripped, deduplicated, sorted, without Airflow's default ``airflow``.

    Examples:
        >>> normalise_owners(["finance, data", "airflow", "data"])
        ('data', 'finance')
    """
    out: set[str] = set()
    for o in owners:
        for part in str(o).split(","):
            part = part.strip()
            if part and part != "airflow":
                out.add(part)
    return tuple(sorted(out))
