"""The schema-change gate: blocking asset checks (and an in-body guard) on output-schema changes.

When a model's compiled output schema (its spec's lineage record) differs from the schema
recorded at its last materialization (``dagster/column_schema``), the impact analysis runs; a
change the breaking-change policy blocks fails the check with ERROR (one it only warns about, with
WARN). Being blocking, an ERROR gate stops every downstream asset of the
same run; run the gate job of :func:`build_schema_change_gate_job` (the checks alone) before
materializing, or call :func:`assert_no_breaking_schema_change` first thing in the asset's body
(before ``dbt build``), to stop the model itself.

Examples:
    >>> import dagster as dg
    >>> checks = build_schema_change_gate_checks(assets=[dg.AssetSpec("m")])
    >>> build_schema_change_gate_job(checks=checks).name
    'schema_change_gate_job'
"""

# No ``from __future__ import annotations``: Dagster reads the context annotation at runtime.

from collections.abc import Sequence
from typing import Any

import dagster as dg

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import AssetKeyPath, AssetLineage, ColumnInfo, key_to_str
from dagster_lineage.defs.graph import GraphSource, record_from_spec, resolve_graph, specs_of
from dagster_lineage.defs.impact.results import report_metadata, to_failure, verdict_status
from dagster_lineage.defs.metadata import columns_from_metadata
from dagster_lineage.errors import DagsterLineageError
from dagster_lineage.impact.analysis import analyze_impact
from dagster_lineage.impact.policy import BreakingPolicy
from dagster_lineage.impact.report import BreakingPredicate, ImpactReport
from dagster_lineage.impact.schema_diff import diff_schemas


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
        columns = columns_from_metadata(mat.metadata)
        if columns is not None:
            return [ColumnInfo(c.name, c.data_type) for c in columns], rec.run_id
        return None, rec.run_id
    return None, None


def schema_change_gate_result(
    *,
    graph: LineageGraph,
    key: AssetKeyPath,
    compiled: AssetLineage,
    recorded: Sequence[ColumnInfo] | None,
    check_name: str = "schema_change_gate",
    is_breaking: BreakingPredicate | None = None,
    on_breaking: BreakingPolicy | str | None = None,
) -> dg.AssetCheckResult:
    """Evaluate the gate for one asset: compiled schema vs recorded schema, then the impact.

    The check fails with ``ERROR`` when the breaking-change policy blocks (blocking the
    downstream assets of the run), with ``WARN`` when it only warns or nothing breaks but something
    is affected; :func:`assert_no_breaking_schema_change` decides by the same rule
    (:func:`~dagster_lineage.defs.impact.results.verdict_status`).

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
    report = analyze_impact(
        graph, key, changes, is_breaking=is_breaking, validate=False, on_breaking=on_breaking
    )
    passed, severity, verdict = verdict_status(report)
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=passed,
        severity=severity,
        description=(
            f"{verdict}. Changes since the last materialization: "
            + "; ".join(c.describe() for c in changes)
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
    on_breaking: BreakingPolicy | str | None = None,
) -> list[dg.AssetChecksDefinition]:
    """Blocking asset checks that run the impact analysis when a model's output schema changes.

    For every asset of ``assets`` (e.g. the dbt assets definition), the check compares the
    compiled output schema (the columns of the lineage record on its spec) with the schema recorded
    at its last materialization before the current run (``dagster/column_schema``); the difference
    becomes changes (renames recognised through the new lineage), analysed over the whole graph.
    A breaking result the policy blocks fails the check with ``ERROR``; blocking (the default), it
    stops the downstream assets of the run. A breaking result the policy lets through, or
    warnings only, fail it with ``WARN`` (nothing is stopped). No recorded schema, or no
    difference: the check passes.

    Args:
        assets: assets definitions or specs to gate (e.g. ``[my_dbt_assets]``).
        graph: the lineage graph (default: the code location's own).
        check_name: check name (default ``schema_change_gate``).
        blocking: block downstream assets on failure (default ``True``).
        is_breaking: optional override of what counts as breaking.
        on_breaking: the default breaking-change policy (``block`` or ``warn``), below the
            assets' own ``on_breaking`` tags.

    Examples:
        >>> import dagster as dg
        >>> checks = build_schema_change_gate_checks(assets=[dg.AssetSpec("m")])
        >>> [k.name for k in checks[0].check_keys]
        ['schema_change_gate']
    """
    name = check_name or "schema_change_gate"
    specs = specs_of(assets)
    compiled = {r.key: r for r in map(record_from_spec, specs)}
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
                    g = resolve_graph(graph, context)
                yield schema_change_gate_result(
                    graph=g or LineageGraph.from_records([compiled[key]]),
                    key=key,
                    compiled=g.get(key) if g is not None and key in g else compiled[key],
                    recorded=recorded,
                    check_name=name,
                    is_breaking=is_breaking,
                    on_breaking=on_breaking,
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
    on_breaking: BreakingPolicy | str | None = None,
) -> list[ImpactReport]:
    """The gate inside an asset's body, before it writes anything (e.g. before ``dbt build``).

    For every selected asset of ``context``, compares the compiled output schema (its spec's
    lineage record) with the schema recorded at its last materialization and analyses the
    difference. When the breaking-change policy blocks (the same rule as the gate checks:
    :func:`~dagster_lineage.defs.impact.results.verdict_status`), raises ``dagster.Failure`` with
    the one-line verdict and the report as Markdown metadata, so the materialization itself is
    blocked; when it warns, logs the verdict as a warning and goes on. Returns the reports of the
    changed assets.

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
        compiled = record_from_spec(spec)
        if not compiled.columns:
            continue
        changes = diff_schemas(
            recorded, list(compiled.columns), new_deps=compiled.column_deps, type_parameters=False
        )
        if not changes:
            continue
        try:
            if g is None:
                g = resolve_graph(graph, context)
            report = analyze_impact(
                g, key, changes, is_breaking=is_breaking, validate=False, on_breaking=on_breaking
            )
        except DagsterLineageError as e:
            raise to_failure(e) from None
        reports.append(report)
        passed, severity, verdict = verdict_status(report)
        if passed:
            context.log.info(verdict)
        elif severity == dg.AssetCheckSeverity.ERROR:
            raise dg.Failure(
                description=(
                    f"Materialization of {key_to_str(key)} blocked: its new output schema "
                    f"({'; '.join(c.describe() for c in changes)}). {verdict}"
                ),
                metadata=report_metadata(report),
                allow_retries=False,
            )
        else:
            context.log.warning(verdict)
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
