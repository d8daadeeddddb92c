"""Impact analysis: what a proposed schema change of one asset does to everything downstream.

:func:`analyze_impact` walks the :class:`~dagster_lineage.core.graph.LineageGraph` (dbt models,
Airflow DAGs, Spark jobs, exposures alike) and returns an immutable :class:`ImpactReport`: every
affected downstream asset, the exact references (which output column or which clause uses which
changed column, through which path of columns), a severity per reference and per asset, the
unknowns where lineage is incomplete, the owners to notify and a risk level.

Severity rules (applied per reference; an asset's severity is the worst of its references):

*breaking*
    - the asset refers **by name** to a column that would no longer exist (rename or drop), in its
      output (``select``) or in any other clause (``filter``, ``join``, ``group``, ``having``,
      ``order``, ``window``, ``qualify``);
    - the fate of a name follows **identity** edges: a column selected unchanged under the same name
      is renamed/dropped with its upstream, so a further asset that refers to it by name breaks too
      (``raw.order_total -> stg.order_total -> fct.order_total -> dag uses order_total``);
    - a table rename or drop: every direct consumer refers to the table by name; for a drop, all of
      the table's columns also disappear and are followed as above;
    - a type change that violates an enforced contract: a consumer with ``contract_enforced`` that
      declares a type for the column it passes through (at any point of a pass-through chain) that
      differs from the new type.

*warning*
    - the asset's values derive from a changed column through a rename, transformation or
      aggregation (its own column name survives, its values or derivation change);
    - it consumes ``SELECT *`` from an asset whose shape changes (added, renamed or dropped column);
    - its reference is uncertain: the asset has no column lineage, or records unknowns (dynamic code,
      unresolved SQL), and depends on an asset whose columns change ("lineage incomplete"; this
      uncertainty is followed further only through assets that also lack column lineage);
    - a type changes and no enforced contract declares it.

A column *add* breaks nothing: only ``SELECT *`` consumers (transitively) get a warning.

Risk level (what is hit, not only how):

- ``high``: something breaking hits an exposure (directly or upstream of it), an asset tagged
  ``criticality: high`` (or ``critical``), or three or more assets break;
- ``medium``: anything else breaking, or only warnings but one of them hits a critical asset;
- ``low``: only warnings;
- ``none``: nothing affected.

A caller may pass ``is_breaking(reference) -> bool`` to override the default severity of every
reference (``True``: breaking, ``False``: warning).

Pure Python plus sqlglot (type normalisation); no Dagster import.

Examples:
    >>> from dagster_lineage.core.graph import LineageGraph
    >>> from dagster_lineage.core.model import AssetLineage, ColumnDep, ColumnInfo, ColumnRef
    >>> from dagster_lineage.impact.changes import ColumnDropped
    >>> g = LineageGraph.from_records([
    ...     AssetLineage(key=("raw",), columns=(ColumnInfo("a"), ColumnInfo("b"))),
    ...     AssetLineage(key=("stg",), upstream=(("raw",),), columns=(ColumnInfo("a"),),
    ...                  column_deps={"a": (ColumnDep(ColumnRef(("raw",), "a")),)}),
    ... ])
    >>> report = analyze_impact(g, "raw", [ColumnDropped("a")])
    >>> report.risk.value, [(key_to_str(a.key), a.severity.label) for a in report.impacted]
    ('medium', [('stg', 'breaking')])
    >>> analyze_impact(g, "raw", [ColumnDropped("b")]).risk.value
    'none'
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import (
    AssetKeyPath,
    AssetLineage,
    AssetType,
    ColumnRef,
    EdgeKind,
    key_to_str,
)
from dagster_lineage.errors import ChangeSpecError
from dagster_lineage.impact.changes import (
    ColumnAdded,
    ColumnDropped,
    ColumnRenamed,
    ColumnTypeChanged,
    ColumnValuesChanged,
    RowsChanged,
    SchemaChange,
    Severity,
    TableDropped,  # noqa: F401  (used in doctests)
    TableRenamed,
)

REPORT_SCHEMA_VERSION = 1
"""Version of :meth:`ImpactReport.to_dict`'s JSON schema (bumped on incompatible changes)."""

CRITICALITY_TAG = "criticality"
"""Tag (or dbt ``meta``) key read for an asset's criticality; ``high``/``critical`` weigh the risk."""

_CRITICAL_VALUES = frozenset({"high", "critical"})


class Usage(str, Enum):
    """How an asset uses a changed column (or table).

    ``select``: it feeds an output column; the clause values: it is only read there;
    ``select_star``: it arrives through ``SELECT *``; ``table``: the asset depends on the table by
    name; ``unknown``: lineage is incomplete, the use is uncertain.

    Examples:
        >>> Usage("filter").is_clause, Usage.SELECT.is_clause
        (True, False)
    """

    SELECT = "select"
    FILTER = "filter"
    JOIN = "join"
    GROUP = "group"
    HAVING = "having"
    ORDER = "order"
    WINDOW = "window"
    QUALIFY = "qualify"
    SELECT_STAR = "select_star"
    TABLE = "table"
    UNKNOWN = "unknown"

    @property
    def is_clause(self) -> bool:
        """True for a read in a clause other than the output (filter, join, group, ...)."""
        return self not in (Usage.SELECT, Usage.SELECT_STAR, Usage.TABLE, Usage.UNKNOWN)


class RiskLevel(str, Enum):
    """Overall risk of a change set (see the module docstring for the rule).

    Examples:
        >>> RiskLevel.HIGH.rank > RiskLevel.LOW.rank
        True
    """

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """0 (none) to 3 (high), for comparisons."""
        return ["none", "low", "medium", "high"].index(self.value)


@dataclass(frozen=True, slots=True)
class Reference:
    """One use of a changed column (or table) by an affected asset.

    Attributes:
        change: the proposed change this reference is hit by.
        column: the column the asset uses (an upstream column, possibly a pass-through copy of the
            changed one); ``asset.*`` for table-level and uncertain uses.
        usage: select, a clause, select_star, table or unknown.
        output_column: the asset's output column fed by it (for ``select``/``select_star``).
        kind: the edge kind into ``output_column``.
        path: the column path from the changed column to this use (the last step is the asset's
            output column, or ``asset.*`` for reads and table-level uses).
        severity: breaking or warning (after the caller's ``is_breaking`` override).
        cause: why, as a code (``by_name``, ``star``, ``star_shape``, ``derived``, ``type_pass``,
            ``type_derived``, ``type_read``, ``contract``, ``contract_ok``, ``add_star``,
            ``table``, ``unknown``); :attr:`reason` is the sentence.
        detail: extra text for the reason (a declared type, a lineage gap, ...).

    Examples:
        >>> ref = Reference(ColumnDropped("a"), ColumnRef(("raw",), "a"), Usage.FILTER, None, None,
        ...                 (ColumnRef(("raw",), "a"), ColumnRef(("stg",), "*")), Severity.BREAKING,
        ...                 "by_name")
        >>> ref.asset, ref.describe()
        (('stg',), 'raw.a in filter')
        >>> ref.reason
        'reads raw.a by name in filter; a would no longer exist'
    """

    change: SchemaChange
    column: ColumnRef
    usage: Usage
    output_column: str | None
    kind: EdgeKind | None
    path: tuple[ColumnRef, ...]
    severity: Severity
    cause: str
    detail: str | None = None

    @property
    def reason(self) -> str:
        """Why this use is affected, in one sentence (built on demand)."""
        return _reason(self)

    @property
    def asset(self) -> AssetKeyPath:
        """The asset holding this reference (the end of the path)."""
        return self.path[-1].asset

    @property
    def path_assets(self) -> tuple[AssetKeyPath, ...]:
        """Distinct assets along the path, in order."""
        out: list[AssetKeyPath] = []
        for s in self.path:
            if not out or out[-1] != s.asset:
                out.append(s.asset)
        return tuple(out)

    def describe(self) -> str:
        """Short human form: ``upstream.col -> output (kind)`` or ``upstream.col in clause``."""
        src = self.column.display() if self.column.column != "*" else key_to_str(self.column.asset)
        if self.usage is Usage.SELECT:
            return f"{src} -> {self.output_column} ({self.kind.value if self.kind else 'select'})"
        if self.usage is Usage.SELECT_STAR:
            return f"{src} via select * -> {self.output_column or '*'}"
        if self.usage is Usage.TABLE:
            return f"depends on table {key_to_str(self.column.asset)}"
        if self.usage is Usage.UNKNOWN:
            return f"uses {key_to_str(self.column.asset)} (lineage incomplete)"
        return f"{src} in {self.usage.value}"

    def to_dict(self, change_index: int) -> dict[str, Any]:
        """JSON-ready form (``change`` is the index into the report's changes)."""
        return {
            "change": change_index,
            "cause": self.cause,
            "column": self.column.display(),
            "usage": self.usage.value,
            "output_column": self.output_column,
            "kind": self.kind.value if self.kind else None,
            "path": [s.display() for s in self.path],
            "severity": self.severity.label,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ImpactedAsset:
    """One affected downstream asset with all its references.

    Examples:
        >>> a = ImpactedAsset(("dash",), AssetType.DBT_EXPOSURE, Severity.WARNING, (), (("raw",), ("dash",)))
        >>> a.is_exposure, a.distance
        (True, 1)
    """

    key: AssetKeyPath
    asset_type: AssetType
    severity: Severity
    references: tuple[Reference, ...]
    path: tuple[AssetKeyPath, ...]
    owners: tuple[str, ...] = ()
    criticality: str | None = None
    unknowns: tuple[str, ...] = ()

    @property
    def is_exposure(self) -> bool:
        """True for a dbt exposure (a dashboard, report, application)."""
        return self.asset_type is AssetType.DBT_EXPOSURE

    @property
    def is_critical(self) -> bool:
        """True when tagged ``criticality: high`` (or ``critical``)."""
        return (self.criticality or "").lower() in _CRITICAL_VALUES

    @property
    def distance(self) -> int:
        """Number of hops from the changed asset."""
        return max(len(self.path) - 1, 0)

    @property
    def referenced_columns(self) -> tuple[str, ...]:
        """Names of the changed (or derived) columns it uses, in first-seen order."""
        seen: dict[str, None] = {}
        for r in self.references:
            if r.column.column != "*":
                seen.setdefault(r.column.column, None)
        return tuple(seen)

    def references_at(self, severity: Severity) -> tuple[Reference, ...]:
        """References of exactly ``severity``."""
        return tuple(r for r in self.references if r.severity == severity)


@dataclass(frozen=True)
class ImpactReport:
    """The result of :func:`analyze_impact`: immutable, with traversal helpers.

    Examples:
        >>> from dagster_lineage.core.graph import LineageGraph
        >>> from dagster_lineage.core.model import AssetLineage
        >>> g = LineageGraph.from_records([AssetLineage(key=("raw",)), AssetLineage(key=("b",), upstream=(("raw",),))])
        >>> r = analyze_impact(g, "raw", [TableDropped()])
        >>> r.has_breaking, [key_to_str(a.key) for a in r.breaking], r.exit_code()
        (True, ['b'], 1)
    """

    asset: AssetKeyPath
    asset_type: AssetType
    changes: tuple[SchemaChange, ...]
    impacted: tuple[ImpactedAsset, ...]
    risk: RiskLevel
    risk_reasons: tuple[str, ...] = ()

    @property
    def severity(self) -> Severity:
        """The worst severity over every affected asset (``NONE`` when nothing is affected)."""
        return max((a.severity for a in self.impacted), default=Severity.NONE)

    @property
    def has_breaking(self) -> bool:
        """True when any asset breaks."""
        return self.severity == Severity.BREAKING

    @property
    def breaking(self) -> tuple[ImpactedAsset, ...]:
        """Assets that break."""
        return tuple(a for a in self.impacted if a.severity == Severity.BREAKING)

    @property
    def warnings(self) -> tuple[ImpactedAsset, ...]:
        """Assets with warnings only."""
        return tuple(a for a in self.impacted if a.severity == Severity.WARNING)

    @property
    def exposures(self) -> tuple[ImpactedAsset, ...]:
        """Affected exposures."""
        return tuple(a for a in self.impacted if a.is_exposure)

    @property
    def owners_to_notify(self) -> tuple[str, ...]:
        """Every owner of an affected asset, sorted."""
        return tuple(sorted({o for a in self.impacted for o in a.owners}))

    @property
    def unknowns(self) -> tuple[tuple[AssetKeyPath, str], ...]:
        """Where lineage is incomplete among the affected assets: ``(asset, reason)`` pairs."""
        return tuple((a.key, u) for a in self.impacted for u in a.unknowns)

    def get(self, key: AssetKeyPath | str) -> ImpactedAsset | None:
        """The affected asset ``key`` (a key path or ``a/b`` text), or ``None``."""
        k = key if isinstance(key, tuple) else tuple(key.split("/"))
        return next((a for a in self.impacted if a.key == k), None)

    def walk(self) -> Iterator[tuple[ImpactedAsset, Reference]]:
        """Every ``(asset, reference)`` pair, assets in report order."""
        for a in self.impacted:
            for r in a.references:
                yield a, r

    def references_to(self, column: str) -> list[Reference]:
        """Every reference to a column called ``column`` (on any asset), case-insensitive."""
        low = column.lower()
        return [r for _, r in self.walk() if r.column.column.lower() == low]

    def exit_code(self, fail_on: Severity = Severity.BREAKING) -> int:
        """``1`` when something reaches ``fail_on`` (breaking by default), else ``0``."""
        return 1 if self.impacted and self.severity >= fail_on > Severity.NONE else 0

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (``schema_version`` :data:`REPORT_SCHEMA_VERSION`); see render.py."""
        index = {id(c): i for i, c in enumerate(self.changes)}

        def change_idx(c: SchemaChange) -> int:
            return index.get(id(c), self.changes.index(c))

        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "asset": key_to_str(self.asset),
            "asset_type": self.asset_type.value,
            "changes": [
                {**c.to_dict(), "destructive": c.destructive, "description": c.describe()}
                for c in self.changes
            ],
            "risk_level": self.risk.value,
            "risk_reasons": list(self.risk_reasons),
            "severity": self.severity.label,
            "summary": {
                "affected": len(self.impacted),
                "breaking": len(self.breaking),
                "warning": len(self.warnings),
                "exposures": len(self.exposures),
            },
            "affected_assets": [
                {
                    "asset": key_to_str(a.key),
                    "asset_type": a.asset_type.value,
                    "severity": a.severity.label,
                    "distance": a.distance,
                    "path": [key_to_str(k) for k in a.path],
                    "is_exposure": a.is_exposure,
                    "criticality": a.criticality,
                    "owners": list(a.owners),
                    "referenced_columns": list(a.referenced_columns),
                    "references": [r.to_dict(change_idx(r.change)) for r in a.references],
                    "unknowns": list(a.unknowns),
                }
                for a in self.impacted
            ],
            "exposures": [key_to_str(a.key) for a in self.exposures],
            "owners_to_notify": list(self.owners_to_notify),
            "unknowns": [{"asset": key_to_str(k), "reason": u} for k, u in self.unknowns],
        }


BreakingPredicate = Callable[[Reference], bool]
"""``is_breaking(reference) -> bool``: overrides the default severity of every reference."""


# --- the analysis ------------------------------------------------------------------------------


def analyze_impact(
    graph: LineageGraph,
    asset: str | AssetKeyPath,
    changes: Iterable[SchemaChange],
    *,
    is_breaking: BreakingPredicate | None = None,
    validate: bool = True,
) -> ImpactReport:
    """Analyse what ``changes`` to ``asset`` do downstream (see the module docstring for the rules).

    Args:
        graph: the lineage graph of the code location.
        asset: the asset whose schema changes (``a/b``, its last key part, or a key path).
        changes: the proposed changes (see :mod:`dagster_lineage.impact.changes`).
        is_breaking: optional predicate deciding, per reference, breaking (``True``) or warning.
        validate: check the changes against the asset's recorded columns (unknown column, rename to
            or add of an existing column). Turn it off when the graph already shows the new schema
            (a model edit compared with its last materialization).

    Raises:
        UnknownAssetError: the asset is not in the graph (the message suggests close names).
        UnknownColumnError: a changed column is not an output column of the asset.
        ChangeSpecError: no changes, conflicting changes, or an added/renamed-to column that exists.

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage, ColumnInfo
        >>> g = LineageGraph.from_records([AssetLineage(key=("raw",), columns=(ColumnInfo("a"),))])
        >>> analyze_impact(g, "raw", [ColumnAdded("b")]).impacted
        ()
    """
    root = graph.resolve(asset)
    root_rec = graph.get(root)
    checked = _validate(graph, root_rec, tuple(changes), strict=validate)
    hits: dict[AssetKeyPath, dict[tuple[Any, ...], Reference]] = {}
    with _gc_paused():
        star_children = _star_children(graph)
        walker = _Walker(graph, root, hits, star_children)
        for change in checked:
            walker.run(change)
        return _build_report(graph, root_rec, checked, hits, is_breaking)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the analysis allocates (it creates no cycles).

    On large graphs the collector otherwise rescans the whole graph's objects many times and
    takes about half of the analysis time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _validate(
    graph: LineageGraph, root: AssetLineage, changes: tuple[SchemaChange, ...], *, strict: bool
) -> tuple[SchemaChange, ...]:
    if not changes:
        raise ChangeSpecError(
            f"no changes given for asset {key_to_str(root.key)}",
            hint='--rename a:b, --drop c or [{"type": "column_drop", "column": "c"}]',
        )
    out: list[SchemaChange] = []
    touched: dict[str, SchemaChange] = {}
    for c in changes:
        if not strict:
            out.append(c)
            continue
        if isinstance(c, (ColumnRenamed, ColumnDropped, ColumnTypeChanged)):
            ref = graph.resolve_column(root.key, c.column)
            if ref.column.lower() in touched:
                raise ChangeSpecError(
                    f"column {ref.column} of {key_to_str(root.key)} is changed twice "
                    f"({touched[ref.column.lower()].describe()}; {c.describe()})"
                )
            touched[ref.column.lower()] = c
            if isinstance(c, ColumnRenamed):
                if root.column(c.new_name) is not None:
                    raise ChangeSpecError(
                        f"cannot rename {ref.column} to {c.new_name}: {key_to_str(root.key)} "
                        f"already has a column {c.new_name}"
                    )
                c = ColumnRenamed(ref.column, c.new_name)
            elif isinstance(c, ColumnDropped):
                c = ColumnDropped(ref.column)
            else:
                info = root.column(ref.column)
                c = ColumnTypeChanged(
                    ref.column, c.data_type, c.old_type or (info.data_type if info else None)
                )
        elif isinstance(c, ColumnAdded):
            if root.column(c.column) is not None:
                raise ChangeSpecError(
                    f"cannot add column {c.column}: {key_to_str(root.key)} already has it"
                )
        out.append(c)
    return tuple(out)


_INDEX_CACHE: weakref.WeakKeyDictionary[LineageGraph, dict[tuple[AssetKeyPath, str], list[Any]]] = (
    weakref.WeakKeyDictionary()
)


def _consumer_index(
    graph: LineageGraph,
) -> dict[tuple[AssetKeyPath, str], list[Any]]:
    """``(asset, lower column) -> [(consumer, output column, kind, usage, via select *)]``.

    Built once per graph (graphs are immutable) and cached.
    """
    cached = _INDEX_CACHE.get(graph)
    if cached is not None:
        return cached
    index: dict[tuple[AssetKeyPath, str], list[Any]] = {}
    for rec in graph.records():
        stars = set(rec.star_upstreams)
        for out_col, deps in rec.column_deps.items():
            for dep in deps:
                up = dep.upstream
                index.setdefault((up.asset, up.column.lower()), []).append(
                    (
                        rec.key,
                        out_col,
                        dep.kind,
                        Usage.SELECT,
                        dep.kind is EdgeKind.IDENTITY and up.asset in stars,
                    )
                )
        for read in rec.reads:
            up = read.upstream
            index.setdefault((up.asset, up.column.lower()), []).append(
                (rec.key, None, None, Usage(read.clause.value), False)
            )
    _INDEX_CACHE[graph] = index
    return index


def _star_children(graph: LineageGraph) -> dict[AssetKeyPath, list[AssetKeyPath]]:
    out: dict[AssetKeyPath, list[AssetKeyPath]] = {}
    for rec in graph.records():
        for up in rec.star_upstreams:
            out.setdefault(up, []).append(rec.key)
    return out


def _lineage_gap(rec: AssetLineage) -> str | None:
    """Why ``rec``'s use of its parents is uncertain, or ``None`` when its lineage is complete."""
    if not rec.columns and not rec.column_deps and not rec.reads and not rec.star_upstreams:
        if rec.unknowns:
            return "; ".join(u.reason for u in rec.unknowns)
        return "no column lineage recorded"
    if rec.unknowns:
        return "; ".join(
            (f"{u.column}: " if u.column else "") + u.reason for u in sorted(set(rec.unknowns))
        )
    return None


_DOOMED, _TAINTED = 2, 1


class _Walker:
    """Column-level propagation of one change at a time into ``hits``."""

    def __init__(
        self,
        graph: LineageGraph,
        root: AssetKeyPath,
        hits: dict[AssetKeyPath, dict[tuple[Any, ...], Reference]],
        star_children: dict[AssetKeyPath, list[AssetKeyPath]],
    ) -> None:
        self.graph = graph
        self.root = root
        self.hits = hits
        self.star_children = star_children
        self.changed_assets: dict[AssetKeyPath, tuple[ColumnRef, ...]] = {}

    # -- recording --

    def add(self, ref: Reference) -> None:
        per = self.hits.setdefault(ref.path[-1].asset, {})
        sig = (
            id(ref.change),
            (ref.column.asset, ref.column.column.lower()),
            ref.usage,
            ref.output_column,
        )
        old = per.get(sig)
        if old is None or ref.severity > old.severity:
            per[sig] = ref

    # -- entry --

    def run(self, change: SchemaChange) -> None:
        root = self.root
        # assets whose outputs change -> a path to them (for lineage-incomplete children)
        self.changed_assets = {}
        if isinstance(change, (ColumnRenamed, ColumnDropped, ColumnTypeChanged)):
            start = ColumnRef(root, change.column)
            self.changed_assets[root] = (start,)
            self.columns(change, [(start, (start,))])
            self.incomplete(change)
        elif isinstance(change, ColumnAdded):
            self.added(change)
        elif isinstance(change, TableRenamed):
            self.table_level(change)
        elif isinstance(change, (ColumnValuesChanged, RowsChanged)):
            # values change, names stay: every consumer is warned, nothing breaks by name
            if isinstance(change, ColumnValuesChanged):
                starts = [ColumnRef(root, change.column)]
            else:
                starts = sorted(self._root_columns())
            self.changed_assets[root] = (
                (starts[0],) if len(starts) == 1 else (ColumnRef(root, "*"),)
            )
            if starts:
                self.columns(change, [(s, (s,)) for s in starts], initial=_TAINTED)
            self.incomplete(change)
        else:
            self.changed_assets[root] = (ColumnRef(root, "*"),)
            self.table_level(change)
            dropped = self._root_columns()
            if dropped:
                self.columns(change, [(s, (s,)) for s in sorted(dropped)])
            self.incomplete(change)

    def _root_columns(self) -> set[ColumnRef]:
        """The root's output columns plus every column of it that a consumer refers to."""
        root = self.root
        starts = {ColumnRef(root, c.name) for c in self.graph.get(root).columns}
        for child in self.graph.children(root):
            starts.update(
                r for r in self.graph.get(child).referenced_upstream_columns() if r.asset == root
            )
        return starts

    # -- table rename / drop: every direct consumer refers to the table by name --

    def table_level(self, change: SchemaChange) -> None:
        tbl = ColumnRef(self.root, "*")
        for child in self.graph.children(self.root):
            self.add(
                Reference(
                    change,
                    tbl,
                    Usage.TABLE,
                    None,
                    None,
                    (tbl, ColumnRef(child, "*")),
                    Severity.BREAKING,
                    "table",
                )
            )

    # -- column rename / drop / type change --

    def columns(
        self,
        change: SchemaChange,
        starts: Sequence[tuple[ColumnRef, tuple[ColumnRef, ...]]],
        initial: int = _DOOMED,
    ) -> None:
        graph = self.graph
        index = _consumer_index(graph)
        type_change = isinstance(change, ColumnTypeChanged)
        new_type = change.data_type if isinstance(change, ColumnTypeChanged) else ""
        state: dict[tuple[AssetKeyPath, str], int] = {}
        # doomed columns first, then tainted ones: every column is expanded once (tainted
        # columns never lead back to doomed ones)
        queue: deque[tuple[ColumnRef, tuple[ColumnRef, ...], int]] = deque()
        tainted_queue: deque[tuple[ColumnRef, tuple[ColumnRef, ...], int]] = deque()
        for ref, path in starts:
            state[(ref.asset, ref.column.lower())] = initial
            (queue if initial == _DOOMED else tainted_queue).append((ref, path, initial))
        hits = self.hits
        changed_assets = self.changed_assets
        cid = id(change)
        warning, breaking = Severity.WARNING, Severity.BREAKING
        select_star = Usage.SELECT_STAR
        identity = EdgeKind.IDENTITY
        while queue or tainted_queue:
            ref, path, st = queue.popleft() if queue else tainted_queue.popleft()
            rkey = (ref.asset, ref.column.lower())
            if state[rkey] > st:
                continue  # superseded by a stronger state
            doomed = st == _DOOMED
            # no cycle guard needed: a column is expanded at most once per state (doomed/tainted)
            used_by: set[AssetKeyPath] = set()
            for asset, out_col, kind, usage, star in index.get(rkey, ()):
                if asset == ref.asset:
                    continue  # a self-reference (a cycle, reported by LineageGraph.find_cycle)
                used_by.add(asset)
                detail = None
                if kind is not None:
                    out = ColumnRef(asset, out_col)
                    npath = path + (out,)
                    nxt = _TAINTED
                    if not doomed:
                        sev, cause = warning, "derived"
                    elif type_change:
                        if kind.is_pass_through:
                            nxt = _DOOMED
                            sev, cause, detail = _contract_check(
                                graph.get(asset), out_col, new_type
                            )
                        else:
                            sev, cause = warning, "type_derived"
                    elif star:
                        nxt, usage = _DOOMED, select_star
                        sev, cause = warning, "star"
                    else:
                        nxt = _DOOMED if kind is identity else _TAINTED
                        sev, cause = breaking, "by_name"
                    okey = (asset, out_col.lower())
                    if asset not in changed_assets:
                        changed_assets[asset] = npath
                    if state.get(okey, 0) < nxt:
                        state[okey] = nxt
                        (queue if nxt == _DOOMED else tainted_queue).append((out, npath, nxt))
                else:
                    out_col = None
                    npath = path + (ColumnRef(asset, "*"),)
                    if doomed and not type_change:
                        sev, cause = breaking, "by_name"
                    elif doomed:
                        sev, cause = warning, "type_read"
                    else:
                        sev, cause = warning, "derived"
                    if asset not in changed_assets:
                        changed_assets[asset] = npath
                per = hits.get(asset)
                if per is None:
                    per = hits[asset] = {}
                sig = (cid, rkey, usage, out_col)
                old = per.get(sig)
                if old is None or sev > old.severity:
                    per[sig] = Reference(
                        change, ref, usage, out_col, kind, npath, sev, cause, detail
                    )
            # SELECT * consumers whose lineage does not list this column explicitly
            if doomed:
                for child in self.star_children.get(ref.asset, ()):
                    if child in used_by or child == ref.asset:
                        continue
                    crec = graph.get(child)
                    out = ColumnRef(child, ref.column)
                    npath = path + (out,)
                    self.add(
                        Reference(
                            change,
                            ref,
                            select_star,
                            ref.column,
                            identity,
                            npath,
                            warning,
                            "star_shape",
                        )
                    )
                    if not crec.columns or crec.column(ref.column) is not None:
                        self._enqueue(queue, state, out, npath, _DOOMED)

    def _enqueue(
        self,
        queue: deque[tuple[ColumnRef, tuple[ColumnRef, ...], int]],
        state: dict[tuple[AssetKeyPath, str], int],
        out: ColumnRef,
        npath: tuple[ColumnRef, ...],
        st: int,
    ) -> None:
        sig = (out.asset, out.column.lower())
        if out.asset not in self.changed_assets:
            self.changed_assets[out.asset] = npath
        if state.get(sig, 0) < st:
            state[sig] = st
            queue.append((out, npath, st))

    # -- column add: only SELECT * consumers see it --

    def added(self, change: ColumnAdded) -> None:
        seen = {self.root}
        queue: deque[tuple[AssetKeyPath, tuple[ColumnRef, ...]]] = deque(
            [(self.root, (ColumnRef(self.root, change.column),))]
        )
        while queue:
            key, path = queue.popleft()
            for child in self.star_children.get(key, ()):
                if child in seen:
                    continue
                seen.add(child)
                npath = path + (ColumnRef(child, change.column),)
                self.add(
                    Reference(
                        change,
                        ColumnRef(key, "*"),
                        Usage.SELECT_STAR,
                        change.column,
                        EdgeKind.IDENTITY,
                        npath,
                        Severity.WARNING,
                        "add_star",
                    )
                )
                queue.append((child, npath))

    # -- consumers with incomplete lineage below any changed asset --

    def incomplete(self, change: SchemaChange) -> None:
        queue = deque(self.changed_assets.items())
        seen = set(self.changed_assets)
        while queue:
            key, path = queue.popleft()
            for child in self.graph.children(key):
                gap = _lineage_gap(self.graph.get(child))
                if gap is None:
                    continue
                npath = path + (ColumnRef(child, "*"),)
                self.add(
                    Reference(
                        change,
                        ColumnRef(key, "*"),
                        Usage.UNKNOWN,
                        None,
                        None,
                        npath,
                        Severity.WARNING,
                        "unknown",
                        gap,
                    )
                )
                if child not in seen:
                    seen.add(child)
                    queue.append((child, npath))


def _reason(r: Reference) -> str:
    change = r.change
    col = r.column.display()
    table = key_to_str(r.column.asset)
    origin = r.path[0].display() if r.path[0].column != "*" else key_to_str(r.path[0].asset)
    where = f"into {r.output_column} ({r.kind.value})" if r.kind else f"in {r.usage.value}"
    dtype = change.data_type if isinstance(change, ColumnTypeChanged) else ""
    cause = r.cause
    if cause == "by_name":
        verb = "selects" if r.output_column else "reads"
        return f"{verb} {col} by name {where}; {r.column.column} would {_fate(change)}"
    if cause == "star":
        return (
            f"consumes select * from {table}: column {r.column.column} would {_fate(change)} "
            "in its output"
        )
    if cause == "star_shape":
        return f"consumes select * from {table}, whose shape changes ({change.describe()})"
    if cause == "add_star":
        return f"consumes select * from {table}: its output would gain column {r.output_column}"
    if cause == "derived":
        what = (
            f"{r.output_column} derives from {col}"
            if r.output_column
            else f"reads {col} in {where[3:]}"
        )
        if r.column.display() == origin:
            return f"{what} ({change.describe()})"
        return f"{what}, which derives from {origin} ({change.describe()})"
    if cause == "type_derived":
        return f"{r.output_column} is a {r.kind.value if r.kind else 'use'} of {col}, whose type changes to {dtype}"
    if cause == "type_read":
        return f"reads {col} in {r.usage.value}; its type changes to {dtype}"
    if cause == "contract":
        return (
            f"enforced contract declares {r.output_column} as {r.detail}; it passes {col} through, "
            f"whose type would become {dtype}"
        )
    if cause == "contract_ok":
        return f"passes {col} through; its type changes to {dtype} (matches the contract)"
    if cause == "type_pass":
        return (
            f"passes {col} through into {r.output_column}; its type changes to {dtype} "
            "(no enforced contract)"
        )
    if cause == "table":
        what = (
            f"would be renamed to {change.new_name}"
            if isinstance(change, TableRenamed)
            else "would be dropped"
        )
        return f"depends on {table} by name, which {what}"
    if cause == "unknown":
        return (
            f"lineage incomplete ({r.detail}); depends on {table}, which is affected by "
            f"{change.describe()}"
        )
    return cause


def _fate(change: SchemaChange) -> str:
    if isinstance(change, ColumnRenamed):
        return f"no longer exist (renamed to {change.new_name})"
    return "no longer exist"


@lru_cache(maxsize=512)
def normalize_type(data_type: str) -> str:
    """Canonical form of a SQL type for comparisons (sqlglot; ``text`` and ``varchar`` are equal).

    Examples:
        >>> normalize_type("int4") == normalize_type("INTEGER")
        True
        >>> normalize_type("numeric(10,2)")
        'decimal(10, 2)'
    """
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        text = exp.DataType.build(data_type, dialect="postgres").sql().lower()
    except (SqlglotError, ValueError):
        text = " ".join(data_type.lower().split())
    return "text" if text in ("varchar", "text", "string") else text


def _contract_check(
    consumer: AssetLineage, column: str, new_type: str
) -> tuple[Severity, str, str | None]:
    info = consumer.column(column)
    declared = info.data_type if info else None
    if consumer.contract_enforced and declared:
        if normalize_type(declared) != normalize_type(new_type):
            return Severity.BREAKING, "contract", declared
        return Severity.WARNING, "contract_ok", declared
    return Severity.WARNING, "type_pass", None


# --- assembling the report ---------------------------------------------------------------------


def _criticality(rec: AssetLineage) -> str | None:
    for k, v in rec.tags.items():
        if k.lower() == CRITICALITY_TAG or k.lower().endswith("/" + CRITICALITY_TAG):
            return str(v)
    return None


def _build_report(
    graph: LineageGraph,
    root: AssetLineage,
    changes: tuple[SchemaChange, ...],
    hits: dict[AssetKeyPath, dict[tuple[Any, ...], Reference]],
    is_breaking: BreakingPredicate | None,
) -> ImpactReport:
    order = {id(c): i for i, c in enumerate(changes)}
    impacted: list[ImpactedAsset] = []
    for key, refs_by_sig in hits.items():
        refs = list(refs_by_sig.values())
        if is_breaking is not None:
            refs = [
                dataclasses.replace(
                    r, severity=Severity.BREAKING if is_breaking(r) else Severity.WARNING
                )
                for r in refs
            ]
        # discovery order is breadth-first and deterministic: a stable sort keeps it per change
        # and severity
        refs.sort(key=lambda r: (order.get(id(r.change), 0), -r.severity))
        rec = graph.get(key)
        shortest = min(refs, key=lambda r: len(r.path))
        gap = _lineage_gap(rec)
        impacted.append(
            ImpactedAsset(
                key=key,
                asset_type=rec.asset_type,
                severity=max(r.severity for r in refs),
                references=tuple(refs),
                path=shortest.path_assets,
                owners=tuple(sorted(set(rec.owners))),
                criticality=_criticality(rec),
                unknowns=(gap,) if gap else (),
            )
        )
    impacted.sort(key=lambda a: (a.distance, a.key))
    risk, reasons = _risk(impacted)
    return ImpactReport(
        asset=root.key,
        asset_type=root.asset_type,
        changes=changes,
        impacted=tuple(impacted),
        risk=risk,
        risk_reasons=tuple(reasons),
    )


def _risk(impacted: Sequence[ImpactedAsset]) -> tuple[RiskLevel, list[str]]:
    if not impacted:
        return RiskLevel.NONE, ["no downstream asset uses the changed columns"]
    breaking = [a for a in impacted if a.severity == Severity.BREAKING]
    breaking_keys = {a.key for a in breaking}
    high: list[str] = []
    for a in breaking:
        if a.is_exposure:
            high.append(f"exposure {key_to_str(a.key)} breaks")
        if a.is_critical:
            high.append(f"{key_to_str(a.key)} (criticality: {a.criticality}) breaks")
    for a in impacted:
        if a.is_exposure and a.severity != Severity.BREAKING:
            upstream_breaking = [k for k in a.path[:-1] if k in breaking_keys]
            if upstream_breaking:
                high.append(
                    f"exposure {key_to_str(a.key)} depends on breaking asset "
                    f"{key_to_str(upstream_breaking[-1])}"
                )
    if len(breaking) >= 3:
        high.append(f"{len(breaking)} assets break")
    if high:
        return RiskLevel.HIGH, high
    if breaking:
        return RiskLevel.MEDIUM, [f"{len(breaking)} asset(s) break"]
    critical = [a for a in impacted if a.is_critical]
    if critical:
        return RiskLevel.MEDIUM, [
            f"warnings on critical asset(s): {', '.join(key_to_str(a.key) for a in critical)}"
        ]
    return RiskLevel.LOW, [f"{len(impacted)} asset(s) with warnings, nothing breaks"]
