"""The lineage model: one immutable :class:`AssetLineage` record per asset.

Pure Python, no Dagster import. Every integration (dbt, Airflow, Spark, file globs) turns its tool's
artefacts into these records; :class:`~dagster_lineage.core.graph.LineageGraph` joins them.

Examples:
    >>> from dagster_lineage.core.model import (
    ...     AssetLineage, AssetType, ColumnDep, ColumnInfo, ColumnRef, EdgeKind,
    ... )
    >>> rec = AssetLineage(
    ...     key=("stg_orders",),
    ...     asset_type=AssetType.DBT_MODEL,
    ...     upstream=(("raw_orders",),),
    ...     columns=(ColumnInfo("order_id", "integer"),),
    ...     column_deps={"order_id": (ColumnDep(ColumnRef(("raw_orders",), "order_id")),)},
    ... )
    >>> AssetLineage.from_json(rec.to_json()) == rec
    True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

AssetKeyPath = tuple[str, ...]
"""An asset key as its path of parts, e.g. ``("analytics", "fct_orders")``."""


def key_to_str(key: AssetKeyPath) -> str:
    """Render an asset key path the way Dagster's CLI does (parts joined by ``/``).

    Examples:
        >>> key_to_str(("analytics", "fct_orders"))
        'analytics/fct_orders'
    """
    return "/".join(key)


def key_from_str(text: str) -> AssetKeyPath:
    """Parse ``a/b/c`` (or ``a.b.c`` when it has no slash) into an asset key path.

    Examples:
        >>> key_from_str("analytics/fct_orders")
        ('analytics', 'fct_orders')
        >>> key_from_str("raw_orders")
        ('raw_orders',)
    """
    text = text.strip()
    if "/" in text:
        return tuple(p for p in text.split("/") if p)
    return (text,)


class AssetType(str, Enum):
    """What kind of thing an asset is.

    Examples:
        >>> AssetType("dbt_model").label
        'DBT_MODEL'
    """

    TABLE = "table"
    DBT_MODEL = "dbt_model"
    DBT_SEED = "dbt_seed"
    DBT_SNAPSHOT = "dbt_snapshot"
    DBT_SOURCE = "dbt_source"
    DBT_EXPOSURE = "dbt_exposure"
    DAG = "dag"
    SPARK_JOB = "spark_job"
    FILE_MODEL = "file_model"
    ASSET = "asset"

    @property
    def label(self) -> str:
        """Upper-case label used in tree output, e.g. ``[DBT_MODEL]``."""
        return self.value.upper()


class EdgeKind(str, Enum):
    """How an output column derives from an upstream column.

    ``IDENTITY``: the same value under the same name; ``RENAME``: the same value under another name;
    ``TRANSFORMATION``: a function of it (expression, CASE, cast, window function);
    ``AGGREGATION``: an aggregate over it.

    Examples:
        >>> EdgeKind.IDENTITY.is_pass_through, EdgeKind.AGGREGATION.is_pass_through
        (True, False)
    """

    IDENTITY = "identity"
    RENAME = "rename"
    TRANSFORMATION = "transformation"
    AGGREGATION = "aggregation"

    @property
    def is_pass_through(self) -> bool:
        """True when the value flows unchanged (identity or rename)."""
        return self in (EdgeKind.IDENTITY, EdgeKind.RENAME)

    @staticmethod
    def combine(a: EdgeKind, b: EdgeKind) -> EdgeKind:
        """The kind of a two-step path (the stronger of the two; identity+rename is a rename).

        Examples:
            >>> EdgeKind.combine(EdgeKind.RENAME, EdgeKind.IDENTITY)
            <EdgeKind.RENAME: 'rename'>
        """
        order = [EdgeKind.IDENTITY, EdgeKind.RENAME, EdgeKind.TRANSFORMATION, EdgeKind.AGGREGATION]
        return order[max(order.index(a), order.index(b))]


class Clause(str, Enum):
    """Where a column is referenced without being selected.

    Examples:
        >>> Clause("filter")
        <Clause.FILTER: 'filter'>
    """

    SELECT = "select"
    FILTER = "filter"
    JOIN = "join"
    GROUP = "group"
    HAVING = "having"
    ORDER = "order"
    WINDOW = "window"
    QUALIFY = "qualify"


@dataclass(frozen=True, order=True)
class ColumnRef:
    """A column of an asset.

    Examples:
        >>> ColumnRef(("raw_orders",), "order_total").display()
        'raw_orders.order_total'
    """

    asset: AssetKeyPath
    column: str

    def display(self) -> str:
        """``asset.column`` for humans."""
        return f"{key_to_str(self.asset)}.{self.column}"


@dataclass(frozen=True)
class ColumnInfo:
    """An output column with its type (``None`` when unknown) and description.

    Examples:
        >>> ColumnInfo("order_total", "decimal(10,2)").data_type
        'decimal(10,2)'
    """

    name: str
    data_type: str | None = None
    description: str | None = None


@dataclass(frozen=True, order=True)
class ColumnDep:
    """One edge: an output column derives from ``upstream`` by ``kind``.

    Examples:
        >>> ColumnDep(ColumnRef(("a",), "x"), EdgeKind.IDENTITY).kind.value
        'identity'
    """

    upstream: ColumnRef
    kind: EdgeKind = EdgeKind.IDENTITY


@dataclass(frozen=True, order=True)
class ColumnRead:
    """An upstream column the asset reads in a clause other than its output (filter, join, ...).

    Examples:
        >>> ColumnRead(ColumnRef(("a",), "status"), Clause.FILTER).clause.value
        'filter'
    """

    upstream: ColumnRef
    clause: Clause


@dataclass(frozen=True, order=True)
class Unknown:
    """Something the analysis could not resolve, with the reason (never silently dropped).

    ``column`` is the output column concerned, or ``None`` for the whole asset.

    Examples:
        >>> Unknown("dynamic column name", column=None).reason
        'dynamic column name'
    """

    reason: str
    column: str | None = None


@dataclass(frozen=True)
class AssetLineage:
    """Everything dagster-lineage knows about one asset.

    Attributes:
        key: the Dagster asset key path.
        asset_type: what kind of asset it is.
        source_ref: where it comes from (a file path relative to its project, a table, a DAG id).
        upstream: keys of the assets it depends on.
        columns: its output columns (empty when unknown).
        column_deps: for each output column, the upstream columns it derives from.
        reads: upstream columns only read (filters, joins, group-bys, ...).
        indirect_deps: for each output column, the upstream columns that shape it without flowing
            into it, with the clause (window partition/order, filter, join, group): OpenLineage's
            INDIRECT edges.
        star_upstreams: upstream assets consumed through ``SELECT *`` (shape changes propagate).
        unknowns: what could not be resolved, and why.
        code_checksum: checksum of the asset's code (compiled SQL and config, DAG file, job file).
        owners: owners to notify.
        tags: free-form tags (``criticality`` is read by the impact analysis).
        contract_enforced: whether the asset declares an enforced column contract.
        description: free text.

    Examples:
        >>> rec = AssetLineage(key=("a",), asset_type=AssetType.TABLE)
        >>> rec.column_names
        ()
    """

    key: AssetKeyPath
    asset_type: AssetType = AssetType.ASSET
    source_ref: str | None = None
    upstream: tuple[AssetKeyPath, ...] = ()
    columns: tuple[ColumnInfo, ...] = ()
    column_deps: Mapping[str, tuple[ColumnDep, ...]] = field(default_factory=dict)
    reads: tuple[ColumnRead, ...] = ()
    indirect_deps: Mapping[str, tuple[ColumnRead, ...]] = field(default_factory=dict)
    star_upstreams: tuple[AssetKeyPath, ...] = ()
    unknowns: tuple[Unknown, ...] = ()
    code_checksum: str | None = None
    owners: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    contract_enforced: bool = False
    description: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of the output columns, in order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnInfo | None:
        """The output column called ``name`` (case-insensitive), or ``None``."""
        low = name.lower()
        for c in self.columns:
            if c.name.lower() == low:
                return c
        return None

    def referenced_upstream_columns(self) -> set[ColumnRef]:
        """Every upstream column it selects or reads."""
        refs = {d.upstream for deps in self.column_deps.values() for d in deps}
        refs.update(r.upstream for r in self.reads)
        return refs

    # --- serialisation (the record travels on the asset spec as JSON metadata) ---------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, sorted where order carries no meaning, so it serialises deterministically.

        ``indirect_deps`` is present only when the record has some.
        """
        out: dict[str, Any] = {
            "key": list(self.key),
            "asset_type": self.asset_type.value,
            "source_ref": self.source_ref,
            "upstream": [list(k) for k in sorted(set(self.upstream))],
            "columns": [
                {"name": c.name, "data_type": c.data_type, "description": c.description}
                for c in self.columns
            ],
            "column_deps": {
                col: [
                    {
                        "asset": list(d.upstream.asset),
                        "column": d.upstream.column,
                        "kind": d.kind.value,
                    }
                    for d in sorted(set(deps))
                ]
                for col, deps in self.column_deps.items()
            },
            "reads": [
                {
                    "asset": list(r.upstream.asset),
                    "column": r.upstream.column,
                    "clause": r.clause.value,
                }
                for r in sorted(set(self.reads))
            ],
            "star_upstreams": [list(k) for k in sorted(set(self.star_upstreams))],
            "unknowns": [
                {"reason": u.reason, "column": u.column}
                for u in sorted(set(self.unknowns), key=_unknown_key)
            ],
            "code_checksum": self.code_checksum,
            "owners": sorted(set(self.owners)),
            "tags": dict(sorted(self.tags.items())),
            "contract_enforced": self.contract_enforced,
            "description": self.description,
        }
        if self.indirect_deps:
            out["indirect_deps"] = {
                col: [
                    {
                        "asset": list(r.upstream.asset),
                        "column": r.upstream.column,
                        "clause": r.clause.value,
                    }
                    for r in sorted(set(reads))
                ]
                for col, reads in sorted(self.indirect_deps.items())
                if reads
            }
        return out

    def to_json(self) -> str:
        """Deterministic JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AssetLineage:
        """Inverse of :meth:`to_dict`."""
        edge_kind, clause = _EDGE_KINDS.__getitem__, _CLAUSES.__getitem__
        return cls(
            key=tuple(data["key"]),
            asset_type=AssetType(data.get("asset_type", "asset")),
            source_ref=data.get("source_ref"),
            upstream=tuple(tuple(k) for k in data.get("upstream", [])),
            columns=tuple(
                ColumnInfo(c["name"], c.get("data_type"), c.get("description"))
                for c in data.get("columns", [])
            ),
            column_deps={
                col: tuple(
                    ColumnDep(ColumnRef(tuple(d["asset"]), d["column"]), edge_kind(d["kind"]))
                    for d in deps
                )
                for col, deps in data.get("column_deps", {}).items()
            },
            reads=tuple(
                ColumnRead(ColumnRef(tuple(r["asset"]), r["column"]), clause(r["clause"]))
                for r in data.get("reads", [])
            ),
            indirect_deps={
                col: tuple(
                    ColumnRead(ColumnRef(tuple(r["asset"]), r["column"]), clause(r["clause"]))
                    for r in reads
                )
                for col, reads in data.get("indirect_deps", {}).items()
            },
            star_upstreams=tuple(tuple(k) for k in data.get("star_upstreams", [])),
            unknowns=tuple(Unknown(u["reason"], u.get("column")) for u in data.get("unknowns", [])),
            code_checksum=data.get("code_checksum"),
            owners=tuple(data.get("owners", [])),
            tags=dict(data.get("tags", {})),
            contract_enforced=bool(data.get("contract_enforced", False)),
            description=data.get("description"),
        )

    @classmethod
    def from_json(cls, text: str) -> AssetLineage:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AssetLineage):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(self.to_json())


_EDGE_KINDS = {k.value: k for k in EdgeKind}
_CLAUSES = {c.value: c for c in Clause}


def _unknown_key(u: Unknown) -> tuple[str, str]:
    return (u.column or "", u.reason)


