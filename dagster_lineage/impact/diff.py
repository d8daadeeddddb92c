"""What a pull request changes: compare two lineage states, asset by asset and column by column.

:func:`diff_states` compares a *base* and a *head* state (two :class:`LineageState` files, or two
lists of :class:`AssetLineage` records) and returns a :class:`LineageDiff`:

- every asset that was **added**, **removed** or **modified** (its code checksum differs; assets
  without a checksum, like exposures, are compared by their lineage);
- for every modified asset, per column: **added**, **removed**, **renamed** (the new column carries
  the old one's sources and the old one is gone), **retyped**, **values changed** (its edge kinds or
  its sources changed); and the **model-wide** changes: a filter, join, group-by, having or
  qualify clause reads other columns, or the set of upstream assets changed (any row may change);
- a **category** per directly changed asset, as SQLMesh and Recce sort them: ``breaking`` (a name
  or type a consumer may rely on changes: a removed, renamed or retyped column, a removed asset),
  ``values-changed`` (values or rows may change, names and types stay) or ``non-breaking`` (only
  additions);
- the downstream impact of each changed asset: the diff turns its column changes into the typed
  changes of :mod:`dagster_lineage.impact.schema_changes` and hands them to
  :func:`~dagster_lineage.impact.analysis.analyze_impact` (one engine, the same severity rules as
  ``dagster-lineage impact``).

An edit whose checksum changes but whose effect the lineage does not show (a constant in a WHERE
clause or in an expression) is never reported as "nothing changed": the asset gets an
``unattributed`` model-wide change (every column may change) and the category ``values-changed``.

Downstream consumers whose code did not change are analysed with their *base* lineage (their
references were resolved against the schema they were written for); consumers edited in the same
pull request with their *head* lineage (an updated reference to a renamed column no longer breaks).

Pure Python; no Dagster import.

Examples:
    >>> from dagster_lineage.core.model import AssetLineage, ColumnDep, ColumnInfo, ColumnRef
    >>> raw = AssetLineage(key=("raw",), columns=(ColumnInfo("a"), ColumnInfo("b")))
    >>> def stg(col, sql):
    ...     return AssetLineage(key=("stg",), upstream=(("raw",),), code_checksum=sql,
    ...         columns=(ColumnInfo(col),), column_deps={col: (ColumnDep(ColumnRef(("raw",), "a")),)})
    >>> fct = AssetLineage(key=("fct",), upstream=(("stg",),), code_checksum="f",
    ...     columns=(ColumnInfo("a"),), column_deps={"a": (ColumnDep(ColumnRef(("stg",), "a")),)})
    >>> d = diff_states([raw, stg("a", "v1"), fct], [raw, stg("a2", "v2"), fct])
    >>> [(key_to_str(a.key), a.category.value) for a in d.assets]
    [('stg', 'breaking')]
    >>> [c.describe() for c in d.assets[0].columns]
    ['renamed a -> a2']
    >>> d.severity.label, d.exit_code()
    ('breaking', 1)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import (
    AssetKeyPath,
    AssetLineage,
    AssetType,
    Clause,
    ColumnDep,
    ColumnRef,
    key_to_str,
)
from dagster_lineage.errors import DagsterLineageError
from dagster_lineage.impact.analysis import ImpactReport, analyze_impact
from dagster_lineage.impact.schema_changes import (
    ColumnAdded,
    ColumnDropped,
    ColumnRenamed,
    ColumnTypeChanged,
    ColumnValuesChanged,
    RowsChanged,
    SchemaChange,
    Severity,
    TableDropped,
)
from dagster_lineage.impact.schema_diff import diff_schemas
from dagster_lineage.state.lineage_state import LineageState

DIFF_SCHEMA_VERSION = 1
"""Version of :meth:`LineageDiff.to_dict`'s JSON schema (bumped on incompatible changes)."""

ROW_CLAUSES = (Clause.FILTER, Clause.JOIN, Clause.GROUP, Clause.HAVING, Clause.QUALIFY)
"""Clauses whose inputs decide which rows an asset has: a change there may change any row."""


class AssetStatus(str, Enum):
    """Whether an asset was added, removed or modified between base and head.

    Examples:
        >>> AssetStatus("modified").value
        'modified'
    """

    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"


class Category(str, Enum):
    """How a directly changed asset changed (SQLMesh's and Recce's categories).

    Examples:
        >>> Category.BREAKING.rank > Category.VALUES_CHANGED.rank > Category.NON_BREAKING.rank
        True
    """

    BREAKING = "breaking"
    VALUES_CHANGED = "values-changed"
    NON_BREAKING = "non-breaking"

    @property
    def rank(self) -> int:
        """Order from least (0) to most (2) disruptive."""
        return {"non-breaking": 0, "values-changed": 1, "breaking": 2}[self.value]


class ColumnChangeKind(str, Enum):
    """What happened to one column of a modified asset.

    Examples:
        >>> ColumnChangeKind("renamed").breaks_names
        True
    """

    ADDED = "added"
    REMOVED = "removed"
    RENAMED = "renamed"
    RETYPED = "retyped"
    VALUES_CHANGED = "values_changed"

    @property
    def breaks_names(self) -> bool:
        """True when a consumer relying on the column's name or type may fail."""
        return self in (
            ColumnChangeKind.REMOVED,
            ColumnChangeKind.RENAMED,
            ColumnChangeKind.RETYPED,
        )


@dataclass(frozen=True)
class ColumnChange:
    """One column's change, with its sources and types on both sides.

    ``column`` is the base name (the head name for an added column); ``new_name`` the head name of
    a renamed column.

    Examples:
        >>> ColumnChange(ColumnChangeKind.RETYPED, "id", old_type="int", new_type="bigint").describe()
        'retyped id: int -> bigint'
    """

    kind: ColumnChangeKind
    column: str
    new_name: str | None = None
    old_type: str | None = None
    new_type: str | None = None
    old_sources: tuple[str, ...] = ()
    new_sources: tuple[str, ...] = ()
    detail: str | None = None

    @property
    def head_name(self) -> str:
        """The column's name in the head state."""
        return self.new_name or self.column

    def describe(self) -> str:
        """One line for humans."""
        k = self.kind
        if k is ColumnChangeKind.RENAMED:
            return f"renamed {self.column} -> {self.new_name}"
        if k is ColumnChangeKind.RETYPED:
            return f"retyped {self.column}: {self.old_type} -> {self.new_type}"
        if k is ColumnChangeKind.VALUES_CHANGED:
            return f"values of {self.column} changed" + (f" ({self.detail})" if self.detail else "")
        if k is ColumnChangeKind.ADDED:
            return f"added {self.column}" + (f" {self.new_type}" if self.new_type else "")
        return f"removed {self.column}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "change": self.kind.value,
            "column": self.column,
            "new_name": self.new_name,
            "old_type": self.old_type,
            "new_type": self.new_type,
            "old_sources": list(self.old_sources),
            "new_sources": list(self.new_sources),
            "detail": self.detail,
            "description": self.describe(),
        }


@dataclass(frozen=True)
class ModelChange:
    """A change that may touch any row: a clause reads other columns, or the upstream set changed.

    ``clause`` is ``None`` for an upstream change, ``"unattributed"`` when the code checksum changed
    and the lineage shows nothing (see the module docstring).

    Examples:
        >>> ModelChange("filter", added=("stg.amount",)).describe()
        'filter changed: + stg.amount'
    """

    clause: str | None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for humans."""
        if self.clause == "unattributed":
            return (
                "code changed in a way the column lineage does not show (e.g. a constant in a "
                "filter or an expression): any column may change"
            )
        what = f"{self.clause} changed" if self.clause else "upstream assets changed"
        bits = [f"+ {a}" for a in self.added] + [f"- {r}" for r in self.removed]
        return what + (": " + ", ".join(bits) if bits else "")

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "clause": self.clause,
            "added": list(self.added),
            "removed": list(self.removed),
            "description": self.describe(),
        }


@dataclass(frozen=True)
class AssetDiff:
    """One directly changed asset: its status, column and model-wide changes, its category.

    ``changes`` are the typed changes handed to the impact analysis.

    Examples:
        >>> a = AssetDiff(("x",), AssetStatus.ADDED, AssetType.DBT_MODEL, Category.NON_BREAKING)
        >>> a.key_str, a.changes
        ('x', ())
    """

    key: AssetKeyPath
    status: AssetStatus
    asset_type: AssetType
    category: Category
    columns: tuple[ColumnChange, ...] = ()
    model_changes: tuple[ModelChange, ...] = ()
    changes: tuple[SchemaChange, ...] = ()
    owners: tuple[str, ...] = ()
    source_ref: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def key_str(self) -> str:
        """The key as ``a/b`` text."""
        return key_to_str(self.key)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "asset": self.key_str,
            "status": self.status.value,
            "asset_type": self.asset_type.value,
            "category": self.category.value,
            "source_ref": self.source_ref,
            "owners": list(self.owners),
            "columns": [c.to_dict() for c in self.columns],
            "model_changes": [m.to_dict() for m in self.model_changes],
            "changes": [c.to_dict() for c in self.changes],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class LineageDiff:
    """The result of :func:`diff_states`: the changed assets and their downstream impact.

    ``impacts`` maps an asset key to the :class:`ImpactReport` of its changes (assets with nothing
    to analyse, e.g. added ones, have none).

    Examples:
        >>> d = diff_states([], [])
        >>> d.assets, d.severity.label, d.exit_code()
        ((), 'none', 0)
    """

    assets: tuple[AssetDiff, ...]
    impacts: Mapping[AssetKeyPath, ImpactReport]
    project: str | None = None
    base_label: str | None = None
    head_label: str | None = None
    unchanged: int = 0

    @property
    def severity(self) -> Severity:
        """The worst downstream severity over every changed asset."""
        return max((r.severity for r in self.impacts.values()), default=Severity.NONE)

    @property
    def category(self) -> Category | None:
        """The worst category of any changed asset (``None`` when nothing changed)."""
        return max((a.category for a in self.assets), key=lambda c: c.rank, default=None)

    def get(self, key: AssetKeyPath | str) -> AssetDiff | None:
        """The changed asset ``key`` (a key path or ``a/b`` text), or ``None``."""
        k = key if isinstance(key, tuple) else tuple(key.split("/"))
        return next((a for a in self.assets if a.key == k), None)

    def impact(self, key: AssetKeyPath | str) -> ImpactReport | None:
        """The downstream impact report of changed asset ``key``, or ``None``."""
        k = key if isinstance(key, tuple) else tuple(key.split("/"))
        return self.impacts.get(k)

    @property
    def affected(self) -> dict[AssetKeyPath, Severity]:
        """Every downstream asset affected by any change, with its worst severity."""
        out: dict[AssetKeyPath, Severity] = {}
        for report in self.impacts.values():
            for a in report.impacted:
                out[a.key] = max(out.get(a.key, a.severity), a.severity)
        return dict(sorted(out.items()))

    @property
    def owners_to_notify(self) -> tuple[str, ...]:
        """Owners of every affected downstream asset, sorted."""
        return tuple(sorted({o for r in self.impacts.values() for o in r.owners_to_notify}))

    def exit_code(self, fail_on: Severity = Severity.BREAKING) -> int:
        """``1`` when something downstream reaches ``fail_on``, else ``0`` (as ``impact``)."""
        return 1 if any(r.exit_code(fail_on) for r in self.impacts.values()) else 0

    def summary(self) -> str:
        """One line: counts of changed assets by category and of affected assets by severity."""
        if not self.assets:
            return "No lineage change."
        by_cat = {c: sum(1 for a in self.assets if a.category is c) for c in Category}
        cats = ", ".join(f"{n} {c.value}" for c, n in by_cat.items() if n)
        affected = self.affected
        brk = sum(1 for s in affected.values() if s is Severity.BREAKING)
        warn = sum(1 for s in affected.values() if s is Severity.WARNING)
        down = (
            f"{len(affected)} downstream asset(s) affected ({brk} breaking, {warn} warning)"
            if affected
            else "no downstream asset affected"
        )
        return f"{len(self.assets)} changed asset(s) ({cats}); {down}."

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (``schema_version`` :data:`DIFF_SCHEMA_VERSION`)."""
        return {
            "schema_version": DIFF_SCHEMA_VERSION,
            "project": self.project,
            "base": self.base_label,
            "head": self.head_label,
            "summary": self.summary(),
            "severity": self.severity.label,
            "category": self.category.value if self.category else None,
            "unchanged_assets": self.unchanged,
            "changed_assets": [a.to_dict() for a in self.assets],
            "impact": {key_to_str(k): r.to_dict() for k, r in self.impacts.items()},
            "affected_assets": {key_to_str(k): s.label for k, s in self.affected.items()},
            "owners_to_notify": list(self.owners_to_notify),
        }


# --- the comparison -----------------------------------------------------------------------------

_LINEAGE_FIELDS = (
    "upstream",
    "columns",
    "column_deps",
    "reads",
    "indirect_deps",
    "star_upstreams",
    "unknowns",
)


def _lineage_view(rec: AssetLineage) -> dict[str, Any]:
    d = rec.to_dict()
    d["columns"] = [{"name": c["name"], "data_type": c["data_type"]} for c in d["columns"]]
    return {k: d.get(k) for k in (*_LINEAGE_FIELDS, "asset_type", "contract_enforced")}


def _modified(base: AssetLineage, head: AssetLineage) -> bool:
    if base.code_checksum is not None or head.code_checksum is not None:
        return base.code_checksum != head.code_checksum
    return _lineage_view(base) != _lineage_view(head)


def _as_state(state: LineageState | Iterable[AssetLineage]) -> LineageState:
    if isinstance(state, LineageState):
        return state
    return LineageState.from_records(state, project="", tool_version="")


def _dep_text(d: ColumnDep) -> str:
    return f"{d.upstream.display()} ({d.kind.value})"


def _deps_of(rec: AssetLineage, column: str) -> tuple[ColumnDep, ...]:
    low = column.lower()
    for name, deps in rec.column_deps.items():
        if name.lower() == low:
            return tuple(sorted(set(deps)))
    return ()


def _indirect_of(rec: AssetLineage, column: str) -> frozenset[tuple[ColumnRef, Clause]]:
    low = column.lower()
    for name, reads in rec.indirect_deps.items():
        if name.lower() == low:
            return frozenset((_low(r.upstream), r.clause) for r in reads)
    return frozenset()


def _low(ref: ColumnRef) -> ColumnRef:
    return ColumnRef(ref.asset, ref.column.lower())


class _Renames:
    """Column renames found so far, to read base references under their head names."""

    def __init__(self) -> None:
        self.map: dict[tuple[AssetKeyPath, str], str] = {}

    def add(self, asset: AssetKeyPath, old: str, new: str) -> None:
        self.map[(asset, old.lower())] = new.lower()

    def ref(self, ref: ColumnRef) -> ColumnRef:
        new = self.map.get((ref.asset, ref.column.lower()))
        return ColumnRef(ref.asset, new or ref.column.lower())


def _edge_set(
    deps: Iterable[ColumnDep], renames: _Renames | None
) -> frozenset[tuple[ColumnRef, str]]:
    """Edges as ``(source, kind)``, identity and rename both counted as ``pass``."""
    out = set()
    for d in deps:
        ref = renames.ref(d.upstream) if renames else _low(d.upstream)
        out.add((ref, "pass" if d.kind.is_pass_through else d.kind.value))
    return frozenset(out)


def _values_detail(
    old: tuple[ColumnDep, ...], new: tuple[ColumnDep, ...], renames: _Renames
) -> str | None:
    a, b = _edge_set(old, renames), _edge_set(new, None)
    if a == b:
        return None
    src_a, src_b = {r for r, _ in a}, {r for r, _ in b}
    if src_a == src_b:
        kinds_a = sorted({d.kind.value for d in old}) or ["none"]
        kinds_b = sorted({d.kind.value for d in new}) or ["none"]
        return f"expression kind {'/'.join(kinds_a)} -> {'/'.join(kinds_b)}"
    bits = [f"+ {r.display()}" for r in sorted(src_b - src_a)]
    bits += [f"- {r.display()}" for r in sorted(src_a - src_b)]
    if not bits:
        return "expression kind changed"
    return "sources " + ", ".join(bits)


def _computed_renames(
    base: AssetLineage, head: AssetLineage, gone: list[str], born: list[str]
) -> list[tuple[str, str]]:
    """Drop + add pairs where the new column has exactly the old one's sources and kinds."""
    out = []
    for g in list(gone):
        sig = _edge_set(_deps_of(base, g), None)
        if not sig:
            continue
        cands = [b for b in born if _edge_set(_deps_of(head, b), None) == sig]
        others = [g2 for g2 in gone if g2 != g and _edge_set(_deps_of(base, g2), None) == sig]
        if len(cands) == 1 and not others:
            out.append((g, cands[0]))
            gone.remove(g)
            born.remove(cands[0])
    return out


def _column_changes(
    base: AssetLineage, head: AssetLineage, renames: _Renames
) -> tuple[list[ColumnChange], list[SchemaChange]]:
    schema = diff_schemas(
        base.columns, head.columns, old_deps=base.column_deps, new_deps=head.column_deps
    )
    renamed = [(c.column, c.new_name) for c in schema if isinstance(c, ColumnRenamed)]
    gone = [c.column for c in schema if isinstance(c, ColumnDropped)]
    born = [c.column for c in schema if isinstance(c, ColumnAdded)]
    renamed += _computed_renames(base, head, gone, born)
    for old, new in renamed:
        renames.add(base.key, old, new)
    out: list[ColumnChange] = []
    typed: list[SchemaChange] = []

    def srcs(rec: AssetLineage, col: str) -> tuple[str, ...]:
        return tuple(_dep_text(d) for d in _deps_of(rec, col))

    def typ(rec: AssetLineage, col: str) -> str | None:
        info = rec.column(col)
        return info.data_type if info else None

    for old, new in renamed:
        out.append(
            ColumnChange(
                ColumnChangeKind.RENAMED,
                old,
                new_name=new,
                old_type=typ(base, old),
                new_type=typ(head, new),
                old_sources=srcs(base, old),
                new_sources=srcs(head, new),
            )
        )
        typed.append(ColumnRenamed(old, new))
    for g in gone:
        out.append(
            ColumnChange(
                ColumnChangeKind.REMOVED, g, old_type=typ(base, g), old_sources=srcs(base, g)
            )
        )
        typed.append(ColumnDropped(g))
    for c in schema:
        if isinstance(c, ColumnTypeChanged):
            out.append(
                ColumnChange(
                    ColumnChangeKind.RETYPED,
                    c.column,
                    old_type=c.old_type,
                    new_type=c.data_type,
                    old_sources=srcs(base, c.column),
                    new_sources=srcs(head, c.column),
                )
            )
            typed.append(c)
    # values: columns on both sides (renamed ones under their new name)
    pairs = [(c.name, c.name) for c in base.columns if head.column(c.name) is not None]
    pairs += renamed
    retyped = {c.column.lower() for c in out if c.kind is ColumnChangeKind.RETYPED}
    for old, new in pairs:
        detail = _values_detail(_deps_of(base, old), _deps_of(head, new), renames)
        if detail is None and _indirect_view(base, old, renames) != _indirect_of(head, new):
            detail = "window, filter or join inputs changed"
        if detail is None or old.lower() in retyped:
            continue
        out.append(
            ColumnChange(
                ColumnChangeKind.VALUES_CHANGED,
                new,
                old_sources=srcs(base, old),
                new_sources=srcs(head, new),
                detail=detail,
            )
        )
        typed.append(ColumnValuesChanged(new, detail))
    for b in born:
        out.append(
            ColumnChange(
                ColumnChangeKind.ADDED, b, new_type=typ(head, b), new_sources=srcs(head, b)
            )
        )
        typed.append(ColumnAdded(b, typ(head, b)))
    return out, typed


def _indirect_view(
    rec: AssetLineage, column: str, renames: _Renames
) -> frozenset[tuple[ColumnRef, Clause]]:
    return frozenset((renames.ref(r), c) for r, c in _indirect_of(rec, column))


def _model_changes(base: AssetLineage, head: AssetLineage, renames: _Renames) -> list[ModelChange]:
    out = []
    for clause in ROW_CLAUSES:
        a = {renames.ref(r.upstream) for r in base.reads if r.clause is clause}
        b = {_low(r.upstream) for r in head.reads if r.clause is clause}
        if a != b:
            out.append(
                ModelChange(
                    clause.value,
                    added=tuple(r.display() for r in sorted(b - a)),
                    removed=tuple(r.display() for r in sorted(a - b)),
                )
            )
    ups_a, ups_b = set(base.upstream), set(head.upstream)
    if ups_a != ups_b:
        out.append(
            ModelChange(
                None,
                added=tuple(key_to_str(k) for k in sorted(ups_b - ups_a)),
                removed=tuple(key_to_str(k) for k in sorted(ups_a - ups_b)),
            )
        )
    return out


def _followed_renames(base: AssetLineage, head: AssetLineage, renames: _Renames) -> list[str]:
    """Head references that differ from the base ones only by an upstream rename."""
    out = []
    for c in base.columns:
        a, b = _edge_set(_deps_of(base, c.name), None), _edge_set(_deps_of(head, c.name), None)
        if a != b:
            out += [
                f"{c.name} reads {ref.display()}"
                for ref, _ in sorted(b - a)
                if ref in {renames.ref(r) for r, _ in a}
            ]
    raw_reads = {(_low(r.upstream), r.clause) for r in base.reads}
    mapped_reads = {(renames.ref(r.upstream), r.clause) for r in base.reads}
    for r in sorted(head.reads):
        ref = (_low(r.upstream), r.clause)
        if ref in raw_reads:
            continue
        if ref not in mapped_reads:
            return []  # a change the renames do not explain (e.g. an ORDER BY): not "only renames"
        out.append(f"{r.clause.value} reads {r.upstream.display()}")
    return out


def _category(columns: Sequence[ColumnChange], model: Sequence[ModelChange]) -> Category:
    if any(c.kind.breaks_names for c in columns):
        return Category.BREAKING
    if model or any(c.kind is ColumnChangeKind.VALUES_CHANGED for c in columns):
        return Category.VALUES_CHANGED
    return Category.NON_BREAKING


def _diff_modified(base: AssetLineage, head: AssetLineage, renames: _Renames) -> AssetDiff:
    columns, typed = _column_changes(base, head, renames)
    model = _model_changes(base, head, renames)
    notes = []
    if head.unknowns:
        notes.append(
            "lineage incomplete: "
            + "; ".join((f"{u.column}: " if u.column else "") + u.reason for u in head.unknowns)
        )
    if not head.columns and not head.column_deps:
        notes.append("no column lineage recorded: column changes cannot be listed")
    followed = _followed_renames(base, head, renames) if not columns and not model else []
    if followed:
        notes.append("follows upstream renames: " + ", ".join(followed))
    elif not columns and not model:
        model = [ModelChange("unattributed")]
    if model:
        typed.append(RowsChanged("; ".join(m.describe() for m in model)))
    return AssetDiff(
        key=head.key,
        status=AssetStatus.MODIFIED,
        asset_type=head.asset_type,
        category=_category(columns, model),
        columns=tuple(columns),
        model_changes=tuple(model),
        changes=tuple(typed),
        owners=tuple(sorted(set(head.owners))),
        source_ref=head.source_ref,
        notes=tuple(notes),
    )


def _analysis_record(
    base: LineageState, head: LineageState, key: AssetKeyPath, changed: set[AssetKeyPath]
) -> AssetLineage:
    """Head records for changed or new assets; base lineage (head owners/tags) for the others."""
    h = head.get(key)
    if h is None:
        b = base.get(key)
        assert b is not None
        return b
    if key in changed or base.same_record(head, key):
        return h
    b = base.get(key)
    if b is None:
        return h
    return dataclasses.replace(h, **{f: getattr(b, f) for f in _LINEAGE_FIELDS})


def _analysis_graph(
    base: LineageState, head: LineageState, changed: set[AssetKeyPath]
) -> LineageGraph:
    """The graph the impact walk runs on: the changed assets and everything downstream of them.

    Upstream keys come from the undecoded records (the base's for an unchanged asset, whose
    lineage the analysis uses); only the records the walk can reach are decoded.
    """
    children: dict[AssetKeyPath, list[AssetKeyPath]] = {}
    b_keys, h_keys = base.keys_set(), head.keys_set()
    for key in b_keys | h_keys:
        lineage_from = head if key not in b_keys or (key in changed and key in h_keys) else base
        for up in lineage_from.upstream_keys(key):
            children.setdefault(up, []).append(key)
    reach = set(changed)
    stack = list(changed)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in reach:
                reach.add(child)
                stack.append(child)
    return LineageGraph.from_records(
        _analysis_record(base, head, k, changed) for k in sorted(reach)
    )


def _skeleton_order(base: LineageState, head: LineageState) -> list[AssetKeyPath]:
    """Every key, upstream before downstream (see :func:`_merged_order`), without decoding."""
    graphs = [
        LineageGraph.from_records(
            AssetLineage(key=k, upstream=s.upstream_keys(k)) for k in s.keys()
        )
        for s in (base, head)
    ]
    return _merged_order(*graphs)


def diff_states(
    base: LineageState | Iterable[AssetLineage],
    head: LineageState | Iterable[AssetLineage],
    *,
    base_label: str | None = None,
    head_label: str | None = None,
) -> LineageDiff:
    """Compare two lineage states and analyse the downstream impact of every change.

    Args:
        base: the state before (e.g. the pull request's base branch).
        head: the state after (e.g. the pull request's head or the working tree).
        base_label: how to name ``base`` in reports (a file, a ref and its commit).
        head_label: how to name ``head`` in reports.

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage
        >>> d = diff_states([AssetLineage(key=("a",), code_checksum="1")],
        ...                 [AssetLineage(key=("b",), code_checksum="2")])
        >>> [(a.key_str, a.status.value, a.category.value) for a in d.assets]
        [('a', 'removed', 'breaking'), ('b', 'added', 'non-breaking')]
    """
    b_state, h_state = _as_state(base), _as_state(head)
    project = head.project if isinstance(head, LineageState) else None
    renames = _Renames()
    diffs: list[AssetDiff] = []
    # fingerprints first: identical records (most of them) are never decoded
    b_keys, h_keys = b_state.keys_set(), h_state.keys_set()
    candidates = {
        k for k in b_keys | h_keys if k not in b_keys or k not in h_keys
    } | {k for k in b_keys & h_keys if not b_state.same_record(h_state, k)}
    unchanged = len(b_keys & h_keys) - len(candidates & b_keys & h_keys)
    # upstream assets first, so that a rename upstream is known when comparing its consumers
    order = [k for k in _skeleton_order(b_state, h_state) if k in candidates]
    for key in order:
        b, h = b_state.get(key), h_state.get(key)
        if b is None and h is None:
            continue
        if b is None:
            assert h is not None
            diffs.append(
                AssetDiff(
                    key,
                    AssetStatus.ADDED,
                    h.asset_type,
                    Category.NON_BREAKING,
                    columns=tuple(
                        ColumnChange(ColumnChangeKind.ADDED, c.name, new_type=c.data_type)
                        for c in h.columns
                    ),
                    owners=tuple(sorted(set(h.owners))),
                    source_ref=h.source_ref,
                )
            )
        elif h is None:
            diffs.append(
                AssetDiff(
                    key,
                    AssetStatus.REMOVED,
                    b.asset_type,
                    Category.BREAKING,
                    changes=(TableDropped(),),
                    owners=tuple(sorted(set(b.owners))),
                    source_ref=b.source_ref,
                )
            )
        elif _modified(b, h):
            diffs.append(_diff_modified(b, h, renames))
        else:
            unchanged += 1
    changed = {d.key for d in diffs}
    impacts: dict[AssetKeyPath, ImpactReport] = {}
    if any(d.changes for d in diffs):
        graph = _analysis_graph(b_state, h_state, changed)
        for d in diffs:
            if d.changes:
                impacts[d.key] = analyze_impact(graph, d.key, d.changes, validate=False)
    diffs.sort(key=lambda d: d.key)
    return LineageDiff(
        assets=tuple(diffs),
        impacts=dict(sorted(impacts.items())),
        project=project,
        base_label=base_label,
        head_label=head_label,
        unchanged=unchanged,
    )


def _merged_order(base: LineageGraph, head: LineageGraph) -> list[AssetKeyPath]:
    """Every key, upstream before downstream where the head (then the base) graph says so."""
    seen: dict[AssetKeyPath, None] = {}
    for g in (head, base):
        try:
            order = g.topological_order()
        except DagsterLineageError:  # a cycle: fall back to key order
            order = sorted(g.keys)
        for k in order:
            seen.setdefault(k, None)
    return list(seen)
