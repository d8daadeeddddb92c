"""The schema-drift sensor: watch source tables' schemas, run the impact analysis on drift.

It observes source tables' schemas (``information_schema`` of DuckDB or PostgreSQL); on drift it
runs the impact analysis, records the report as an ``AssetObservation`` of the table and, when
given a job, launches it with the changes.

Examples:
    >>> build_schema_drift_impact_sensor(tables={"raw": "main.raw"}, database="w.duckdb").name
    'schema_drift_impact_sensor'
"""

# No ``from __future__ import annotations``: Dagster reads the context annotation at runtime.

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import dagster as dg

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import ColumnInfo, key_to_str
from dagster_lineage.defs.impact.graph import GraphSource, resolve_graph
from dagster_lineage.defs.impact.job import impact_run_config
from dagster_lineage.defs.impact.results import report_metadata
from dagster_lineage.defs.metadata_keys import DRIFT_TAG, SCHEMA_CHANGES_KEY
from dagster_lineage.errors import DagsterLineageError, IntegrationError
from dagster_lineage.impact.analysis import analyze_impact
from dagster_lineage.impact.report import BreakingPredicate
from dagster_lineage.impact.schema_diff import diff_schemas

_CURSOR_VERSION = 1


def observe_table_schema(kind: str, database: str, table: str) -> list[ColumnInfo]:
    """Columns of ``table`` from ``information_schema`` (DuckDB file read-only, or a PostgreSQL DSN).

    Raises:
        IntegrationError: the table does not exist or the kind is unknown.

    Examples:
        >>> import duckdb, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "w.duckdb")
        >>> duckdb.connect(path).execute("create table t (id integer, name varchar)").close()
        >>> [(c.name, c.data_type) for c in observe_table_schema("duckdb", path, "t")]
        [('id', 'INTEGER'), ('name', 'VARCHAR')]
    """
    parts = table.split(".")
    name = parts[-1]
    if kind == "duckdb":
        import duckdb

        schema = parts[-2] if len(parts) > 1 else "main"
        con = duckdb.connect(database, read_only=True)
        try:
            rows = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where lower(table_schema) = lower(?) and lower(table_name) = lower(?) "
                "order by ordinal_position",
                [schema, name],
            ).fetchall()
        finally:
            con.close()
    elif kind == "postgres":
        import psycopg2

        schema = parts[-2] if len(parts) > 1 else "public"
        pg = psycopg2.connect(database)
        try:
            with pg.cursor() as cur:
                cur.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = %s and table_name = %s order by ordinal_position",
                    (schema, name),
                )
                rows = cur.fetchall()
        finally:
            pg.close()
    else:
        raise IntegrationError(
            f"{kind}:{table}", f"unknown warehouse kind '{kind}'", fix="Use 'duckdb' or 'postgres'."
        )
    if not rows:
        raise IntegrationError(
            f"{kind}:{table}", "the table does not exist", fix="Check the table name and schema."
        )
    return [ColumnInfo(str(c), str(t)) for c, t in rows]


def _decode_cursor(cursor: str | None, log: Any) -> dict[str, Any]:
    if not cursor:
        return {}
    try:
        data = json.loads(cursor)
        if data.get("version") == _CURSOR_VERSION and isinstance(data.get("schemas"), dict):
            return dict(data["schemas"])
    except (ValueError, AttributeError):
        pass
    log.warning("Resetting the schema-drift cursor: it could not be decoded.")
    return {}


def build_schema_drift_impact_sensor(
    *,
    tables: Mapping[str, str],
    database: str | Callable[[], str],
    kind: str | None = None,
    name: str | None = None,
    graph: GraphSource | None = None,
    job: dg.JobDefinition | None = None,
    minimum_interval_seconds: int | None = None,
    time_budget_seconds: float | None = None,
    is_breaking: BreakingPredicate | None = None,
    default_status: dg.DefaultSensorStatus | None = None,
) -> dg.SensorDefinition:
    """A sensor that watches source tables' schemas and runs the impact analysis on drift.

    The first tick records each table's schema in the cursor. Later ticks compare; on a difference
    the changes (drops, adds, type changes; a source table has no lineage to show a rename) are
    analysed over the graph, and the report is recorded as an ``AssetObservation`` of the table
    (metadata ``impact_report``, ``risk_level``, ``schema_changes``). With ``job`` (an impact-check
    job), a run is requested with the changes, so a breaking drift shows up as a failed run.

    Args:
        tables: asset key (``a/b``) -> warehouse table (``schema.table`` or ``table``).
        database: DuckDB file path or PostgreSQL DSN (or a callable returning it at tick time).
        kind: ``duckdb`` or ``postgres`` (default: ``postgres`` for a ``postgres...`` DSN).
        name: sensor name (default ``schema_drift_impact_sensor``).
        graph: the lineage graph (default: the code location's own).
        job: an impact-check job to launch on drift.
        minimum_interval_seconds: between ticks (default 60).
        time_budget_seconds: stop observing tables after this long in one tick (default 30).
        is_breaking: optional override of what counts as breaking.
        default_status: running or stopped by default.

    Examples:
        >>> s = build_schema_drift_impact_sensor(tables={"raw_orders": "main.raw_orders"}, database="w.duckdb")
        >>> s.name
        'schema_drift_impact_sensor'
    """
    budget = 30.0 if time_budget_seconds is None else time_budget_seconds

    @dg.sensor(
        name=name or "schema_drift_impact_sensor",
        minimum_interval_seconds=60
        if minimum_interval_seconds is None
        else minimum_interval_seconds,
        job=job,
        default_status=default_status or dg.DefaultSensorStatus.STOPPED,
        description="Observes source tables' schemas; on drift runs the impact analysis.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        db = database() if callable(database) else database
        wh = kind or (
            "postgres" if db.startswith(("postgres://", "postgresql://", "host=")) else "duckdb"
        )
        schemas = _decode_cursor(context.cursor, context.log)
        events: list[dg.AssetObservation] = []
        runs: list[dg.RunRequest] = []
        start = time.monotonic()
        g: LineageGraph | None = None
        for asset, table in sorted(tables.items()):
            if time.monotonic() - start > budget:
                context.log.info("Schema-drift time budget spent; the other tables wait a tick.")
                break
            try:
                cols = observe_table_schema(wh, db, table)
            except Exception as e:  # noqa: BLE001 - a locked or missing table must not kill the sensor
                context.log.warning(f"Could not observe the schema of {table}: {e}")
                continue
            new = [[c.name, c.data_type] for c in cols]
            old = schemas.get(asset)
            schemas[asset] = new
            if old is None or old == new:
                continue
            changes = diff_schemas([tuple(c) for c in old], cols)
            if not changes:
                continue
            try:
                if g is None:
                    g = resolve_graph(graph, context)
                key = g.resolve(asset)
                report = analyze_impact(g, key, changes, is_breaking=is_breaking, validate=False)
            except DagsterLineageError as e:
                context.log.warning(f"Impact analysis of the drift of {table} failed: {e}")
                continue
            context.log.info(
                f"Schema drift on {table}: {'; '.join(c.describe() for c in changes)}; "
                f"risk {report.risk.value}"
            )
            events.append(
                dg.AssetObservation(
                    asset_key=dg.AssetKey(list(key)),
                    metadata={
                        **report_metadata(report),
                        SCHEMA_CHANGES_KEY: dg.MetadataValue.json([c.to_dict() for c in changes]),
                    },
                )
            )
            if job is not None:
                runs.append(
                    dg.RunRequest(
                        run_key=f"drift:{key_to_str(key)}:{_fingerprint(new)}",
                        run_config=impact_run_config(key_to_str(key), changes),
                        tags={DRIFT_TAG: key_to_str(key)},
                    )
                )
        cursor = json.dumps({"version": _CURSOR_VERSION, "schemas": schemas}, sort_keys=True)
        if not events:
            return dg.SensorResult(skip_reason="no schema drift", cursor=cursor)
        return dg.SensorResult(asset_events=events, run_requests=runs, cursor=cursor)

    return _sensor


def _fingerprint(schema: list[list[Any]]) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(schema).encode()).hexdigest()[:12]
