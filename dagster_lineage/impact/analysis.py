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
      the table's columns also disappear and are followed as above; for a rename, everything below
      a direct consumer gets a warning (it is not built until the reference is updated), so
      exposures and owners downstream are reported and weigh the risk;
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
- ``medium``: anything else breaking;
- ``low``: only warnings (a critical asset with warnings is named in the reasons);
- ``none``: nothing affected.

A caller may pass ``is_breaking(reference) -> bool`` to override the default severity of every
reference (``True``: breaking, ``False``: warning).

Pure Python plus sqlglot (type normalisation); no Dagster import.

Examples:
    >>> from dagster_lineage.core.graph import LineageGraph
    >>> from dagster_lineage.core.model import AssetLineage, ColumnDep, ColumnInfo, ColumnRef
    >>> from dagster_lineage.impact.schema_changes import ColumnDropped
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

import dataclasses
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import (
    AssetKeyPath,
    AssetLineage,
    AssetType,
    Clause,
    ColumnRef,
    EdgeKind,
    key_to_str,
)
from dagster_lineage.errors import ChangeSpecError
from dagster_lineage.impact.policy import BreakingPolicy, policy_from_tags
from dagster_lineage.impact.report import CRITICALITY_TAG as CRITICALITY_TAG
from dagster_lineage.impact.report import MATERIALIZED_TAG as MATERIALIZED_TAG
from dagster_lineage.impact.report import ON_SCHEMA_CHANGE_TAG as ON_SCHEMA_CHANGE_TAG
from dagster_lineage.impact.report import REPORT_SCHEMA_VERSION as REPORT_SCHEMA_VERSION
from dagster_lineage.impact.report import BreakingPredicate as BreakingPredicate
from dagster_lineage.impact.report import Cause as Cause
from dagster_lineage.impact.report import ImpactedAsset as ImpactedAsset
from dagster_lineage.impact.report import ImpactReport as ImpactReport
from dagster_lineage.impact.report import Reference as Reference
from dagster_lineage.impact.report import RiskLevel as RiskLevel
from dagster_lineage.impact.report import Usage as Usage
from dagster_lineage.impact.schema_changes import (
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
from dagster_lineage.sql.data_types import (
    TypeChange,
    TypeChangeKind,
    canonical_type,
    classify_type_change,
)

# --- the analysis ------------------------------------------------------------------------------


def analyze_impact(
    graph: LineageGraph,
    asset: str | AssetKeyPath,
    changes: Iterable[SchemaChange],
    *,
    is_breaking: BreakingPredicate | None = None,
    validate: bool = True,
    on_breaking: BreakingPolicy | str | None = None,
) -> ImpactReport:
    """Analyse what ``changes`` to ``asset`` do downstream (see the module docstring for the rules).

    Args:
        graph: the lineage graph of the code location.
        asset: the asset whose schema changes (``a/b``, its last key part, or a key path).
        changes: the proposed changes (see :mod:`dagster_lineage.impact.schema_changes`).
        is_breaking: optional predicate deciding, per reference, breaking (``True``) or warning.
        validate: check the changes against the asset's recorded columns (unknown column, rename to
            or add of an existing column). Turn it off when the graph already shows the new schema
            (a model edit compared with its last materialization).
        on_breaking: the default breaking-change policy (``block`` or ``warn``), below the
            assets' own ``on_breaking`` tags (see :mod:`dagster_lineage.impact.policy`).

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
    return analyze_changes(
        graph,
        [(asset, changes)],
        is_breaking=is_breaking,
        validate=validate,
        on_breaking=on_breaking,
    )


def analyze_changes(
    graph: LineageGraph,
    changes_by_asset: Iterable[tuple[str | AssetKeyPath, Iterable[SchemaChange]]],
    *,
    is_breaking: BreakingPredicate | None = None,
    validate: bool = True,
    on_breaking: BreakingPolicy | str | None = None,
) -> ImpactReport:
    """Analyse changes to several assets at once (a migration altering several tables).

    The report's :attr:`~ImpactReport.asset` is the first asset; every change keeps its own
    (:attr:`~ImpactReport.change_assets`). Raises like :func:`analyze_impact`.

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage
        >>> g = LineageGraph.from_records([AssetLineage(key=("a",)), AssetLineage(key=("b",)),
        ...     AssetLineage(key=("c",), upstream=(("b",),))])
        >>> r = analyze_changes(g, [("a", [ColumnAdded("x")]), ("b", [TableDropped()])])
        >>> [key_to_str(k) for k in r.changed_assets], [key_to_str(a.key) for a in r.breaking]
        (['a', 'b'], ['c'])
    """
    hits: dict[AssetKeyPath, dict[tuple[Any, ...], Reference]] = {}
    roots: list[AssetLineage] = []
    checked: list[tuple[AssetKeyPath, SchemaChange]] = []
    for asset, changes in changes_by_asset:
        root = graph.resolve(asset)
        root_rec = graph.get(root)
        roots.append(root_rec)
        checked += [(root, c) for c in _validate(graph, root_rec, tuple(changes), strict=validate)]
    if not roots:
        raise ChangeSpecError("no asset given", hint="analyze_changes(graph, [('raw', [...])])")
    star_children = _star_children(graph)
    for root, change in checked:
        _Walker(graph, root, hits, star_children).run(change)
    report = _build_report(graph, roots[0], tuple(checked), hits, is_breaking)
    return dataclasses.replace(report, default_policy=BreakingPolicy.parse(on_breaking))


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


_USAGE = {c: Usage(c.value) for c in Clause}
"""The :class:`Usage` of a read in each clause."""


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
            self.stale(change)
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
                    Cause.TABLE,
                )
            )

    def stale(self, change: SchemaChange) -> None:
        """Everything below a direct consumer of a renamed table: it stops being built.

        Each direct consumer breaks until its reference is updated, so the assets below it (an
        exposure, an Airflow DAG) are warned, with their owners, and weigh the risk.
        """
        direct = self.graph.children(self.root)
        seen = {self.root, *direct}
        queue: deque[tuple[AssetKeyPath, tuple[ColumnRef, ...]]] = deque(
            (c, (ColumnRef(self.root, "*"), ColumnRef(c, "*"))) for c in direct
        )
        while queue:
            key, path = queue.popleft()
            for child in self.graph.children(key):
                if child in seen:
                    continue
                seen.add(child)
                npath = path + (ColumnRef(child, "*"),)
                self.add(
                    Reference(
                        change,
                        ColumnRef(key, "*"),
                        Usage.TABLE,
                        None,
                        None,
                        npath,
                        Severity.WARNING,
                        Cause.STALE,
                    )
                )
                queue.append((child, npath))

    # -- column rename / drop / type change --

    def columns(
        self,
        change: SchemaChange,
        starts: Sequence[tuple[ColumnRef, tuple[ColumnRef, ...]]],
        initial: int = _DOOMED,
    ) -> None:
        graph = self.graph
        consumers_of = graph.consumers_of
        usage_of, select = _USAGE, Usage.SELECT
        new_type = change.data_type if isinstance(change, ColumnTypeChanged) else ""
        retype = (
            classify_type_change(change.old_type, change.data_type)
            if isinstance(change, ColumnTypeChanged)
            else None
        )
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
            for asset, out_col, kind, clause, star in consumers_of(*rkey):
                usage = select if clause is None else usage_of[clause]
                if asset == ref.asset:
                    continue  # a self-reference (a cycle, reported by LineageGraph.find_cycle)
                used_by.add(asset)
                detail = None
                if kind is not None:
                    assert out_col is not None  # a selected use names its output column
                    out = ColumnRef(asset, out_col)
                    npath = path + (out,)
                    nxt = _TAINTED
                    if not doomed:
                        sev, cause = warning, Cause.DERIVED
                    elif retype is not None:
                        if kind.is_pass_through:
                            nxt = _DOOMED
                            sev, cause, detail = _contract_check(
                                graph.get(asset), out_col, new_type, retype
                            )
                        else:
                            sev, cause, detail = _derived_type_verdict(
                                graph.get(asset), out_col, retype
                            )
                    elif star:
                        nxt, usage = _DOOMED, select_star
                        sev, cause = warning, Cause.STAR
                    else:
                        nxt = _DOOMED if kind is identity else _TAINTED
                        sev, cause = breaking, Cause.BY_NAME
                    okey = (asset, out_col.lower())
                    if asset not in changed_assets:
                        changed_assets[asset] = npath
                    if state.get(okey, 0) < nxt:
                        state[okey] = nxt
                        (queue if nxt == _DOOMED else tainted_queue).append((out, npath, nxt))
                else:
                    out_col = None
                    npath = path + (ColumnRef(asset, "*"),)
                    if doomed and retype is None:
                        sev, cause = breaking, Cause.BY_NAME
                    elif doomed and retype is not None:
                        sev, cause, detail = _read_type_verdict(retype)
                    else:
                        sev, cause = warning, Cause.DERIVED
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
                            Cause.STAR_SHAPE,
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
                        Cause.ADD_STAR,
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
                        Cause.UNKNOWN,
                        gap,
                    )
                )
                if child not in seen:
                    seen.add(child)
                    queue.append((child, npath))


def _contract_check(
    consumer: AssetLineage, column: str, new_type: str, retype: TypeChange
) -> tuple[Severity, Cause, str | None]:
    """The verdict on a consumer that passes the retyped column through into ``column``.

    An enforced contract declaring another type breaks (dbt refuses to build it); otherwise the
    type flows on, and the verdict is the type change's own: none for a widening, a warning for
    a narrowing, a precision loss or a change into another family.
    """
    info = consumer.column(column)
    declared = info.data_type if info else None
    if consumer.contract_enforced and declared:
        if canonical_type(declared) != canonical_type(new_type):
            return Severity.BREAKING, Cause.CONTRACT, declared
        return Severity.NONE, Cause.CONTRACT_OK, declared
    if retype.kind is TypeChangeKind.UNKNOWN:
        return Severity.WARNING, Cause.TYPE_PASS, None
    if not retype.kind.destructive:
        return Severity.NONE, Cause.TYPE_SAFE, retype.reason
    return Severity.WARNING, Cause.TYPE_RISK, retype.reason


def _derived_type_verdict(
    consumer: AssetLineage, column: str, retype: TypeChange
) -> tuple[Severity, Cause, str | None]:
    """The verdict on a consumer that computes ``column`` from the retyped column.

    A change into another family is a warning with its reason: whether the expression still
    binds depends on the operator (DuckDB binds ``upper(x)`` on an integer turned text, not
    ``x + 1``), which the lineage does not record. When the consumer's own column has a recorded
    type narrower than the new one, its cast may overflow.
    """
    info = consumer.column(column)
    stored = info.data_type if info else None
    if stored and retype.kind is not TypeChangeKind.UNKNOWN:
        into = classify_type_change(retype.new, stored)
        if into.kind in (TypeChangeKind.NARROW, TypeChangeKind.PRECISION_LOSS):
            before = classify_type_change(retype.old, stored)
            if before.kind not in (TypeChangeKind.NARROW, TypeChangeKind.PRECISION_LOSS):
                return Severity.WARNING, Cause.TYPE_CAST, f"{stored}: {into.reason}"
    if retype.kind is TypeChangeKind.UNKNOWN:
        return Severity.WARNING, Cause.TYPE_DERIVED, None
    if not retype.kind.destructive:
        return Severity.NONE, Cause.TYPE_SAFE, retype.reason
    return Severity.WARNING, Cause.TYPE_RISK, retype.reason


def _read_type_verdict(retype: TypeChange) -> tuple[Severity, Cause, str | None]:
    """The verdict on a consumer that reads the retyped column (a filter, join or group key)."""
    if retype.kind is TypeChangeKind.UNKNOWN:
        return Severity.WARNING, Cause.TYPE_READ, None
    if not retype.kind.destructive:
        return Severity.NONE, Cause.TYPE_SAFE, retype.reason
    return Severity.WARNING, Cause.TYPE_RISK, retype.reason


# --- assembling the report ---------------------------------------------------------------------


def _criticality(rec: AssetLineage) -> str | None:
    for k, v in rec.tags.items():
        if k.lower() == CRITICALITY_TAG or k.lower().endswith("/" + CRITICALITY_TAG):
            return str(v)
    return None


def _build_report(
    graph: LineageGraph,
    root: AssetLineage,
    checked: tuple[tuple[AssetKeyPath, SchemaChange], ...],
    hits: dict[AssetKeyPath, dict[tuple[Any, ...], Reference]],
    is_breaking: BreakingPredicate | None,
) -> ImpactReport:
    changes = tuple(c for _, c in checked)
    change_assets = tuple(a for a, _ in checked)
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
                actions=_keeping_data_actions(rec, refs),
                on_breaking=policy_from_tags(rec.tags),
                feeds_exposure=_feeds_exposure(graph, key),
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
        change_assets=change_assets if any(a != root.key for a in change_assets) else (),
        on_breaking=policy_from_tags(root.tags),
    )


def _feeds_exposure(graph: LineageGraph, key: AssetKeyPath) -> bool:
    return any(
        k in graph and graph.get(k).asset_type is AssetType.DBT_EXPOSURE
        for k in graph.downstream_keys(key)
    )


def _is_destructive(change: SchemaChange) -> bool:
    if isinstance(change, ColumnTypeChanged):
        return classify_type_change(change.old_type, change.data_type).kind.destructive
    return bool(change.destructive)


_ON_SCHEMA_CHANGE = {
    "ignore": "with on_schema_change=ignore the existing table keeps its old columns, so the "
    "next incremental run fails or leaves them stale",
    "fail": "with on_schema_change=fail the next incremental run stops",
    "append_new_columns": "with on_schema_change=append_new_columns the old column stays in the "
    "table (NULL in new rows) and a renamed one starts empty",
    "sync_all_columns": "with on_schema_change=sync_all_columns the next run drops the old column "
    "and adds the new one empty: the rows already loaded lose its values",
}


def _keeping_data_actions(rec: AssetLineage, refs: Sequence[Reference]) -> tuple[str, ...]:
    """What a destructive change means for a model that keeps data across runs (dbt's rules)."""
    if not any(r.severity > Severity.NONE and _is_destructive(r.change) for r in refs):
        return ()
    name = rec.key[-1]
    if rec.asset_type is AssetType.DBT_SNAPSHOT:
        return (
            "snapshot: its history keeps the old column; rows captured before the change keep "
            "the old name and type (history affected). Update the snapshot's SQL; dbt does not "
            "rewrite past rows",
        )
    if rec.tags.get(MATERIALIZED_TAG) == "incremental":
        mode = str(rec.tags.get(ON_SCHEMA_CHANGE_TAG) or "ignore")
        effect = _ON_SCHEMA_CHANGE.get(mode, f"with on_schema_change={mode}")
        return (
            f"incremental model: {effect}; rebuild it with "
            f"`dbt build --full-refresh --select {name}`",
        )
    return ()


def _risk(impacted: Sequence[ImpactedAsset]) -> tuple[RiskLevel, list[str]]:
    if not impacted:
        return RiskLevel.NONE, ["no downstream asset uses the changed columns"]
    if all(a.severity == Severity.NONE for a in impacted):
        return RiskLevel.NONE, [
            f"{len(impacted)} asset(s) use the changed columns; the change is safe for each "
            "(see the reasons)"
        ]
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
    warned = [a for a in impacted if a.severity > Severity.NONE]
    reasons = [f"{len(warned)} asset(s) with warnings, nothing breaks"]
    if len(warned) < len(impacted):
        reasons.append(f"{len(impacted) - len(warned)} more use the changed columns safely")
    critical = [a for a in impacted if a.is_critical]
    if critical:  # named, but warnings only stay low (the README's rule)
        reasons.append(
            f"warnings on critical asset(s): {', '.join(key_to_str(a.key) for a in critical)}"
        )
    return RiskLevel.LOW, reasons
