"""Read DAG files with Airflow's own parser (``DagBag``), into the same model as the static reader.

Needs the optional ``airflow`` extra; Airflow is imported inside the functions only, so importing
this module never needs it. ``DagBag(dags_folder).dags`` parses the files without a metadata
database (``get_dag`` would need one). Import errors are reported per file; the other DAGs load.

Examples:
    >>> from dagster_lineage.integrations.airflow.dagbag_reader import airflow_available
    >>> isinstance(airflow_available(), bool)
    True
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import inspect
import os
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dagster_lineage.integrations.airflow.model import (
    AirflowAssetRef,
    DagFileError,
    DagFolder,
    DagInfo,
    TaskInfo,
    TaskKind,
    classify_operator,
    normalise_owners,
)
from dagster_lineage.integrations.airflow.static_reader import python_task_sql, resolve_sql_values
from dagster_lineage.integrations.airflow.templates import template_searchpath


def airflow_available() -> bool:
    """True when Airflow can be imported (without importing it).

    Examples:
        >>> airflow_available() in (True, False)
        True
    """
    try:
        return importlib.util.find_spec("airflow") is not None
    except (ImportError, ValueError):
        return False


def _asset_refs(objs: Iterable[Any]) -> tuple[tuple[AirflowAssetRef, ...], bool]:
    refs: list[AirflowAssetRef] = []
    unknown = False
    for o in objs or ():
        inner = getattr(o, "objects", None)
        if inner is not None:  # AssetAll / AssetAny
            more, u = _asset_refs(inner)
            refs += more
            unknown = unknown or u
            continue
        name, uri = getattr(o, "name", None), getattr(o, "uri", None)
        if isinstance(uri, str) and type(o).__name__ in ("Asset", "Dataset", "Model"):
            refs.append(AirflowAssetRef(name=str(name or uri), uri=uri))
        else:
            unknown = True
    return tuple(refs), unknown


def _callable_node(fn: Any) -> ast.AST | None:
    fn = inspect.unwrap(fn) if callable(fn) else fn
    try:
        src = textwrap.dedent(inspect.getsource(fn))
        return ast.parse(src)
    except (OSError, TypeError, SyntaxError):
        return None


def _callable_in_file(fn: Any, fileloc: str) -> bool:
    try:
        src_file = inspect.getsourcefile(inspect.unwrap(fn))
    except TypeError:
        return False
    return bool(src_file) and Path(str(src_file)).resolve() == Path(fileloc).resolve()


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return repr(value)


def _task_info(task: Any, dag: Any, dag_params: dict[str, Any], searchpath: list[str]) -> TaskInfo:
    tid = task.task_id
    operator = str(getattr(task, "operator_name", None) or type(task).__name__)
    notes: list[str] = []
    sql: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    table = getattr(task, "table", None)
    table = table if isinstance(table, str) else None
    raw_sql = getattr(task, "sql", None)
    if table is not None and "Check" in operator:
        raw_sql = None  # check operators build their SQL from the table and checks
    has_sql = raw_sql is not None and operator != "@task.sql"
    fn = getattr(task, "python_callable", None)
    if operator == "@task.sql":
        sql, pnotes = python_task_sql(_callable_node(fn) if fn else None, tid)
        notes += [n for n in pnotes if "no SQL literal" not in n]
        if not sql:
            notes.append(f"SQL task '{tid}': its SQL is built at run time")
    elif has_sql:
        values = [raw_sql] if isinstance(raw_sql, str) else raw_sql
        if isinstance(values, (list, tuple)) and all(isinstance(v, str) for v in values):
            sql, files, fnotes = resolve_sql_values(list(values), searchpath)
            notes += fnotes
        else:
            notes.append(f"SQL of task '{tid}' is not a string or a list of strings")
    kind = classify_operator(operator, has_sql=has_sql, has_table=table is not None)
    if kind is TaskKind.PYTHON:
        node = _callable_node(fn) if fn is not None and _callable_in_file(fn, dag.fileloc) else None
        sql, pnotes = python_task_sql(node, tid)
        notes += pnotes
    check_cols: tuple[str, ...] = ()
    cm = getattr(task, "column_mapping", None)
    if kind is TaskKind.CHECK and isinstance(cm, dict):
        check_cols = tuple(sorted(cm))
    inlets, unk_in = _asset_refs(getattr(task, "inlets", ()) or ())
    outlets, unk_out = _asset_refs(getattr(task, "outlets", ()) or ())
    if unk_in:
        notes.append(f"some inlets of task '{tid}' are not Airflow Assets")
    if unk_out:
        notes.append(f"some outlets of task '{tid}' are not Airflow Assets")
    conn_id = getattr(task, "conn_id", None)
    if not isinstance(conn_id, str):
        conn_id = None
        for k, v in sorted(vars(task).items()):
            if k.endswith("_conn_id") and isinstance(v, str):
                conn_id = v
                break
    tparams: dict[str, Any] = {}
    try:
        tparams = dict(task.params.dump()) if getattr(task, "params", None) is not None else {}
    except Exception:  # noqa: BLE001 - Airflow's ParamsDict.dump validates user values
        tparams = {}
    return TaskInfo(
        task_id=tid,
        operator=operator,
        kind=kind,
        sql=sql,
        sql_files=files,
        conn_id=conn_id if has_sql or kind is not TaskKind.PYTHON else conn_id,
        table=table if kind is TaskKind.CHECK else None,
        check_columns=check_cols,
        inlets=inlets,
        outlets=outlets,
        upstream_task_ids=tuple(sorted(task.upstream_task_ids)),
        params={
            k: _plain(v) for k, v in tparams.items() if k not in dag_params or dag_params[k] != v
        },
        owner=str(task.owner) if task.owner else None,
        notes=tuple(notes),
    )


def dag_info_from_airflow(dag: Any) -> DagInfo:
    """Normalise one Airflow ``DAG`` object into a :class:`DagInfo`.

    Examples:
        >>> callable(dag_info_from_airflow)
        True
    """
    try:
        dag_params = {k: _plain(v) for k, v in dict(dag.params.dump()).items()}
    except Exception:  # noqa: BLE001 - Airflow's ParamsDict.dump validates user values
        dag_params = {}
    tsp = dag.template_searchpath
    tsp_list = [tsp] if isinstance(tsp, str) else list(tsp or [])
    searchpath = template_searchpath(str(Path(dag.fileloc).parent), tsp_list)
    tasks = [_task_info(t, dag, dag_params, searchpath) for t in dag.tasks]
    timetable = getattr(dag, "timetable", None)
    cond = getattr(timetable, "asset_condition", None)
    schedule_assets: tuple[AirflowAssetRef, ...] = ()
    notes: list[str] = []
    if cond is not None:
        schedule_assets, unknown = _asset_refs([cond])
        if unknown:
            notes.append("the DAG's schedule has Assets the static reader cannot evaluate")
    macros = getattr(dag, "user_defined_macros", None) or {}
    return DagInfo(
        dag_id=dag.dag_id,
        fileloc=str(dag.fileloc),
        tasks=tuple(sorted(tasks, key=lambda t: t.task_id)),
        params=dag_params,
        template_searchpath=tuple(tsp_list),
        user_defined_macros={
            k: v for k, v in macros.items() if isinstance(v, (str, int, float, bool))
        },
        schedule_assets=schedule_assets,
        owners=normalise_owners([str(t.owner) for t in dag.tasks if t.owner]),
        tags=tuple(sorted(str(t) for t in (dag.tags or ()))),
        description=dag.description,
        reader="dagbag",
        notes=tuple(notes),
    )


def read_dags_dagbag(dags_folder: str | os.PathLike[str]) -> DagFolder:
    """Every DAG of a folder parsed by Airflow's ``DagBag``; import errors listed per file.

    Raises:
        IntegrationError: when Airflow is not installed (install the ``airflow`` extra, or use the
            static reader).

    Examples:
        >>> callable(read_dags_dagbag)
        True
    """
    from dagster_lineage.errors import IntegrationError

    if not airflow_available():
        raise IntegrationError(
            str(dags_folder),
            "Airflow is not installed, so DAG files cannot be parsed with Airflow's DagBag",
            fix="Install dagster-lineage[airflow], or read the DAGs statically (reader='static').",
        )
    # Airflow logs to stdout; keep stdout clean for callers that print JSON (the CLI).
    with contextlib.redirect_stdout(sys.stderr):
        try:
            from airflow.dag_processing.dagbag import DagBag
        except Exception as exc:  # noqa: BLE001 - a broken Airflow install or configuration
            raise IntegrationError(
                str(dags_folder),
                f"Airflow could not be imported ({type(exc).__name__}: {exc})",
                fix="Check the Airflow installation and AIRFLOW_HOME, or use reader='static'.",
            ) from None
        bag = DagBag(dag_folder=str(dags_folder), safe_mode=True)
    dags_list = []
    errors = []
    for dag_id in sorted(bag.dags):
        try:
            dags_list.append(dag_info_from_airflow(bag.dags[dag_id]))
        except Exception as exc:  # noqa: BLE001 - one odd DAG never stops the others
            fileloc = str(getattr(bag.dags[dag_id], "fileloc", dag_id))
            errors.append(
                DagFileError(
                    fileloc,
                    f"Could not read DAG '{dag_id}' of {fileloc}: {type(exc).__name__}: {exc}",
                )
            )
    dags = tuple(dags_list)
    for path, message in sorted(bag.import_errors.items()):
        first = str(message).strip().splitlines()
        last = first[-1] if first else str(message)
        errors.append(
            DagFileError(
                str(path),
                f"Could not read {path}: Airflow failed to import it ({last}). Fix the DAG file; "
                "the other DAG files are still read.",
            )
        )
    return DagFolder(dags=dags, errors=tuple(errors))
