"""Schema drift: checks on the schemas materializations recorded, a sensor on source tables.

- :func:`build_schema_drift_checks`: Dagster's own ``build_column_schema_change_checks`` verdict
  per asset (columns added, removed, retyped between its last two materializations), with the
  typed difference and the downstream impact report added, and optionally blocking.
- :func:`build_schema_drift_impact_sensor`: observes source tables' schemas (``information_schema``
  of DuckDB or PostgreSQL); on drift it runs the impact analysis, records the report as an
  ``AssetObservation`` of the table and, when given a job, launches it with the changes.

Examples:
    >>> [c.check_key.name for c in build_schema_drift_checks(assets=["fct_orders"])]
    ['schema_drift']
    >>> build_schema_drift_impact_sensor(tables={"raw": "main.raw"}, database="w.duckdb").name
    'schema_drift_impact_sensor'
"""

# No ``from __future__ import annotations``: Dagster reads the context annotation at runtime.

import json
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import dagster as dg

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import AssetKeyPath, ColumnInfo, key_from_str, key_to_str
from dagster_lineage.defs.cursor import CursorCodec
from dagster_lineage.defs.graph import GraphSource, resolve_graph
from dagster_lineage.defs.impact.job import impact_run_config
from dagster_lineage.defs.impact.results import impact_run_tags, report_metadata
from dagster_lineage.defs.metadata_keys import DRIFT_TAG, REPORT_MD_KEY, SCHEMA_CHANGES_KEY
from dagster_lineage.defs.recording import recorded_schema, storage_guard
from dagster_lineage.errors import DagsterLineageError, IntegrationError, import_extra
from dagster_lineage.impact.analysis import analyze_impact
from dagster_lineage.impact.report import BreakingPredicate
from dagster_lineage.impact.schema_diff import diff_schemas
from dagster_lineage.state.compare import SchemaDiff, schema_diff

CURSOR = CursorCodec("schema-drift sensor", fields={"schemas": dict})
"""The cursor: per watched asset, the table schema last observed (``[[name, type], ...]``)."""


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
        duckdb = import_extra("duckdb", extra="duckdb", feature="Observing a DuckDB table's schema")

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
    job), a run is requested with the changes and the ``dagster-lineage/asset``,
    ``dagster-lineage/risk`` and ``dagster-lineage/verdict`` tags; its verdict is an asset check
    (ERROR when the breaking-change policy blocks).

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
        schemas = dict(CURSOR.decode(context.cursor, context.log)["schemas"])
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
                        tags={DRIFT_TAG: key_to_str(key), **impact_run_tags(report)},
                    )
                )
        cursor = CURSOR.encode({"schemas": schemas})
        if not events:
            return dg.SensorResult(skip_reason="no schema drift", cursor=cursor)
        return dg.SensorResult(asset_events=events, run_requests=runs, cursor=cursor)

    return _sensor


def _fingerprint(schema: list[list[Any]]) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(schema).encode()).hexdigest()[:12]


# --- checks on the recorded schemas ---------------------------------------------------------


def _schema_of(record: Any) -> dict[str, str | None] | None:
    mat = record.asset_materialization
    return None if mat is None else recorded_schema(mat.metadata)


def schema_drift_between_last_two(
    instance: dg.DagsterInstance, key: AssetKeyPath
) -> tuple[SchemaDiff, str | None] | None:
    """The schema difference between an asset's last two materializations that recorded a schema.

    Returns ``(diff, previous_run_id)``, or ``None`` when fewer than two schemas are on record.

    Examples:
        >>> import dagster as dg
        >>> schema_drift_between_last_two(dg.DagsterInstance.ephemeral(), ("a",)) is None
        True
    """
    found = _last_two_schemas(instance, key)
    if found is None:
        return None
    old, new, prev_run = found
    return schema_diff(old, new), prev_run


def _last_two_schemas(
    instance: dg.DagsterInstance, key: AssetKeyPath
) -> tuple[dict[str, str | None], dict[str, str | None], str | None] | None:
    with storage_guard(instance, f"reading materializations of {key_to_str(key)}"):
        result = instance.fetch_materializations(dg.AssetKey(list(key)), limit=10)
    schemas = [(r.run_id, s) for r in result.records if (s := _schema_of(r)) is not None]
    if len(schemas) < 2:
        return None
    (_, new), (prev_run, old) = schemas[0], schemas[1]
    return old, new, prev_run


def build_schema_drift_checks(
    *,
    assets: Iterable[str | AssetKeyPath | dg.AssetKey],
    blocking: bool | None = None,
    severity: dg.AssetCheckSeverity | None = None,
    name: str | None = None,
) -> list[dg.AssetChecksDefinition]:
    """Dagster's ``build_column_schema_change_checks`` per asset, plus our impact report.

    The verdict is Dagster's own ``column_schema_change`` check (columns added, removed or retyped
    between the asset's last two materializations' ``dagster/column_schema``), evaluated inside
    this check. On a change, the result adds what dagster-lineage knows: the typed difference
    (``added``, ``removed``, ``retyped``, ``previous_run_id``; types normalised, so ``DECIMAL(10,2)``
    and ``decimal(10,2)`` are the same type) and the impact analysis of that change on the
    downstream assets (``impact_report`` Markdown, ``risk_level``, ``breaking``, ``warnings``).
    Unlike Dagster's factory, the check can be ``blocking``. Where Dagster cannot compare (a
    materialization without a column schema) the check passes and its description says so.

    Args:
        assets: asset keys (``a/b`` strings, key paths or ``AssetKey``).
        blocking: block downstream assets when the check fails (default False).
        severity: severity on drift (default ``WARN``).
        name: the check name (default ``schema_drift``).

    Examples:
        >>> [c.check_key.asset_key.path for c in build_schema_drift_checks(assets=["a", ("b", "c")])]
        [['a'], ['b', 'c']]
    """
    sev = severity or dg.AssetCheckSeverity.WARN
    check_name = name or "schema_drift"
    out = []
    for asset in assets:
        if isinstance(asset, dg.AssetKey):
            key = tuple(asset.path)
        elif isinstance(asset, str):
            key = key_from_str(asset)
        else:
            key = tuple(asset)
        out.append(_drift_check(key, check_name, bool(blocking), sev))
    return out


def _dagster_verdict(
    checks: Sequence[dg.AssetChecksDefinition], instance: dg.DagsterInstance
) -> dg.AssetCheckResult:
    """Run Dagster's ``column_schema_change`` check (direct invocation) against ``instance``."""
    context = dg.build_asset_check_context(instance=instance)
    results = []
    for check in checks:
        produced: Any = check(context)
        results += [r for r in produced or () if isinstance(r, dg.AssetCheckResult)]
    if len(results) != 1:  # pragma: no cover - Dagster's factory returns one check per asset
        raise dg.DagsterInvariantViolationError(
            f"expected one column_schema_change result, got {len(results)}"
        )
    return results[0]


def _impact_metadata(
    context: dg.AssetCheckExecutionContext,
    key: AssetKeyPath,
    old: dict[str, str | None],
    new: dict[str, str | None],
) -> dict[str, Any]:
    """The impact report of the schema change on the downstream assets (empty when unknown)."""
    changes = diff_schemas(list(old.items()), list(new.items()))
    if not changes:
        return {}
    try:
        graph = resolve_graph(None, context)  # the code location's graph, else the job's
    except IntegrationError as e:  # in-process runs may have no code location: say so
        return {REPORT_MD_KEY: f"not analysed: no lineage graph in this run ({e})"}
    if key not in graph:
        return {REPORT_MD_KEY: f"not analysed: {key_to_str(key)} is not in the lineage graph"}
    return report_metadata(analyze_impact(graph, key, changes))


def _drift_check(
    key: AssetKeyPath, check_name: str, blocking: bool, severity: dg.AssetCheckSeverity
) -> dg.AssetChecksDefinition:
    with warnings.catch_warnings():  # Dagster marks the factory beta; its result is pinned by tests
        warnings.simplefilter("ignore", dg.BetaWarning)
        dagster_checks = dg.build_column_schema_change_checks(
            assets=[dg.AssetKey(list(key))], severity=severity
        )

    @dg.asset_check(
        asset=dg.AssetKey(list(key)),
        name=check_name,
        blocking=blocking,
        description="Dagster's column_schema_change check (columns added, removed or retyped "
        "since the previous materialization) with dagster-lineage's impact report.",
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        verdict = _dagster_verdict(dagster_checks, context.instance)
        base_md: dict[str, Any] = {"dagster_check": "column_schema_change"}
        if verdict.passed:
            return dg.AssetCheckResult(
                passed=True, description=verdict.description, metadata=base_md
            )
        found = _last_two_schemas(context.instance, key)
        if found is None:  # Dagster could not compare: a materialization records no schema
            return dg.AssetCheckResult(
                passed=True,
                description=f"not compared: {verdict.description}",
                metadata=base_md,
            )
        old, new, prev_run = found
        diff = schema_diff(old, new)
        if not diff:  # only the spelling of types differs (normalised, they are equal)
            return dg.AssetCheckResult(
                passed=True,
                description="no schema change once types are normalised; Dagster's "
                f"column_schema_change reports: {verdict.description}",
                metadata=base_md,
            )
        context.log.warning(
            f"dagster-lineage: schema drift on {key_to_str(key)} since run {prev_run}: "
            f"{diff.describe()}"
        )
        md: dict[str, Any] = {
            **base_md,
            "added": dg.MetadataValue.json(list(diff.added)),
            "removed": dg.MetadataValue.json(list(diff.removed)),
            "retyped": dg.MetadataValue.json(diff.to_dict()["retyped"]),
            "previous_run_id": prev_run or "",
            "dagster_description": verdict.description or "",
        }
        try:
            md.update(_impact_metadata(context, key, old, new))
        except Exception as e:  # noqa: BLE001 - the report is enrichment: the verdict stands
            md[REPORT_MD_KEY] = f"not analysed: {type(e).__name__}: {e}"
        return dg.AssetCheckResult(
            passed=False, severity=severity, description=diff.describe(), metadata=md
        )

    return _check
