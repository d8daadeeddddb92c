"""Sensors and checks over the recorded checksums.

- :func:`build_code_change_sensor`: requests a run of the assets whose code changed since their last
  successful materialization and everything downstream of them. A versioned JSON cursor remembers
  which code checksum was already requested, so a failed or slow run is not requested again in a
  loop; every request is logged with the reason.
- :func:`build_schema_drift_checks`: Dagster's own ``build_column_schema_change_checks`` verdict
  per asset (columns added, removed, retyped between its last two materializations), with the
  typed difference and the downstream impact report added, and optionally blocking.

Examples:
    >>> from dagster_lineage.defs.sensors import build_code_change_sensor, build_schema_drift_checks
    >>> build_code_change_sensor().name
    'dagster_lineage_code_change_sensor'
    >>> [c.check_key.name for c in build_schema_drift_checks(assets=["fct_orders"])]
    ['schema_drift']
"""

import json
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from dagster_lineage.core.hashing import stable_hash
from dagster_lineage.core.model import AssetKeyPath, key_from_str, key_to_str
from dagster_lineage.defs.changed_assets import (
    LineageSnapshot,
    _last_success,
    _RunCache,
    select_keys,
)
from dagster_lineage.defs.metadata_keys import REASON_TAG
from dagster_lineage.defs.recording import recorded_schema, storage_guard
from dagster_lineage.state.compare import (
    AssetChange,
    ChangeReason,
    SchemaDiff,
    schema_diff,
)

CURSOR_VERSION = 1

ChangeFilter = Callable[[AssetChange], bool]
"""User hook: return False to leave a changed asset out of the run request."""


@dataclass(frozen=True)
class CodeChangeCursor:
    """The code-change sensor's state.

    The code checksums already requested, and where a partial scan stopped (the scan is bounded by
    a time budget and resumes on the next tick).

    Examples:
        >>> c = CodeChangeCursor(requested={"a": "c1"})
        >>> CodeChangeCursor.decode(c.encode()) == c
        True
    """

    requested: dict[str, str] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)
    scanned: tuple[str, ...] = ()

    def encode(self) -> str:
        """JSON text with a version number."""
        return json.dumps(
            {
                "version": CURSOR_VERSION,
                "requested": dict(sorted(self.requested.items())),
                "pending": dict(sorted(self.pending.items())),
                "scanned": sorted(self.scanned),
            },
            sort_keys=True,
        )

    @classmethod
    def decode(cls, text: str | None) -> "CodeChangeCursor":
        """Parse a cursor; raises ``ValueError`` when it is not one of ours (the caller resets it)."""
        if not text:
            return cls()
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("version") != CURSOR_VERSION:
            raise ValueError(f"unsupported cursor version {data.get('version')!r}")
        return cls(
            requested={str(k): str(v) for k, v in dict(data.get("requested", {})).items()},
            pending={str(k): str(v) for k, v in dict(data.get("pending", {})).items()},
            scanned=tuple(str(k) for k in data.get("scanned", [])),
        )


def _snapshot_from_context(context: dg.SensorEvaluationContext) -> LineageSnapshot:
    repo = context.repository_def
    if repo is None:  # pragma: no cover - sensors always run inside a repository
        raise dg.DagsterInvariantViolationError("the code-change sensor needs a repository")
    unique = {id(ad): ad for ad in repo.assets_defs_by_key.values()}
    return LineageSnapshot.from_assets_defs(unique.values())


def build_code_change_sensor(
    *,
    name: str | None = None,
    select: Sequence[str] | str | None = None,
    include_never_materialized: bool | None = None,
    change_filter: ChangeFilter | None = None,
    minimum_interval_seconds: int | None = None,
    time_budget_seconds: float | None = None,
    default_status: dg.DefaultSensorStatus | None = None,
) -> dg.SensorDefinition:
    """A sensor that materializes changed assets and everything downstream of them.

    On each tick it compares every (selected) asset's current code checksum with the one recorded at
    its last successful materialization. For the assets whose code changed, and whose new checksum
    was not requested before, it requests one run of them plus all their materializable downstream
    assets, and logs why.

    Args:
        name: sensor name (default ``dagster_lineage_code_change_sensor``).
        select: restrict to these assets (see :func:`~dagster_lineage.defs.changed_assets.select_keys`).
        include_never_materialized: also request assets never materialized (default False, so a
            first deployment does not rebuild everything).
        change_filter: user hook ``(AssetChange) -> bool``; False leaves the asset out. Runs inside
            an error boundary: if it raises, the error is logged and the asset is kept.
        minimum_interval_seconds: time between ticks (default 60).
        time_budget_seconds: at most this long per tick reading the instance (default 20); the scan
            resumes where it stopped on the next tick.
        default_status: ``DefaultSensorStatus.RUNNING`` to start it on deployment (default stopped).

    Examples:
        >>> import dagster as dg
        >>> s = build_code_change_sensor(name="code_changes", minimum_interval_seconds=30)
        >>> s.name, s.minimum_interval_seconds
        ('code_changes', 30)
    """
    budget = 20.0 if time_budget_seconds is None else float(time_budget_seconds)
    with_new = bool(include_never_materialized)

    @dg.sensor(
        name=name or "dagster_lineage_code_change_sensor",
        minimum_interval_seconds=60
        if minimum_interval_seconds is None
        else minimum_interval_seconds,
        default_status=default_status or dg.DefaultSensorStatus.STOPPED,
        target=dg.AssetSelection.all(),
        description="Requests a run of the assets whose code checksum changed since their last "
        "successful materialization, and of everything downstream of them (dagster-lineage).",
    )
    def _code_change_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        try:
            cursor = CodeChangeCursor.decode(context.cursor)
        except (ValueError, TypeError, AttributeError) as e:
            context.log.warning(
                f"dagster-lineage: resetting the code-change sensor cursor (could not decode "
                f"{(context.cursor or '')[:80]!r}: {e})"
            )
            cursor = CodeChangeCursor()
        snap = _snapshot_from_context(context)
        graph = snap.graph
        keys = [
            k
            for k in select_keys(graph, select)
            if k in snap.materializable and graph.get(k).code_checksum is not None
        ]
        start = time.monotonic()
        runs = _RunCache(context.instance)
        pending = dict(cursor.pending)
        scanned = set(cursor.scanned)
        finished = True
        for key in keys:
            ks = key_to_str(key)
            if ks in scanned:
                continue
            if time.monotonic() - start > budget:
                finished = False
                break
            current = graph.get(key).code_checksum or ""
            last = _last_success(context.instance, key, runs, 200)
            scanned.add(ks)
            if last is None and not with_new:
                continue
            if last is not None and last.code == current:
                continue
            if cursor.requested.get(ks) == current:
                continue
            pending[ks] = current
        if not finished:
            context.log.info(
                f"dagster-lineage: scanned {len(scanned)}/{len(keys)} assets within the "
                f"{budget:.0f}s budget; resuming on the next tick"
            )
            return dg.SensorResult(
                skip_reason=dg.SkipReason("scan in progress"),
                cursor=CodeChangeCursor(cursor.requested, pending, tuple(scanned)).encode(),
            )
        # Full scan done: decide on the pending changes.
        changed: list[AssetKeyPath] = []
        for ks, code in sorted(pending.items()):
            key = key_from_str(ks)
            if key not in graph or graph.get(key).code_checksum != code:
                continue  # the code moved on since; the next scan sees it again
            change = AssetChange(key=key, reasons=(ChangeReason.CODE,), current_code=code)
            keep = True
            if change_filter is not None:
                try:
                    keep = bool(change_filter(change))
                except Exception as e:  # user hook: log and keep the asset
                    context.log.error(
                        f"dagster-lineage: change_filter raised for {ks}: {type(e).__name__}: {e};"
                        " keeping the asset"
                    )
            if keep:
                changed.append(key)
        requested = dict(cursor.requested)
        new_cursor = CodeChangeCursor(requested)
        if not changed:
            return dg.SensorResult(
                skip_reason=dg.SkipReason("no code change since the last successful runs"),
                cursor=new_cursor.encode(),
            )
        downstream: set[AssetKeyPath] = set()
        for key in changed:
            downstream.update(graph.downstream_keys(key))
        downstream -= set(changed)
        downstream &= snap.materializable
        for key in changed:
            requested[key_to_str(key)] = graph.get(key).code_checksum or ""
        selection = sorted(set(changed) | downstream)
        context.log.info(
            "dagster-lineage: code changed since the last successful materialization of "
            + ", ".join(
                f"{key_to_str(k)} (code checksum now {(graph.get(k).code_checksum or '')[:12]})"
                for k in changed
            )
            + "; requesting a run of them"
            + (
                " and of their downstream assets "
                + ", ".join(key_to_str(k) for k in sorted(downstream))
                if downstream
                else ""
            )
        )
        run_key = (
            "dagster_lineage_code_change_"
            + stable_hash({key_to_str(k): requested[key_to_str(k)] for k in changed})[:16]
        )
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=run_key,
                    asset_selection=[dg.AssetKey(list(k)) for k in selection],
                    tags={REASON_TAG: "code_changed"},
                )
            ],
            cursor=CodeChangeCursor(requested).encode(),
        )

    return _code_change_sensor


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
    from dagster_lineage.defs.impact import report_metadata, resolve_graph
    from dagster_lineage.impact.analysis import analyze_impact
    from dagster_lineage.impact.schema_diff import diff_schemas

    changes = diff_schemas(list(old.items()), list(new.items()))
    if not changes:
        return {}
    try:
        graph = resolve_graph(None, context)  # the code location's graph, else the job's
    except Exception as e:  # in-process runs may have no code location: say so, keep the check
        return {"impact_report": f"not analysed: no lineage graph in this run ({e})"}
    if key not in graph:
        return {"impact_report": f"not analysed: {key_to_str(key)} is not in the lineage graph"}
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
        except Exception as e:  # the report is enrichment: the verdict stands without it
            md["impact_report"] = f"not analysed: {type(e).__name__}: {e}"
        return dg.AssetCheckResult(
            passed=False, severity=severity, description=diff.describe(), metadata=md
        )

    return _check
