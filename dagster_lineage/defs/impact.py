"""The impact analysis in Dagster: an ``impact_check`` op and job, a schema-change gate, a drift sensor.

- :func:`build_impact_check_job` (and the ready :data:`impact_check` op): a job configured with the
  proposed changes (launchpad or ``dagster job execute -c run_config.yaml``). It fails with a
  ``dagster.Failure`` carrying the report as Markdown metadata when anything is breaking, and
  succeeds with the report attached otherwise.
- :func:`build_schema_change_gate_checks`: blocking asset checks for dbt models (or any asset with
  lineage on its spec). When a model's compiled output schema (its spec's lineage record) differs
  from the schema recorded at its last materialization (``dagster/column_schema``), the impact
  analysis runs; a breaking result fails the check. Being blocking, a failed gate stops every
  downstream asset of the same run; run the gate job of :func:`build_schema_change_gate_job` (the
  checks alone) before materializing, or call :func:`assert_no_breaking_schema_change` first thing
  in the asset's body (before ``dbt build``), to stop the model itself.
- :func:`build_schema_drift_impact_sensor`: observes source tables' schemas (``information_schema``
  of DuckDB or PostgreSQL); on drift it runs the impact analysis, records the report as an
  ``AssetObservation`` of the table and, when given a job, launches it with the changes.

The lineage graph is the code location's own (built from ``context.repository_def``) unless a
``graph`` (a :class:`~dagster_lineage.core.graph.LineageGraph`, a ``Definitions`` or a callable
returning one of them) is passed.

Examples:
    >>> import dagster as dg
    >>> job = build_impact_check_job(name="impact_job")
    >>> job.name, [n.name for n in job.nodes]
    ('impact_job', ['impact_check'])
"""

# No ``from __future__ import annotations``: Dagster reads the op's config annotation at runtime.

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dagster as dg
from pydantic import Field

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import AssetKeyPath, AssetLineage, ColumnInfo, key_to_str
from dagster_lineage.defs.metadata import record_from_metadata
from dagster_lineage.errors import ChangeSpecError, DagsterLineageError, IntegrationError
from dagster_lineage.impact.analysis import BreakingPredicate, ImpactReport, analyze_impact
from dagster_lineage.impact.changes import SchemaChange, Severity, changes_from_data
from dagster_lineage.impact.migration import parse_migration
from dagster_lineage.impact.render import render_json, render_markdown
from dagster_lineage.impact.schema_diff import diff_schemas

GraphSource = LineageGraph | dg.Definitions | Callable[[], LineageGraph | dg.Definitions]
"""Where an op, check or sensor gets the lineage graph (default: its own code location)."""

REPORT_MD_KEY = "impact_report"
REPORT_JSON_KEY = "impact_report_json"
COLUMN_SCHEMA_KEY = "dagster/column_schema"
_CURSOR_VERSION = 1


# --- shared helpers ---------------------------------------------------------------------------


def graph_from_repository(repository_def: Any) -> LineageGraph:
    """The lineage graph of a loaded code location (``context.repository_def``).

    Examples:
        >>> import dagster as dg
        >>> defs = dg.Definitions(assets=[dg.AssetSpec("a"), dg.AssetSpec("b", deps=["a"])])
        >>> graph_from_repository(defs.get_repository_def()).downstream_keys(("a",))
        [('b',)]
    """
    records: dict[AssetKeyPath, AssetLineage] = {}
    seen: set[int] = set()
    for ad in repository_def.assets_defs_by_key.values():
        if id(ad) in seen:
            continue
        seen.add(id(ad))
        for spec in ad.specs:
            key = tuple(spec.key.path)
            deps = tuple(tuple(d.asset_key.path) for d in spec.deps)
            owners = tuple(str(o) for o in (spec.owners or ()))
            records[key] = record_from_metadata(key, spec.metadata or {}, deps=deps, owners=owners)
    return LineageGraph.from_records(records.values())


def _graph_from_job(job_def: Any) -> LineageGraph | None:
    asset_graph = getattr(getattr(job_def, "asset_layer", None), "asset_graph", None)
    nodes = getattr(asset_graph, "asset_nodes", None)
    if not nodes:
        return None
    records = []
    for node in nodes:
        key = tuple(node.key.path)
        deps = tuple(tuple(k.path) for k in node.parent_keys)
        owners = tuple(str(o) for o in (node.owners or ()))
        records.append(record_from_metadata(key, node.metadata or {}, deps=deps, owners=owners))
    return LineageGraph.from_records(records)


def _resolve_graph(source: GraphSource | None, context: Any) -> LineageGraph:
    value: Any = source() if callable(source) and not isinstance(source, LineageGraph) else source
    if isinstance(value, dg.Definitions):
        return LineageGraph.from_definitions(value)
    if isinstance(value, LineageGraph):
        return value
    if value is not None:
        raise TypeError(f"graph must be a LineageGraph or Definitions, got {type(value).__name__}")
    try:
        return graph_from_repository(context.repository_def)
    except Exception:  # noqa: BLE001 - in-process runs have no repository: use the job's assets
        pass
    graph = _graph_from_job(getattr(context, "job_def", None))
    if graph is not None:
        context.log.warning(
            "No code location (repository) in this run: the lineage graph is limited to the "
            "job's own assets. Pass graph= to analyse the whole code location."
        )
    else:
        raise IntegrationError(
            "the run's code location",
            "no lineage graph is available (in-process execution has no repository)",
            fix="Pass graph= (a LineageGraph, Definitions or a callable returning one).",
        )
    return graph


def report_metadata(report: ImpactReport) -> dict[str, Any]:
    """Run/check metadata for a report: Markdown, JSON, risk and counts.

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage
        >>> from dagster_lineage.impact.changes import TableDropped
        >>> g = LineageGraph.from_records([AssetLineage(key=("raw",))])
        >>> sorted(report_metadata(analyze_impact(g, "raw", [TableDropped()])))
        ['breaking', 'impact_report', 'impact_report_json', 'risk_level', 'warnings']
    """
    return {
        REPORT_MD_KEY: dg.MetadataValue.md(render_markdown(report)),
        REPORT_JSON_KEY: dg.MetadataValue.json(json.loads(render_json(report))),
        "risk_level": report.risk.value,
        "breaking": len(report.breaking),
        "warnings": len(report.warnings),
    }


def to_failure(err: DagsterLineageError, **metadata: Any) -> dg.Failure:
    """A ``dagster.Failure`` with our error's one-line message (no retries: the input is bad).

    Examples:
        >>> to_failure(ChangeSpecError("missing 'to'")).description
        "Invalid change spec: missing 'to'."
    """
    return dg.Failure(
        description=str(err),
        metadata={"error": type(err).__name__, **metadata},
        allow_retries=False,
    )


# --- the impact_check op and job --------------------------------------------------------------


class ImpactCheckConfig(dg.Config):
    """Run config of the ``impact_check`` op (set it in the launchpad or a run config file).

    Examples:
        >>> ImpactCheckConfig(asset="raw_orders", changes=[{"type": "table_drop"}]).fail_on
        'breaking'
    """

    asset: str = Field(description="the changed asset: a/b key or its last part")
    changes: list[dict[str, str]] = Field(
        default_factory=list,
        description='proposed changes, e.g. [{"type": "column_rename", "from": "a", "to": "b"}]',
    )
    sql: str | None = Field(
        default=None, description="migration SQL (ALTER TABLE / DROP TABLE), added to changes"
    )
    dialect: str | None = Field(default=None, description="sqlglot dialect of `sql`")
    fail_on: str = Field(
        default="breaking", description="fail the run at this severity: breaking or warning"
    )


def _config_changes(config: ImpactCheckConfig, key: AssetKeyPath) -> tuple[SchemaChange, ...]:
    changes: list[SchemaChange] = list(changes_from_data(config.changes)) if config.changes else []
    if config.sql:
        changes += parse_migration(
            config.sql, dialect=config.dialect, source="config.sql"
        ).changes_for(key)
    if not changes:
        raise ChangeSpecError(
            "the impact_check op needs 'changes' or 'sql' in its config",
            hint='changes: [{"type": "column_drop", "column": "c"}]',
        )
    return tuple(changes)


def build_impact_check_op(
    *,
    name: str | None = None,
    graph: GraphSource | None = None,
    is_breaking: BreakingPredicate | None = None,
) -> dg.OpDefinition:
    """The ``impact_check`` op: analyse the configured changes, fail on breaking.

    Args:
        name: op name (default ``impact_check``).
        graph: the lineage graph (default: the op's own code location).
        is_breaking: optional override of what counts as breaking (see ``analyze_impact``).

    Examples:
        >>> build_impact_check_op(name="check_orders").name
        'check_orders'
    """

    @dg.op(
        name=name or "impact_check",
        description="Schema-change impact analysis: fails with the report when anything breaks.",
        tags={"kind": "dagster_lineage"},
    )
    def _impact_check(context: dg.OpExecutionContext, config: ImpactCheckConfig) -> dict:
        try:
            g = _resolve_graph(graph, context)
            key = g.resolve(config.asset)
            fail_on = Severity.parse(config.fail_on)
            report = analyze_impact(g, key, _config_changes(config, key), is_breaking=is_breaking)
        except DagsterLineageError as e:
            raise to_failure(e) from None
        md = report_metadata(report)
        context.log.info(
            f"Impact of {len(report.changes)} change(s) to {key_to_str(key)}: risk "
            f"{report.risk.value}, {len(report.breaking)} breaking, {len(report.warnings)} warning"
        )
        if report.exit_code(fail_on):
            raise dg.Failure(
                description=(
                    f"Schema change to {key_to_str(key)} is {report.severity.label}: risk "
                    f"{report.risk.value.upper()}; breaks "
                    f"{', '.join(key_to_str(a.key) for a in report.breaking) or 'nothing'}"
                    + (
                        f"; warnings on {', '.join(key_to_str(a.key) for a in report.warnings)}"
                        if report.warnings
                        else ""
                    )
                ),
                metadata=md,
                allow_retries=False,
            )
        context.add_output_metadata(md)
        return report.to_dict()

    return _impact_check


impact_check = build_impact_check_op()
"""The default ``impact_check`` op (graph of its own code location)."""


def build_impact_check_job(
    *,
    name: str | None = None,
    graph: GraphSource | None = None,
    asset: str | None = None,
    changes: Sequence[SchemaChange] | None = None,
    is_breaking: BreakingPredicate | None = None,
    tags: Mapping[str, str] | None = None,
) -> dg.JobDefinition:
    """A job running :data:`impact_check`, optionally with default changes in its run config.

    Launch it from the launchpad (edit the ``ops.impact_check.config`` YAML) or with
    ``dagster job execute -m my_defs -j impact_check_job -c changes.yaml``.

    Args:
        name: job name (default ``impact_check_job``).
        graph: the lineage graph (default: the job's own code location).
        asset: default changed asset for the run config.
        changes: default changes for the run config.
        is_breaking: optional override of what counts as breaking.
        tags: job tags.

    Examples:
        >>> from dagster_lineage.impact.changes import ColumnDropped
        >>> job = build_impact_check_job(asset="raw_orders", changes=[ColumnDropped("x")])
        >>> job.name
        'impact_check_job'
    """
    op_def = build_impact_check_op(graph=graph, is_breaking=is_breaking)
    config: dg.RunConfig | None = None
    if asset is not None:
        config = dg.RunConfig(
            ops={
                "impact_check": ImpactCheckConfig(
                    asset=asset,
                    changes=[{k: str(v) for k, v in c.to_dict().items()} for c in changes or ()],
                )
            }
        )

    @dg.job(
        name=name or "impact_check_job",
        description="Analyse proposed schema changes; fails when a downstream asset breaks.",
        config=config,  # type: ignore[arg-type]
        tags=dict(tags or {}),
    )
    def _job() -> None:
        op_def()

    return _job


def impact_run_config(
    asset: str, changes: Sequence[SchemaChange], *, fail_on: str = "breaking"
) -> dict[str, Any]:
    """The run config (dict) of an impact-check job for ``changes`` to ``asset``.

    Examples:
        >>> from dagster_lineage.impact.changes import ColumnDropped
        >>> impact_run_config("raw_orders", [ColumnDropped("x")])["ops"]["impact_check"]["config"]["changes"]
        [{'type': 'column_drop', 'column': 'x'}]
    """
    return {
        "ops": {
            "impact_check": {
                "config": {
                    "asset": asset,
                    "changes": [{k: str(v) for k, v in c.to_dict().items()} for c in changes],
                    "fail_on": fail_on,
                }
            }
        }
    }


# --- the schema-change gate for dbt models (and any asset with lineage on its spec) -----------


def _last_recorded_schema(
    instance: dg.DagsterInstance, key: dg.AssetKey, exclude_run_id: str | None
) -> tuple[list[ColumnInfo] | None, str | None]:
    records = instance.fetch_materializations(key, limit=5).records
    for rec in records:
        if exclude_run_id and rec.run_id == exclude_run_id:
            continue
        mat = rec.asset_materialization
        if mat is None:
            continue
        schema = mat.metadata.get(COLUMN_SCHEMA_KEY)
        value = getattr(schema, "value", schema)
        if isinstance(value, dg.TableSchema):
            return [ColumnInfo(c.name, c.type) for c in value.columns], rec.run_id
        return None, rec.run_id
    return None, None


def _specs_of(assets: Sequence[dg.AssetsDefinition | dg.AssetSpec]) -> list[dg.AssetSpec]:
    out: list[dg.AssetSpec] = []
    for a in assets:
        if isinstance(a, dg.AssetSpec):
            out.append(a)
        else:
            out.extend(a.specs)
    return out


def schema_change_gate_result(
    *,
    graph: LineageGraph,
    key: AssetKeyPath,
    compiled: AssetLineage,
    recorded: Sequence[ColumnInfo] | None,
    check_name: str = "schema_change_gate",
    is_breaking: BreakingPredicate | None = None,
) -> dg.AssetCheckResult:
    """Evaluate the gate for one asset: compiled schema vs recorded schema, then the impact.

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage, ColumnInfo
        >>> rec = AssetLineage(key=("m",), columns=(ColumnInfo("a"),))
        >>> g = LineageGraph.from_records([rec])
        >>> schema_change_gate_result(graph=g, key=("m",), compiled=rec, recorded=None).passed
        True
    """
    asset_key = dg.AssetKey(list(key))
    if recorded is None:
        return dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=check_name,
            passed=True,
            description="no schema recorded at a previous materialization: nothing to compare",
        )
    if not compiled.columns:
        return dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=check_name,
            passed=True,
            description="the compiled output schema is unknown (no columns on the spec)",
        )
    # compiled types are inferred statically: compare type families, not precision
    changes = diff_schemas(
        list(recorded),
        list(compiled.columns),
        new_deps=compiled.column_deps,
        type_parameters=False,
    )
    if not changes:
        return dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=check_name,
            passed=True,
            description="the compiled output schema matches the last materialized schema",
        )
    report = analyze_impact(graph, key, changes, is_breaking=is_breaking, validate=False)
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=not report.has_breaking,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{len(changes)} schema change(s) since the last materialization: "
            + "; ".join(c.describe() for c in changes)
            + f". Risk {report.risk.value.upper()}, {len(report.breaking)} breaking."
        ),
        metadata={
            **report_metadata(report),
            "changes": dg.MetadataValue.json([c.to_dict() for c in changes]),
        },
    )


def build_schema_change_gate_checks(
    *,
    assets: Sequence[dg.AssetsDefinition | dg.AssetSpec],
    graph: GraphSource | None = None,
    check_name: str | None = None,
    blocking: bool | None = None,
    is_breaking: BreakingPredicate | None = None,
) -> list[dg.AssetChecksDefinition]:
    """Blocking asset checks that run the impact analysis when a model's output schema changes.

    For every asset of ``assets`` (e.g. the dbt assets definition), the check compares the
    compiled output schema (the columns of the lineage record on its spec) with the schema recorded
    at its last materialization before the current run (``dagster/column_schema``); the difference
    becomes changes (renames recognised through the new lineage), analysed over the whole graph.
    A breaking result fails the check; blocking (the default), it stops the downstream assets of
    the run. No recorded schema, or no difference: the check passes.

    Args:
        assets: assets definitions or specs to gate (e.g. ``[my_dbt_assets]``).
        graph: the lineage graph (default: the code location's own).
        check_name: check name (default ``schema_change_gate``).
        blocking: block downstream assets on failure (default ``True``).
        is_breaking: optional override of what counts as breaking.

    Examples:
        >>> import dagster as dg
        >>> checks = build_schema_change_gate_checks(assets=[dg.AssetSpec("m")])
        >>> [k.name for k in checks[0].check_keys]
        ['schema_change_gate']
    """
    name = check_name or "schema_change_gate"
    specs = _specs_of(assets)
    compiled = {
        tuple(s.key.path): record_from_metadata(
            tuple(s.key.path),
            s.metadata or {},
            deps=tuple(tuple(d.asset_key.path) for d in s.deps),
        )
        for s in specs
    }
    check_specs = [
        dg.AssetCheckSpec(
            name,
            asset=s.key,
            blocking=True if blocking is None else blocking,
            description="Blocks when the compiled output schema differs from the last "
            "materialized one in a way that breaks a downstream asset (impact analysis).",
        )
        for s in specs
    ]
    if not check_specs:
        return []

    @dg.multi_asset_check(
        specs=check_specs,
        name=f"{name}_{_safe(key_to_str(tuple(specs[0].key.path)))}",
        can_subset=True,
    )
    def _gate(context: dg.AssetCheckExecutionContext) -> Any:
        g: LineageGraph | None = None
        for check_key in sorted(context.selected_asset_check_keys, key=lambda k: k.asset_key.path):
            key = tuple(check_key.asset_key.path)
            recorded, _ = _last_recorded_schema(
                context.instance, check_key.asset_key, context.run.run_id
            )
            try:
                if g is None and recorded is not None:
                    g = _resolve_graph(graph, context)
                yield schema_change_gate_result(
                    graph=g or LineageGraph.from_records([compiled[key]]),
                    key=key,
                    compiled=g.get(key) if g is not None and key in g else compiled[key],
                    recorded=recorded,
                    check_name=name,
                    is_breaking=is_breaking,
                )
            except DagsterLineageError as e:
                yield dg.AssetCheckResult(
                    asset_key=check_key.asset_key,
                    check_name=name,
                    passed=False,
                    description=str(e),
                )

    return [_gate]


def assert_no_breaking_schema_change(
    context: dg.AssetExecutionContext,
    *,
    graph: GraphSource | None = None,
    is_breaking: BreakingPredicate | None = None,
) -> list[ImpactReport]:
    """The gate inside an asset's body, before it writes anything (e.g. before ``dbt build``).

    For every selected asset of ``context``, compares the compiled output schema (its spec's
    lineage record) with the schema recorded at its last materialization and analyses the
    difference; raises ``dagster.Failure`` with the report as Markdown metadata when anything
    breaks, so the materialization itself is blocked. Returns the reports of the changed assets.

    Examples:
        >>> callable(assert_no_breaking_schema_change)
        True
    """
    g: LineageGraph | None = None
    reports: list[ImpactReport] = []
    specs = {tuple(s.key.path): s for s in context.assets_def.specs}
    for asset_key in sorted(context.selected_asset_keys, key=lambda k: k.path):
        key = tuple(asset_key.path)
        recorded, _ = _last_recorded_schema(context.instance, asset_key, context.run.run_id)
        if recorded is None or key not in specs:
            continue
        spec = specs[key]
        compiled = record_from_metadata(key, spec.metadata or {})
        if not compiled.columns:
            continue
        changes = diff_schemas(
            recorded, list(compiled.columns), new_deps=compiled.column_deps, type_parameters=False
        )
        if not changes:
            continue
        try:
            if g is None:
                g = _resolve_graph(graph, context)
            report = analyze_impact(g, key, changes, is_breaking=is_breaking, validate=False)
        except DagsterLineageError as e:
            raise to_failure(e) from None
        reports.append(report)
        context.log.info(
            f"{key_to_str(key)}: {'; '.join(c.describe() for c in changes)}; "
            f"risk {report.risk.value}"
        )
        if report.has_breaking:
            raise dg.Failure(
                description=(
                    f"Materialization of {key_to_str(key)} blocked: its new output schema "
                    f"({'; '.join(c.describe() for c in changes)}) breaks "
                    f"{', '.join(key_to_str(a.key) for a in report.breaking)}"
                ),
                metadata=report_metadata(report),
                allow_retries=False,
            )
    return reports


def build_schema_change_gate_job(
    *, checks: Sequence[dg.AssetChecksDefinition], name: str | None = None
) -> Any:
    """A job running only the gate checks: a preflight to run before materializing the models.

    Examples:
        >>> import dagster as dg
        >>> checks = build_schema_change_gate_checks(assets=[dg.AssetSpec("m")])
        >>> build_schema_change_gate_job(checks=checks).name
        'schema_change_gate_job'
    """
    return dg.define_asset_job(
        name or "schema_change_gate_job", selection=dg.AssetSelection.checks(*checks)
    )


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text)


# --- the schema-drift sensor ------------------------------------------------------------------


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
                    g = _resolve_graph(graph, context)
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
                        "schema_changes": dg.MetadataValue.json([c.to_dict() for c in changes]),
                    },
                )
            )
            if job is not None:
                runs.append(
                    dg.RunRequest(
                        run_key=f"drift:{key_to_str(key)}:{_fingerprint(new)}",
                        run_config=impact_run_config(key_to_str(key), changes),
                        tags={"dagster_lineage/drift": key_to_str(key)},
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
