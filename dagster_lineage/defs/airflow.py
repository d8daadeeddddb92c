r"""Airflow DAGs as lineage-aware Dagster assets: specs, the asset factory, a run sensor, a runner.

- :func:`build_airflow_lineage_specs`: one ``AssetSpec`` per DAG (or task / output table) with
  its dependencies, ``dagster/column_lineage``/``dagster/column_schema`` where the output table is
  known, the ``airflow`` kind, owners from the DAG's ``owner`` and ``code_version`` = checksum of
  the DAG file and its SQL. External assets: Airflow runs them.
- :func:`airflow_dag_assets`: the factory; ``execution="in_process"`` materializes a DAG from
  Dagster by running its SQL tasks against DuckDB (local development, the example).
- :func:`build_airflow_run_sensor`: polls an Airflow 3 REST API (``/api/v2``) for successful DAG
  runs and records one materialization per run.

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

from __future__ import annotations

import datetime as _dt
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import dagster as dg

from dagster_lineage.core.model import AssetLineage
from dagster_lineage.defs.metadata import lineage_metadata, record_from_metadata
from dagster_lineage.errors import DagsterLineageError, IntegrationError, redact
from dagster_lineage.integrations.airflow import Reader, read_dags
from dagster_lineage.integrations.airflow.lineage import AirflowUnit, dag_records
from dagster_lineage.integrations.airflow.model import DagFileError, DagInfo, TaskKind
from dagster_lineage.integrations.airflow.templates import render_sql, template_searchpath
from dagster_lineage.integrations.airflow.translator import AirflowLineageTranslator

DAG_ID_KEY = "dagster_lineage/airflow_dag_id"
DAG_FILE_KEY = "dagster_lineage/airflow_dag_file"
TASKS_KEY = "dagster_lineage/airflow_tasks"
OUTPUT_TABLES_KEY = "dagster_lineage/airflow_output_tables"
OUTLETS_KEY = "dagster_lineage/airflow_outlets"

Execution = Literal["external", "in_process"]


@dataclass(frozen=True)
class AirflowLineage:
    """Everything read from a DAG folder: one unit per asset, and the files that failed.

    Examples:
        >>> AirflowLineage(units=(), errors=()).records
        ()
    """

    units: tuple[AirflowUnit, ...]
    errors: tuple[DagFileError, ...]

    @property
    def records(self) -> tuple[AssetLineage, ...]:
        """The lineage records, one per asset."""
        return tuple(u.record for u in self.units)


def load_airflow_lineage(
    *,
    dags_folder: str | os.PathLike[str],
    translator: AirflowLineageTranslator | None = None,
    reader: Reader | None = None,
    upstream_schemas: Mapping[str, Mapping[str, str | None]] | None = None,
    known_records: Iterable[AssetLineage] | None = None,
) -> AirflowLineage:
    """Read a DAG folder and build its lineage; failing DAG files are logged (with the file) and skipped.

    Examples:
        >>> load_airflow_lineage(dags_folder="/nonexistent", reader="static").units
        ()
    """
    folder = read_dags(dags_folder, reader=reader)
    log = dg.get_dagster_logger()
    for err in folder.errors:
        log.warning(f"dagster-lineage: skipped Airflow DAG file {err.path}: {err.message}")
    units = dag_records(
        folder.dags,
        translator=translator,
        upstream_schemas=upstream_schemas,
        known_records=known_records,
    )
    return AirflowLineage(units=tuple(units), errors=folder.errors)


def _spec(unit: AirflowUnit, translator: AirflowLineageTranslator, root: Path) -> dg.AssetSpec:
    rec = unit.record
    try:
        rel = Path(unit.dag.fileloc).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = Path(unit.dag.fileloc).name
    metadata: dict[str, Any] = {
        **lineage_metadata(rec),
        DAG_ID_KEY: unit.dag.dag_id,
        DAG_FILE_KEY: rel,
        TASKS_KEY: dg.MetadataValue.json(list(unit.task_ids)),
    }
    if unit.output_tables:
        metadata[OUTPUT_TABLES_KEY] = dg.MetadataValue.json(list(unit.output_tables))
    if unit.output_table:
        metadata["dagster/table_name"] = unit.output_table
    if unit.outlets:
        metadata[OUTLETS_KEY] = dg.MetadataValue.json(list(unit.outlets))
    return dg.AssetSpec(
        key=dg.AssetKey(list(rec.key)),
        deps=[dg.AssetKey(list(k)) for k in rec.upstream],
        description=rec.description,
        metadata=metadata,
        kinds={"airflow"},
        owners=list(rec.owners),
        code_version=rec.code_checksum,
        group_name=translator.get_group_name(unit.dag),
        tags=dict(translator.get_tags(unit.dag)),
    )


def _load(
    dags_folder: str | os.PathLike[str],
    translator: AirflowLineageTranslator,
    reader: Reader | None,
    upstream_schemas: Mapping[str, Mapping[str, str | None]] | None,
    known_records: Iterable[AssetLineage] | None,
) -> tuple[AirflowLineage, Path]:
    """The folder's lineage and the root that spec paths are relative to."""
    lineage = load_airflow_lineage(
        dags_folder=dags_folder,
        translator=translator,
        reader=reader,
        upstream_schemas=upstream_schemas,
        known_records=known_records,
    )
    root = Path(dags_folder)
    return lineage, (root.parent if root.is_file() else root)


def build_airflow_lineage_specs(
    *,
    dags_folder: str | os.PathLike[str],
    translator: AirflowLineageTranslator | None = None,
    reader: Reader | None = None,
    upstream_schemas: Mapping[str, Mapping[str, str | None]] | None = None,
    known_records: Iterable[AssetLineage] | None = None,
) -> list[dg.AssetSpec]:
    """One ``AssetSpec`` per DAG (or task / output table) of a folder, carrying its lineage.

    Args:
        dags_folder: folder (or one file) of Airflow DAG files.
        translator: keys, table/Asset mapping, dialects, owners (default translator when None).
        reader: ``"auto"`` (DagBag when Airflow is installed, else static), ``"static"``,
            ``"dagbag"``.
        upstream_schemas: known upstream table schemas (table -> {column: type}).
        known_records: known assets' records (e.g. the dbt specs') to complete the schemas.

    Examples:
        >>> build_airflow_lineage_specs(dags_folder="/nonexistent", reader="static")
        []
    """
    translator = translator or AirflowLineageTranslator()
    lineage, root = _load(dags_folder, translator, reader, upstream_schemas, known_records)
    return [_spec(u, translator, root) for u in lineage.units]


# ----------------------------------------------------------------------------- in-process runs
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


def _duckdb_path(conn_id: str | None, connections: Mapping[str, str] | None) -> str | None:
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
    import duckdb

    runs: list[TaskRun] = []
    ld = logical_date or _dt.datetime.now(_dt.timezone.utc).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    searchpath = template_searchpath(str(Path(dag.fileloc).parent), dag.template_searchpath)
    for task in dag.topological_tasks():
        if task.kind is TaskKind.SQL and task.sql:
            path = _duckdb_path(task.conn_id, connections)
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


def _in_process_asset(
    dag: DagInfo,
    units: list[AirflowUnit],
    specs: list[dg.AssetSpec],
    connections: Mapping[str, str] | None,
) -> dg.AssetsDefinition:
    from dagster_lineage.defs.recording import checksum_metadata

    records = {u.record.key: u for u in units}

    @dg.multi_asset(specs=specs, name=f"airflow_{_safe(dag.dag_id)}", can_subset=False)
    def _run_dag(context):  # type: ignore[no-untyped-def]  # noqa: ANN001 (Dagster resolves it)
        runs = run_dag_in_process(dag, connections=connections, log=context.log)
        run_id = f"dagster__{context.run.run_id}"
        for spec in specs:
            unit = records[tuple(spec.key.path)]
            md: dict[str, Any] = {
                "airflow/dag_run_id": run_id,
                "airflow/tasks": dg.MetadataValue.json(
                    {r.task_id: r.state for r in runs if r.task_id in unit.task_ids}
                ),
            }
            table = None
            path = None
            if unit.output_table:
                task_conns = {dag.task(t).conn_id for t in unit.task_ids}
                path = next(
                    (
                        p
                        for c in sorted(x or "" for x in task_conns)
                        if (p := _duckdb_path(c, connections))
                    ),
                    None,
                )
            if unit.output_table and path:
                from dagster_lineage.state.warehouse import TableHandle

                table = TableHandle.duckdb(path, unit.output_table)
            try:
                md.update(checksum_metadata(unit.record, context=context, table=table))
            except DagsterLineageError:
                raise
            except Exception as e:  # enrichment never fails the run
                context.log.warning(f"checksums of {spec.key.to_user_string()} skipped: {e}")
            yield dg.MaterializeResult(asset_key=spec.key, metadata=md)

    return _run_dag


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in text)


def airflow_dag_assets(
    *,
    dags_folder: str | os.PathLike[str],
    translator: AirflowLineageTranslator | None = None,
    reader: Reader | None = None,
    upstream_schemas: Mapping[str, Mapping[str, str | None]] | None = None,
    known_records: Iterable[AssetLineage] | None = None,
    execution: Execution | None = None,
    connections: Mapping[str, str] | None = None,
) -> list[dg.AssetSpec | dg.AssetsDefinition]:
    """The asset factory: Airflow DAGs of a folder as lineage-aware Dagster assets.

    Args:
        dags_folder: folder (or one file) of Airflow DAG files.
        translator: keys, table/Asset mapping, dialects, owners (default translator when None).
        reader: ``"auto"`` (default), ``"static"`` or ``"dagbag"`` (see :func:`read_dags`).
        upstream_schemas: known upstream table schemas (table -> {column: type}).
        known_records: known assets' records to complete the schemas.
        execution: ``"external"`` (default: Airflow runs the DAGs; pair with
            :func:`build_airflow_run_sensor`) or ``"in_process"`` (Dagster runs each DAG's SQL
            tasks against DuckDB, see :func:`run_dag_in_process`).
        connections: for ``in_process``: Airflow conn_id -> DuckDB database path.

    Examples:
        >>> airflow_dag_assets(dags_folder="/nonexistent", reader="static")
        []
    """
    translator = translator or AirflowLineageTranslator()
    lineage, root = _load(dags_folder, translator, reader, upstream_schemas, known_records)
    mode = execution or "external"
    if mode not in ("external", "in_process"):
        raise IntegrationError(
            str(dags_folder),
            f"unknown execution mode '{execution}'",
            fix="Use 'external' or 'in_process'.",
        )
    if mode == "external":
        return [_spec(u, translator, root) for u in lineage.units]
    out: list[dg.AssetSpec | dg.AssetsDefinition] = []
    by_dag: dict[str, list[AirflowUnit]] = {}
    for u in lineage.units:
        by_dag.setdefault(u.dag.dag_id, []).append(u)
    for dag_id in sorted(by_dag):
        units = by_dag[dag_id]
        specs = [_spec(u, translator, root) for u in units]
        out.append(_in_process_asset(units[0].dag, units, specs, connections))
    return out


# ----------------------------------------------------------------------------- the sensor
CURSOR_VERSION = 1


def _parse_time(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return _dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class _AirflowApi:
    """A minimal Airflow 3 REST API client (``/api/v2``) with token auth and timeouts."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None,
        username: str | None,
        password: str | None,
        timeout: float,
    ) -> None:
        self.url = url.rstrip("/")
        self.shown = redact(self.url)  # for messages: no user info
        self.token = token
        self.username = username
        self.password = password
        self.timeout = timeout

    def _fetch_token(self) -> str:
        import requests

        resp = requests.post(
            f"{self.url}/auth/token",
            json={"username": self.username, "password": self.password},
            timeout=self.timeout,
        )
        if resp.status_code >= 400:
            raise IntegrationError(
                f"Airflow API {self.shown}",
                f"token request refused (HTTP {resp.status_code})",
                fix="Check the username and password (or pass token=...).",
            )
        token = resp.json().get("access_token")
        if not isinstance(token, str):
            raise IntegrationError(
                f"Airflow API {self.shown}", "token response has no access_token"
            )
        return token

    def get(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        import requests

        if self.token is None and self.username is not None:
            self.token = self._fetch_token()
        for attempt in range(2):
            headers = {"Accept": "application/json"}
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
            resp = requests.get(
                f"{self.url}{path}", params=dict(params), headers=headers, timeout=self.timeout
            )
            if resp.status_code == 401 and attempt == 0 and self.username is not None:
                self.token = self._fetch_token()
                continue
            if resp.status_code == 404:
                return {"dag_runs": [], "missing": True}
            if resp.status_code >= 400:
                raise IntegrationError(
                    f"Airflow API {self.shown}{path}",
                    f"HTTP {resp.status_code}: {resp.text[:200]}",
                    fix="Check the API URL (Airflow 3, /api/v2) and the token's permissions.",
                )
            data = resp.json()
            return data if isinstance(data, dict) else {}
        raise IntegrationError(f"Airflow API {self.shown}", "authentication failed twice")


def _decode_cursor(cursor: str | None, log: Any) -> dict[str, Any]:
    empty: dict[str, Any] = {"v": CURSOR_VERSION, "dags": {}}
    if not cursor:
        return empty
    try:
        data = json.loads(cursor)
        if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION:
            raise ValueError("unexpected cursor version")
        if not isinstance(data.get("dags"), dict):
            raise ValueError("no dags entry")
        return data
    except ValueError as e:
        log.warning(f"Airflow run sensor: cursor could not be decoded ({e}); starting over")
        return empty


def _keys_by_dag(
    specs: Sequence[dg.AssetSpec | dg.AssetsDefinition],
) -> dict[str, list[dg.AssetSpec]]:
    out: dict[str, list[dg.AssetSpec]] = {}
    for item in specs:
        items = list(item.specs) if isinstance(item, dg.AssetsDefinition) else [item]
        for spec in items:
            raw = (spec.metadata or {}).get(DAG_ID_KEY)
            dag_id = raw.value if isinstance(raw, dg.MetadataValue) else raw
            if isinstance(dag_id, str):
                out.setdefault(dag_id, []).append(spec)
    return out


def build_airflow_run_sensor(
    *,
    airflow_url: str,
    specs: Sequence[dg.AssetSpec | dg.AssetsDefinition],
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    name: str | None = None,
    minimum_interval_seconds: int | None = None,
    request_timeout_seconds: float | None = None,
    max_runs_per_dag: int | None = None,
    time_budget_seconds: float | None = None,
    default_status: dg.DefaultSensorStatus | None = None,
    run_metadata_fn: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
) -> dg.SensorDefinition:
    """A sensor recording a materialization for each successful Airflow DAG run.

    Polls ``GET {airflow_url}/api/v2/dags/{dag_id}/dagRuns?state=success`` (Airflow 3) for the DAGs
    of ``specs`` (from :func:`build_airflow_lineage_specs`), ordered by end date from the
    cursor's position on, and records one ``AssetMaterialization`` per run and asset with the
    run id, logical date, start and end dates. The cursor is versioned JSON (reset with a log
    line when it cannot be decoded); when the API is down the tick logs it and skips.

    Args:
        airflow_url: the Airflow API server (``http://host:8080``).
        specs: the Airflow asset specs (or in-process assets definitions).
        token: a JWT access token (else ``username``/``password`` get one from ``/auth/token``).
        username: user for ``/auth/token``.
        password: password for ``/auth/token``.
        name: sensor name (default ``airflow_dag_runs``).
        minimum_interval_seconds: seconds between ticks (default 60).
        request_timeout_seconds: timeout of each HTTP request (default 10).
        max_runs_per_dag: runs fetched per DAG per tick (default 100).
        time_budget_seconds: stop polling more DAGs after this long (default 40).
        default_status: running or stopped by default.
        run_metadata_fn: a hook returning extra metadata for a run (the API's DAG-run JSON); it
            runs inside an error boundary: when it raises, the tick logs it and keeps the event.

    Examples:
        >>> s = build_airflow_run_sensor(airflow_url="http://localhost:8080", specs=[])
        >>> s.name
        'airflow_dag_runs'
    """
    by_dag = _keys_by_dag(specs)
    records: dict[str, AssetLineage] = {}
    for spec_list in by_dag.values():
        for spec in spec_list:
            records[spec.key.to_user_string()] = record_from_metadata(
                tuple(spec.key.path), spec.metadata or {}
            )
    timeout = request_timeout_seconds or 10.0
    shown_url = redact(airflow_url)  # never a credential in the description, logs or cursor
    limit = max_runs_per_dag or 100
    budget = time_budget_seconds or 40.0

    @dg.sensor(
        name=name or "airflow_dag_runs",
        minimum_interval_seconds=minimum_interval_seconds or 60,
        default_status=default_status or dg.DefaultSensorStatus.STOPPED,
        description=f"Records materializations for successful Airflow DAG runs at {shown_url}.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        from dagster_lineage.defs.recording import checksum_metadata

        started = time.monotonic()
        state = _decode_cursor(context.cursor, context.log)
        api = _AirflowApi(
            airflow_url, token=token, username=username, password=password, timeout=timeout
        )
        events: list[dg.AssetMaterialization] = []
        for dag_id in sorted(by_dag):
            if time.monotonic() - started > budget:
                context.log.info("Airflow run sensor: time budget spent; continuing next tick")
                break
            entry = state["dags"].get(dag_id) or {}
            params: dict[str, Any] = {
                "state": "success",
                "order_by": "end_date",
                "limit": limit,
            }
            if entry.get("end_date"):
                params["end_date_gte"] = entry["end_date"]
            try:
                data = api.get(f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns", params)
            except IntegrationError as e:
                context.log.warning(redact(f"Airflow run sensor: {e}"))
                continue
            except Exception as e:  # connection refused, timeout, bad JSON
                msg = redact(
                    f"Airflow API at {shown_url} is unreachable ({type(e).__name__}: "
                    f"{str(e).splitlines()[0] if str(e) else ''}); will retry next tick"
                )
                context.log.warning(msg)
                return dg.SkipReason(msg)
            if data.get("missing"):
                context.log.warning(f"Airflow run sensor: DAG '{dag_id}' is not known to Airflow")
                continue
            seen = set(entry.get("seen") or [])
            last_end = entry.get("end_date")
            runs = [r for r in data.get("dag_runs") or [] if isinstance(r, dict)]
            runs.sort(
                key=lambda r: (_parse_time(r.get("end_date")) or 0.0, str(r.get("dag_run_id")))
            )
            for run in runs:
                run_id = str(run.get("dag_run_id"))
                end = run.get("end_date")
                if run.get("state") not in (None, "success") or not end:
                    continue
                if end == last_end and run_id in seen:
                    continue
                if last_end and (_parse_time(end) or 0) < (_parse_time(last_end) or 0):
                    continue
                for spec in by_dag[dag_id]:
                    md: dict[str, Any] = {
                        "airflow/dag_id": dag_id,
                        "airflow/dag_run_id": run_id,
                        "airflow/run_type": str(run.get("run_type")),
                        "airflow/logical_date": str(run.get("logical_date")),
                        "airflow/start_date": str(run.get("start_date")),
                        "airflow/end_date": str(end),
                    }
                    end_ts = _parse_time(end)
                    if end_ts is not None:
                        md["airflow/end_timestamp"] = dg.MetadataValue.timestamp(end_ts)
                    try:
                        md.update(
                            checksum_metadata(
                                records[spec.key.to_user_string()], instance=context.instance
                            )
                        )
                    except Exception as e:  # enrichment: never lose the event
                        context.log.warning(f"checksums for {spec.key.to_user_string()}: {e}")
                    if run_metadata_fn is not None:
                        try:
                            md.update(run_metadata_fn(run))
                        except Exception as e:  # a user hook never stops the sensor
                            context.log.warning(
                                f"Airflow run sensor: run_metadata_fn failed for {dag_id} run "
                                f"{run_id}: {type(e).__name__}: {e}"
                            )
                    events.append(
                        dg.AssetMaterialization(
                            asset_key=spec.key,
                            description=f"Airflow DAG run {run_id} succeeded",
                            metadata=md,
                        )
                    )
                if end != last_end:
                    last_end, seen = end, set()
                seen.add(run_id)
            if last_end:
                state["dags"][dag_id] = {"end_date": last_end, "seen": sorted(seen)}
        cursor = json.dumps(state, sort_keys=True)
        if not events:
            return dg.SensorResult(asset_events=[], cursor=cursor)
        return dg.SensorResult(asset_events=events, cursor=cursor)

    return _sensor
