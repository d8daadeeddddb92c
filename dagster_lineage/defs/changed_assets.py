"""Which assets changed since their last successful materialization, read from a Dagster instance.

Reads only public ``DagsterInstance`` APIs, so it works the same on the default SQLite storage and on
PostgreSQL (dagster-postgres). A materialization counts as *successful* when its run finished with
status ``SUCCESS``. The latest materialization of every asset comes from one batched
``get_asset_records`` query and their runs from one ``get_run_records(RunsFilter(run_ids=...))``
query (per chunk of keys); only an asset whose latest materialization is not from a successful run
is searched further back, one ``fetch_materializations`` page at a time.

Examples:
    >>> import dagster as dg
    >>> from dagster_lineage.core.model import AssetLineage
    >>> from dagster_lineage.defs.changed_assets import changed_assets
    >>> from dagster_lineage.defs.metadata import lineage_metadata
    >>> spec = dg.AssetSpec("a", metadata=lineage_metadata(AssetLineage(key=("a",), code_checksum="c1")))
    >>> @dg.multi_asset(specs=[spec])
    ... def a():
    ...     return dg.MaterializeResult(metadata={"dagster_lineage/code_checksum": "c1"})
    >>> defs = dg.Definitions(assets=[a])
    >>> instance = dg.DagsterInstance.ephemeral()
    >>> [c.reasons[0].value for c in changed_assets(defs, instance)]
    ['never_materialized']
    >>> _ = dg.materialize([a], instance=instance)
    >>> changed_assets(defs, instance)
    []
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import AssetKeyPath, key_to_str
from dagster_lineage.defs.graph import records_from_definitions, records_from_specs
from dagster_lineage.defs.metadata_keys import CODE_PARTS_KEY
from dagster_lineage.defs.recording import state_from_metadata, storage_guard
from dagster_lineage.state.checksums import explain_code_parts, unpack_code_parts
from dagster_lineage.state.compare import (
    AssetChange,
    ChangeReason,
    ChangeReport,
    MaterializationState,
    compare_report,
    schema_diff,
)

_PAGE = 20
_CHUNK = 500  # keys / run ids per batched query (stays under SQLite's bound-parameter limit)


@dataclass(frozen=True)
class LineageSnapshot:
    """The current lineage graph of a code location and which of its assets can be materialized.

    Examples:
        >>> import dagster as dg
        >>> snap = LineageSnapshot.from_definitions(dg.Definitions(assets=[dg.AssetSpec("x")]))
        >>> snap.materializable
        frozenset()
    """

    graph: LineageGraph
    materializable: frozenset[AssetKeyPath] = field(default_factory=frozenset)

    @classmethod
    def from_definitions(cls, defs: dg.Definitions) -> LineageSnapshot:
        """Build from a ``Definitions`` object."""
        asset_graph = defs.resolve_asset_graph()
        mat = frozenset(
            tuple(k.path)
            for k in asset_graph.get_all_asset_keys()
            if asset_graph.get(k).is_materializable
        )
        return cls(LineageGraph.from_records(records_from_definitions(defs)), mat)

    @classmethod
    def from_assets_defs(cls, assets_defs: Iterable[dg.AssetsDefinition]) -> LineageSnapshot:
        """Build from assets definitions (e.g. a sensor's ``context.repository_def``)."""
        assets_defs = list(assets_defs)
        mat = frozenset(
            tuple(spec.key.path) for ad in assets_defs if ad.is_materializable for spec in ad.specs
        )
        return cls(LineageGraph.from_records(records_from_specs(assets_defs)), mat)


def _snapshot(source: dg.Definitions | LineageSnapshot | LineageGraph) -> LineageSnapshot:
    if isinstance(source, LineageSnapshot):
        return source
    if isinstance(source, LineageGraph):
        return LineageSnapshot(
            source, frozenset(k for k in source.keys if source.get(k).code_checksum is not None)
        )
    return LineageSnapshot.from_definitions(source)


class _RunCache:
    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance = instance
        self._records: dict[str, dg.RunRecord | None] = {}

    def prefetch(self, run_ids: Iterable[str]) -> None:
        """Read the run records of ``run_ids`` not read yet, one query per chunk."""
        todo = sorted({r for r in run_ids if r not in self._records})
        for i in range(0, len(todo), _CHUNK):
            chunk = todo[i : i + _CHUNK]
            with storage_guard(self.instance, f"reading {len(chunk)} run records"):
                found = self.instance.get_run_records(
                    filters=dg.RunsFilter(run_ids=chunk), limit=len(chunk)
                )
            for rec in found:
                self._records[rec.dagster_run.run_id] = rec
            for run_id in chunk:
                self._records.setdefault(run_id, None)  # deleted run: not a success

    def get(self, run_id: str) -> dg.RunRecord | None:
        if run_id not in self._records:
            with storage_guard(self.instance, f"reading run {run_id}"):
                self._records[run_id] = self.instance.get_run_record_by_id(run_id)
        return self._records[run_id]

    def succeeded(self, run_id: str) -> bool:
        rec = self.get(run_id)
        return rec is not None and rec.dagster_run.status == dg.DagsterRunStatus.SUCCESS

    def end_time(self, run_id: str) -> float | None:
        rec = self.get(run_id)
        return rec.end_time if rec is not None else None


def _state(key: AssetKeyPath, rec: dg.EventLogRecord, runs: _RunCache) -> MaterializationState:
    mat = rec.asset_materialization
    return state_from_metadata(
        key,
        mat.metadata if mat is not None else {},
        run_id=rec.run_id,
        timestamp=rec.timestamp,
        storage_id=rec.storage_id,
        run_end_time=runs.end_time(rec.run_id),
    )


def _latest_records(
    instance: dg.DagsterInstance, keys: Sequence[AssetKeyPath]
) -> dict[AssetKeyPath, dg.EventLogRecord]:
    """Each asset's latest materialization record (absent: never materialized), batched."""
    latest: dict[AssetKeyPath, dg.EventLogRecord] = {}
    for i in range(0, len(keys), _CHUNK):
        chunk = [dg.AssetKey(list(k)) for k in keys[i : i + _CHUNK]]
        with storage_guard(instance, f"reading the asset records of {len(chunk)} assets"):
            records = instance.get_asset_records(chunk)
        for rec in records:
            entry = rec.asset_entry
            if entry.last_materialization_record is not None:
                latest[tuple(entry.asset_key.path)] = entry.last_materialization_record
    return latest


def _last_success_many(
    instance: dg.DagsterInstance,
    keys: Iterable[AssetKeyPath],
    runs: _RunCache,
    scan_limit: int,
) -> dict[AssetKeyPath, MaterializationState | None]:
    keys = list(dict.fromkeys(keys))
    latest = _latest_records(instance, keys)
    runs.prefetch(rec.run_id for rec in latest.values())
    out: dict[AssetKeyPath, MaterializationState | None] = {}
    for k in keys:
        rec = latest.get(k)
        if rec is None:
            out[k] = None
        elif runs.succeeded(rec.run_id):
            out[k] = _state(k, rec, runs)
        else:  # latest from a failed / running / deleted run: search further back
            out[k] = _last_success(instance, k, runs, scan_limit)
    return out


def _last_success(
    instance: dg.DagsterInstance, key: AssetKeyPath, runs: _RunCache, scan_limit: int
) -> MaterializationState | None:
    cursor: str | None = None
    scanned = 0
    asset_key = dg.AssetKey(list(key))
    while scanned < scan_limit:
        with storage_guard(instance, f"reading materializations of {key_to_str(key)}"):
            result = instance.fetch_materializations(
                asset_key, limit=min(_PAGE, scan_limit - scanned), cursor=cursor
            )
        for rec in result.records:
            scanned += 1
            if not runs.succeeded(rec.run_id):
                continue
            return _state(key, rec, runs)
        if not result.has_more or not result.records:
            return None
        cursor = result.cursor
    return None


def last_successful_materializations(
    instance: dg.DagsterInstance,
    keys: Iterable[AssetKeyPath],
    *,
    scan_limit: int = 200,
) -> dict[AssetKeyPath, MaterializationState | None]:
    """Each asset's last materialization from a run that succeeded (``None`` when there is none).

    Args:
        instance: the Dagster instance (``dg.DagsterInstance.get()`` reads DAGSTER_HOME).
        keys: asset key paths.
        scan_limit: how many recent materializations per asset to look through at most.

    Raises:
        StorageUnavailableError: the instance storage cannot be reached.

    Examples:
        >>> import dagster as dg
        >>> last_successful_materializations(dg.DagsterInstance.ephemeral(), [("a",)])
        {('a',): None}
    """
    return _last_success_many(instance, keys, _RunCache(instance), scan_limit)


def _matches(key: AssetKeyPath, pattern: str) -> bool:
    text = key_to_str(key)
    return (
        fnmatch.fnmatchcase(text, pattern)
        or fnmatch.fnmatchcase(key[-1], pattern)
        or fnmatch.fnmatchcase(".".join(key), pattern)
    )


def select_keys(graph: LineageGraph, select: Sequence[str] | str | None) -> list[AssetKeyPath]:
    """Resolve a selection of assets.

    Names or ``a/b`` keys (globs allowed); ``+name`` adds its upstream, ``name+`` its downstream;
    comma- or space-separated. ``None`` or empty selects everything.

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage
        >>> g = LineageGraph.from_records([AssetLineage(key=("a",)), AssetLineage(key=("b",), upstream=(("a",),))])
        >>> select_keys(g, "a+")
        [('a',), ('b',)]
        >>> select_keys(g, ["b"])
        [('b',)]
    """
    if not select:
        return graph.keys
    items = [select] if isinstance(select, str) else list(select)
    tokens = [t for item in items for t in item.replace(",", " ").split() if t]
    out: set[AssetKeyPath] = set()
    for token in tokens:
        up, down = token.startswith("+"), token.endswith("+")
        name = token.strip("+")
        if any(ch in name for ch in "*?["):
            hits = [k for k in graph.keys if _matches(k, name)]
            if not hits:
                graph.resolve(name)  # raises UnknownAssetError with suggestions
        else:
            hits = [graph.resolve(name)]
        for k in hits:
            out.add(k)
            if up:
                out.update(graph.upstream_keys(k))
            if down:
                out.update(graph.downstream_keys(k))
    return sorted(out)


def changed_report(
    source: dg.Definitions | LineageSnapshot | LineageGraph,
    instance: dg.DagsterInstance,
    *,
    select: Sequence[str] | str | None = None,
    scan_limit: int = 200,
) -> ChangeReport:
    """:func:`changed_assets` with the one-line notices (e.g. *fingerprint scheme changed*).

    Examples:
        >>> import dagster as dg
        >>> changed_report(dg.Definitions(), dg.DagsterInstance.ephemeral()).notices
        ()
    """
    snap = _snapshot(source)
    last = last_successful_materializations(instance, snap.graph.keys, scan_limit=scan_limit)
    report = compare_report(snap.graph, last, materializable=snap.materializable)
    if select:
        wanted = set(select_keys(snap.graph, select))
        report = ChangeReport(
            tuple(c for c in report.changes if c.key in wanted), report.scheme_change
        )
    return report


def _spec_code_parts(source: dg.Definitions | LineageSnapshot | LineageGraph) -> dict[Any, Any]:
    if not isinstance(source, dg.Definitions):
        return {}
    out = {}
    for spec in source.resolve_all_asset_specs():
        value = (spec.metadata or {}).get(CODE_PARTS_KEY)
        raw = value.value if isinstance(value, dg.MetadataValue) else value
        if isinstance(raw, str):
            out[tuple(spec.key.path)] = raw
    return out


def _row_count_with_data(
    instance: dg.DagsterInstance, key: AssetKeyPath, data: str | None, runs: _RunCache
) -> int | None:
    """The row count of the latest materialization of ``key`` whose data checksum is ``data``."""
    if data is None:
        return None
    with storage_guard(instance, f"reading materializations of {key_to_str(key)}"):
        result = instance.fetch_materializations(dg.AssetKey(list(key)), limit=50)
    for rec in result.records:
        state = _state(key, rec, runs)
        if state.data == data:
            return state.row_count
    return None


@dataclass(frozen=True)
class Explanation:
    """What :func:`explain_change` found for one asset.

    Examples:
        >>> Explanation("a", False, ("a: unchanged",)).text
        'a: unchanged'
    """

    asset: str
    changed: bool
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """The lines, joined."""
        return "\n".join(self.lines)


def explain_change(
    source: dg.Definitions | LineageSnapshot | LineageGraph,
    instance: dg.DagsterInstance,
    asset: str,
    *,
    scan_limit: int = 200,
) -> Explanation:
    """Lines explaining what changed for one asset since its last successful run, and where.

    ``code``: which parts changed (the model file, a macro, the config...) with a short unified diff
    of the normalised code (recorded with the last success, and on the current definition);
    ``schema``: the columns added, removed and retyped; ``data``: the parent, its checksum and row
    count before and after; ``upstream``: the parents that changed and why; ``unknown``: why the
    fingerprint could not be compared.

    Raises:
        UnknownAssetError: ``asset`` is not in the code location.

    Examples:
        >>> import dagster as dg
        >>> from dagster_lineage.core.model import AssetLineage
        >>> from dagster_lineage.defs.metadata import lineage_metadata
        >>> spec = dg.AssetSpec("a", metadata=lineage_metadata(AssetLineage(key=("a",), code_checksum="c1")))
        >>> @dg.multi_asset(specs=[spec])
        ... def a():
        ...     return dg.MaterializeResult()
        >>> explain_change(dg.Definitions(assets=[a]), dg.DagsterInstance.ephemeral(), "a").lines
        ('a: never_materialized', '  - no successful materialization on record')
    """
    snap = _snapshot(source)
    key = snap.graph.resolve(asset)
    runs = _RunCache(instance)
    last = _last_success_many(instance, snap.graph.keys, runs, scan_limit)
    report = compare_report(snap.graph, last, materializable=snap.materializable)
    change = next((c for c in report.changes if c.key == key), None)
    name = key_to_str(key)
    lines: list[str] = []
    if report.scheme_change and key in report.scheme_change.keys:
        lines.append(f"{name}: {report.scheme_change.describe()}")
    if change is None:
        mine = last.get(key)
        when = f" (run {mine.run_id})" if mine is not None else ""
        return Explanation(
            name, False, tuple(lines or [f"{name}: unchanged since its last successful run{when}"])
        )
    lines.append(f"{name}: {', '.join(r.value for r in change.reasons)}")
    lines.extend(f"  - {d}" for d in change.details)
    mine = last.get(key)
    rec = snap.graph.get(key)
    if ChangeReason.CODE in change.reasons and mine is not None:
        current = unpack_code_parts(_spec_code_parts(source).get(key))
        recorded = unpack_code_parts(mine.code_parts)
        lines.extend("    " + line for line in explain_code_parts(recorded, current))
    if ChangeReason.SCHEMA in change.reasons and mine is not None:
        diff = schema_diff(mine.columns, rec.columns)
        lines.append(f"    columns: {diff.describe()}")
    if ChangeReason.DATA in change.reasons and mine is not None:
        for parent in snap.graph.parents(key):
            seen = mine.parents.get(key_to_str(parent))
            now = last.get(parent)
            if seen is None or now is None or seen.data == now.data:
                continue
            before_rows = _row_count_with_data(instance, parent, seen.data, runs)
            lines.append(
                f"    {key_to_str(parent)}: data checksum {(seen.data or '?')[:12]} -> "
                f"{(now.data or '?')[:12]}, rows {'?' if before_rows is None else before_rows} "
                f"-> {'?' if now.row_count is None else now.row_count}"
            )
    return Explanation(name, True, tuple(lines))


def changed_assets(
    source: dg.Definitions | LineageSnapshot | LineageGraph,
    instance: dg.DagsterInstance,
    *,
    select: Sequence[str] | str | None = None,
    scan_limit: int = 200,
) -> list[AssetChange]:
    """Assets that changed since their last successful materialization, with the reasons.

    Lists those whose current code checksum (or declared schema) differs from the one recorded at
    their last successful materialization, those never materialized, and what is downstream of
    them (reason ``upstream``).

    Args:
        source: the code location's ``Definitions`` (or a prepared snapshot / lineage graph).
        instance: the Dagster instance holding the materializations.
        select: restrict the result to these assets (see :func:`select_keys`); the comparison still
            covers the whole graph, so ``upstream`` reasons stay right.
        scan_limit: recent materializations per asset to search for a successful one.

    Raises:
        StorageUnavailableError: the instance storage cannot be reached.

    Examples:
        >>> import dagster as dg
        >>> changed_assets(dg.Definitions(), dg.DagsterInstance.ephemeral())
        []
    """
    return list(changed_report(source, instance, select=select, scan_limit=scan_limit).changes)


@dataclass(frozen=True)
class RunSummary:
    """The last successful run for a selection: when it finished and rows per asset it wrote.

    Examples:
        >>> RunSummary("r1", 10.0, {"a": 3}).to_dict()["rows"]
        {'a': 3}
    """

    run_id: str
    end_time: float | None
    rows: Mapping[str, int | None]
    job_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "run_id": self.run_id,
            "job_name": self.job_name,
            "end_time": self.end_time,
            "rows": dict(self.rows),
        }


def last_successful_run(
    source: dg.Definitions | LineageSnapshot | LineageGraph,
    instance: dg.DagsterInstance,
    *,
    select: Sequence[str] | str | None = None,
    scan_limit: int = 200,
) -> RunSummary | None:
    """The most recent successful run that materialized any selected asset (``None`` if none).

    Rows per asset come from ``dagster/row_count`` of that run's materializations (``None`` when
    the asset recorded no row count).

    Examples:
        >>> import dagster as dg
        >>> last_successful_run(dg.Definitions(), dg.DagsterInstance.ephemeral()) is None
        True
    """
    snap = _snapshot(source)
    keys = select_keys(snap.graph, select)
    runs = _RunCache(instance)
    states = [s for s in _last_success_many(instance, keys, runs, scan_limit).values() if s]
    if not states:
        return None
    latest = max(states, key=lambda s: s.storage_id)
    run = runs.get(latest.run_id)
    return RunSummary(
        run_id=latest.run_id,
        end_time=latest.run_end_time,
        rows={
            key_to_str(s.key): s.row_count
            for s in sorted(states, key=lambda s: s.key)
            if s.run_id == latest.run_id
        },
        job_name=run.dagster_run.job_name if run is not None else None,
    )
