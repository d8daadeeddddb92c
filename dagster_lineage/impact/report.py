"""The impact report: what a change set does downstream (assets, references, risk).

Immutable results of :func:`~dagster_lineage.impact.analysis.analyze_impact`, with traversal
helpers and the stable JSON form (``schema_version`` :data:`REPORT_SCHEMA_VERSION`).

Examples:
    >>> RiskLevel("high").rank
    3
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from dagster_lineage.core.model import AssetKeyPath, AssetType, ColumnRef, EdgeKind, key_to_str
from dagster_lineage.impact.policy import (
    BreakingPolicy,
    PolicyDecision,
    PolicySource,
    resolve_policy,
)
from dagster_lineage.impact.schema_changes import (
    ColumnDropped,  # noqa: F401  (used in doctests)
    ColumnRenamed,
    ColumnTypeChanged,
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

MATERIALIZED_TAG = "dbt_materialized"
"""Record tag naming a dbt model's materialization when it keeps data across runs (``incremental``)."""
ON_SCHEMA_CHANGE_TAG = "dbt_on_schema_change"
"""Record tag holding an incremental model's ``on_schema_change`` (dbt's default: ``ignore``)."""


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
        cause: why, a :class:`Cause` (equal to its code: ``by_name``, ``star``, ...) that
            carries its sentence; :attr:`reason` fills it in.
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
    cause: Cause
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
    actions: tuple[str, ...] = ()
    """What the user must do besides fixing the SQL: an incremental model to rebuild with
    ``--full-refresh``, a snapshot whose history keeps the old column."""
    on_breaking: BreakingPolicy | None = None
    """The asset's own breaking-change policy (its ``on_breaking`` tag), if it declares one."""
    feeds_exposure: bool = False
    """True when an exposure is downstream of the asset."""

    @property
    def is_exposure(self) -> bool:
        """True for a dbt exposure (a dashboard, report, application)."""
        return self.asset_type is AssetType.DBT_EXPOSURE

    @property
    def is_critical(self) -> bool:
        """True when tagged ``criticality: high`` (or ``critical``)."""
        return (self.criticality or "").lower() in _CRITICAL_VALUES

    @property
    def is_critical_for_policy(self) -> bool:
        """Critical for the breaking-change policy: tagged critical, an exposure, or feeding one."""
        return self.is_critical or self.is_exposure or self.feeds_exposure

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


@dataclass(frozen=True)
class ImpactReport:
    """The result of :func:`analyze_impact`: immutable, with traversal helpers.

    Examples:
        >>> from dagster_lineage.core.graph import LineageGraph
        >>> from dagster_lineage.core.model import AssetLineage
        >>> g = LineageGraph.from_records([AssetLineage(key=("raw",)), AssetLineage(key=("b",), upstream=(("raw",),))])
        >>> from dagster_lineage.impact.analysis import analyze_impact
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
    change_assets: tuple[AssetKeyPath, ...] = ()
    """The asset each change applies to (parallel to ``changes``; empty: all apply to ``asset``).
    A migration can change several assets at once (``analyze_changes``)."""
    on_breaking: BreakingPolicy | None = None
    """The changed asset's own breaking-change policy (its ``on_breaking`` tag)."""
    default_policy: BreakingPolicy | None = None
    """The caller's default policy (component YAML, Python API, CLI), below the assets' own."""

    @property
    def policy(self) -> PolicyDecision:
        """Block or warn, and which asset's policy decided (see :mod:`~dagster_lineage.impact.policy`).

        The first breaking asset (report order) whose policy blocks decides; when every breaking
        asset allows warnings, the first of them names the rule.
        """
        decisions = [
            resolve_policy(
                a.key,
                own=a.on_breaking,
                critical=a.is_critical_for_policy,
                changed_asset=self.asset,
                changed_asset_policy=self.on_breaking,
                default=self.default_policy,
            )
            for a in self.breaking
        ]
        if not decisions:
            return PolicyDecision(None, None, PolicySource.NOTHING_BREAKS)
        return next((d for d in decisions if d.blocks), decisions[0])

    @property
    def blocked(self) -> bool:
        """True when something breaks and the policy says block."""
        return self.has_breaking and self.policy.blocks

    @property
    def verdict(self) -> str:
        """The one-line verdict: what the change does, what it breaks, what the policy decided.

        The message of the Dagster gate and impact check, and the CLI's summary line.

        Examples:
            >>> from dagster_lineage.core.graph import LineageGraph
            >>> from dagster_lineage.core.model import AssetLineage
            >>> from dagster_lineage.impact.analysis import analyze_impact
            >>> g = LineageGraph.from_records([AssetLineage(key=("raw",)),
            ...     AssetLineage(key=("b",), upstream=(("raw",),), tags={"on_breaking": "warn"})])
            >>> analyze_impact(g, "raw", [TableDropped()]).verdict
            'Schema change to raw is breaking (risk MEDIUM): breaks b; policy: warn (on_breaking: warn, set on the breaking asset b)'
        """
        subject = ", ".join(key_to_str(k) for k in self.changed_assets)
        risk = f"(risk {self.risk.value.upper()})"
        if not self.impacted:
            return f"Schema change to {subject} affects nothing downstream {risk}"
        parts = []
        if self.breaking:
            parts.append("breaks " + ", ".join(key_to_str(a.key) for a in self.breaking))
        if self.warnings:
            parts.append("warnings on " + ", ".join(key_to_str(a.key) for a in self.warnings))
        if not self.breaking:
            return f"Schema change to {subject} breaks nothing {risk}: {'; '.join(parts)}"
        text = f"Schema change to {subject} is breaking {risk}: {'; '.join(parts)}"
        text += f"; policy: {self.policy.describe()}"
        return text

    def change_asset(self, index: int) -> AssetKeyPath:
        """The asset ``changes[index]`` applies to."""
        return self.change_assets[index] if self.change_assets else self.asset

    @property
    def changed_assets(self) -> tuple[AssetKeyPath, ...]:
        """Every asset whose schema changes, in order (``asset`` first)."""
        return tuple(dict.fromkeys(self.change_assets or (self.asset,)))

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

    @property
    def actions(self) -> tuple[tuple[AssetKeyPath, str], ...]:
        """What to do for tables that keep data (incremental models, snapshots): ``(asset, action)``."""
        return tuple((a.key, x) for a in self.impacted for x in a.actions)

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
        """``1`` when the change blocks, else ``0``.

        ``fail_on=BREAKING`` (the default): a breaking change whose policy is ``block``
        (:attr:`policy`); ``fail_on=WARNING``: anything affected, breaking or warning.
        """
        if fail_on == Severity.BREAKING:
            return 1 if self.blocked else 0
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
                {
                    **c.to_dict(),
                    "asset": key_to_str(self.change_asset(i)),
                    "destructive": c.destructive,
                    "description": c.describe(),
                }
                for i, c in enumerate(self.changes)
            ],
            "risk_level": self.risk.value,
            "risk_reasons": list(self.risk_reasons),
            "severity": self.severity.label,
            "policy": self.policy.to_dict(),
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
                    "on_breaking": a.on_breaking.value if a.on_breaking else None,
                    "owners": list(a.owners),
                    "referenced_columns": list(a.referenced_columns),
                    "references": [r.to_dict(change_idx(r.change)) for r in a.references],
                    "unknowns": list(a.unknowns),
                    "actions": list(a.actions),
                }
                for a in self.impacted
            ],
            "exposures": [key_to_str(a.key) for a in self.exposures],
            "owners_to_notify": list(self.owners_to_notify),
            "unknowns": [{"asset": key_to_str(k), "reason": u} for k, u in self.unknowns],
        }


BreakingPredicate = Callable[[Reference], bool]
"""``is_breaking(reference) -> bool``: overrides the default severity of every reference."""


class Cause(str, Enum):
    """Why a reference is affected; each member carries its sentence (``{...}`` from the reference).

    Compares equal to its code (``Cause.BY_NAME == "by_name"``), which is what the JSON holds.

    Examples:
        >>> Cause("star_shape").template
        'consumes select * from {table}, whose shape changes ({change})'
    """

    template: str

    def __new__(cls, code: str, template: str) -> Cause:  # noqa: D102
        member = str.__new__(cls, code)
        member._value_ = code
        member.template = template
        return member

    BY_NAME = ("by_name", "{verb} {col} by name {where}; {column} would {fate}")
    STAR = (
        "star",
        "consumes select * from {table}: column {column} would {fate} in its output",
    )
    STAR_SHAPE = ("star_shape", "consumes select * from {table}, whose shape changes ({change})")
    ADD_STAR = ("add_star", "consumes select * from {table}: its output would gain column {out}")
    DERIVED = ("derived", "{derives}{derived_from} ({change})")
    TYPE_DERIVED = ("type_derived", "{out} is a {kind} of {col}, whose type changes to {dtype}")
    TYPE_READ = ("type_read", "reads {col} in {usage}; its type changes to {dtype}")
    CONTRACT = (
        "contract",
        "enforced contract declares {out} as {detail}; it passes {col} through, whose type "
        "would become {dtype}",
    )
    CONTRACT_OK = (
        "contract_ok",
        "passes {col} through; its type changes to {dtype} (matches the contract)",
    )
    TYPE_SAFE = ("type_safe", "{derives}: {detail}, every value still fits")
    TYPE_RISK = ("type_risk", "{derives}: {detail}")
    TYPE_CAST = (
        "type_cast",
        "{derives}, recorded as {detail} (a cast in its SQL keeps that type; an inferred type "
        "follows the new one on the next build)",
    )
    TYPE_PASS = (
        "type_pass",
        "passes {col} through into {out}; its type changes to {dtype} (no enforced contract)",
    )
    TABLE = ("table", "depends on {table} by name, which {table_fate}")
    STALE = (
        "stale",
        "depends on {table}, which breaks until its reference to {root} is updated ({change})",
    )
    UNKNOWN = (
        "unknown",
        "lineage incomplete ({detail}); depends on {table}, which is affected by {change}",
    )

    def explain(self, r: Reference) -> str:
        """The sentence for reference ``r``."""
        change = r.change
        col = r.column.display()
        origin = r.path[0].display() if r.path[0].column != "*" else key_to_str(r.path[0].asset)
        where = f"into {r.output_column} ({r.kind.value})" if r.kind else f"in {r.usage.value}"
        return self.template.format(
            verb="selects" if r.output_column else "reads",
            col=col,
            column=r.column.column,
            where=where,
            fate=_fate(change),
            table=key_to_str(r.column.asset),
            change=change.describe(),
            out=r.output_column,
            origin=origin,
            root=key_to_str(r.path[0].asset),
            derives=f"{r.output_column} derives from {col}"
            if r.output_column
            else f"reads {col} in {where[3:]}",
            derived_from="" if col == origin else f", which derives from {origin}",
            kind=r.kind.value if r.kind else "use",
            dtype=change.data_type if isinstance(change, ColumnTypeChanged) else "",
            usage=r.usage.value,
            detail=r.detail,
            table_fate=f"would be renamed to {change.new_name}"
            if isinstance(change, TableRenamed)
            else "would be dropped",
        )


def _reason(r: Reference) -> str:
    cause = r.cause if isinstance(r.cause, Cause) else _CAUSES[r.cause]
    return cause.explain(r)


_CAUSES = {c.value: c for c in Cause}


def _fate(change: SchemaChange) -> str:
    if isinstance(change, ColumnRenamed):
        return f"no longer exist (renamed to {change.new_name})"
    return "no longer exist"
