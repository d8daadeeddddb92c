"""Turn a :class:`~dagster_lineage.sql.types.StatementLineage` into the parts of an AssetLineage.

The dbt, Airflow and Spark integrations all analyse SQL with
:func:`~dagster_lineage.sql.lineage.statement_lineage`, then map table names to asset keys here, so
every integration builds the same edges, reads and unknowns. Pure: no Dagster import.

Examples:
    >>> from dagster_lineage.sql.lineage import statement_lineage
    >>> from dagster_lineage.sql.records import lineage_parts, table_resolver
    >>> lin = statement_lineage(
    ...     "select id, amt as amount from orders join fx using (id)",
    ...     schema={"orders": {"id": "int", "amt": "int"}, "fx": {"id": "int"}},
    ... )
    >>> parts = lineage_parts(lin, table_resolver({"orders": ("raw_orders",)}))
    >>> parts.upstream
    (('raw_orders',),)
    >>> [d.upstream.display() + " " + d.kind.value for d in parts.column_deps["amount"]]
    ['raw_orders.amt rename']
    >>> parts.unknowns[0].reason
    "table 'fx' is not a known asset: its columns are left out of the lineage"
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from dagster_lineage.core.model import (
    AssetKeyPath,
    AssetLineage,
    ColumnDep,
    ColumnInfo,
    ColumnRead,
    ColumnRef,
    EdgeKind,
    Unknown,
)
from dagster_lineage.sql.naming import match_table_name
from dagster_lineage.sql.types import StatementLineage

TableResolver = Callable[[str], AssetKeyPath | None]
"""Maps a normalised table name (``main.raw_orders``) to an asset key, or ``None``."""


@dataclass(frozen=True)
class LineageParts:
    """The SQL-derived fields of an :class:`~dagster_lineage.core.model.AssetLineage`.

    Pass them on with ``AssetLineage(key=..., **parts.as_kwargs())``.

    Examples:
        >>> LineageParts().as_kwargs()["upstream"]
        ()
    """

    upstream: tuple[AssetKeyPath, ...] = ()
    columns: tuple[ColumnInfo, ...] = ()
    column_deps: Mapping[str, tuple[ColumnDep, ...]] = field(default_factory=dict)
    reads: tuple[ColumnRead, ...] = ()
    star_upstreams: tuple[AssetKeyPath, ...] = ()
    unknowns: tuple[Unknown, ...] = ()

    def as_kwargs(self) -> dict[str, object]:
        """The fields as keyword arguments for ``AssetLineage``.

        Examples:
            >>> from dagster_lineage.core.model import AssetLineage
            >>> AssetLineage(key=("a",), **LineageParts().as_kwargs()).upstream
            ()
        """
        return {
            "upstream": self.upstream,
            "columns": self.columns,
            "column_deps": dict(self.column_deps),
            "reads": self.reads,
            "star_upstreams": self.star_upstreams,
            "unknowns": self.unknowns,
        }


def lineage_parts(
    lineage: StatementLineage,
    resolve_table: TableResolver,
    *,
    self_key: AssetKeyPath | None = None,
) -> LineageParts:
    """Map a statement's tables to asset keys and build the record's lineage fields.

    Tables that resolve to no asset are reported once each in ``unknowns`` (their edges and reads
    are left out); a table resolving to ``self_key`` (e.g. an incremental model reading itself) is
    not an upstream.

    Args:
        lineage: the result of :func:`~dagster_lineage.sql.lineage.statement_lineage`.
        resolve_table: table name -> asset key (or ``None`` when it is no known asset).
        self_key: the key of the asset being described.

    Examples:
        >>> from dagster_lineage.sql.types import OutputColumn, SourceColumn, StatementLineage
        >>> from dagster_lineage.core.model import EdgeKind
        >>> lin = StatementLineage(
        ...     columns=(OutputColumn("x", (SourceColumn("t", "x", EdgeKind.IDENTITY),), "INT"),),
        ...     tables=("t",),
        ... )
        >>> parts = lineage_parts(lin, lambda name: (name,))
        >>> parts.columns[0].data_type, parts.column_deps["x"][0].upstream.display()
        ('INT', 't.x')
    """
    keys: dict[str, AssetKeyPath | None] = {}
    unknowns: list[Unknown] = list(lineage.unknowns)
    names = set(lineage.tables) | set(lineage.star_tables)
    names |= {s.table for c in lineage.columns for s in c.sources}
    names |= {r.table for r in lineage.reads}
    for name in sorted(names):
        key = resolve_table(name)
        keys[name] = key
        if key is None:
            unknowns.append(
                Unknown(
                    f"table '{name}' is not a known asset: its columns are left out of the lineage"
                )
            )

    def ref(table: str, column: str) -> ColumnRef | None:
        key = keys.get(table)
        if key is None or key == self_key:
            return None
        return ColumnRef(key, column)

    column_deps: dict[str, tuple[ColumnDep, ...]] = {}
    for col in lineage.columns:
        deps = set()
        for src in col.sources:
            r = ref(src.table, src.column)
            if r is not None:
                # a later UNION branch's column feeds the output under the first branch's name:
                # its name's fate does not follow (a rename edge for the impact analysis)
                kind = EdgeKind.RENAME if src.by_position else src.kind
                deps.add(ColumnDep(r, kind))
        column_deps[col.name] = tuple(sorted(deps))
    reads = set()
    for read in lineage.reads:
        r = ref(read.table, read.column)
        if r is not None:
            reads.add(ColumnRead(r, read.clause))
    upstream = {k for k in keys.values() if k is not None and k != self_key}
    stars = {keys[t] for t in lineage.star_tables if keys.get(t) is not None}
    return LineageParts(
        upstream=tuple(sorted(upstream)),
        columns=tuple(ColumnInfo(c.name, c.data_type) for c in lineage.columns),
        column_deps=column_deps,
        reads=tuple(sorted(reads)),
        star_upstreams=tuple(sorted(k for k in stars if k is not None and k != self_key)),
        unknowns=tuple(dict.fromkeys(unknowns)),
    )


def table_resolver(
    tables: Mapping[str, AssetKeyPath], *, dialect: str | None = None
) -> TableResolver:
    """A resolver matching table names to ``tables`` keys by suffix (see ``match_table_name``).

    Examples:
        >>> resolve = table_resolver({"main.raw_orders": ("raw_orders",)})
        >>> resolve("raw_orders"), resolve("db.main.raw_orders"), resolve("other")
        (('raw_orders',), ('raw_orders',), None)
    """
    names = list(tables)
    cache: dict[str, AssetKeyPath | None] = {}

    def resolve(name: str) -> AssetKeyPath | None:
        if name not in cache:
            match = match_table_name(name, names, dialect=dialect)
            cache[name] = tables[match] if match is not None else None
        return cache[name]

    return resolve


def build_schema(
    records: Iterable[AssetLineage],
    table_name_of: Callable[[AssetLineage], str | Iterable[str] | None] | None = None,
) -> dict[str, dict[str, str | None]]:
    """The ``schema`` mapping for ``statement_lineage`` from records with known columns.

    Args:
        records: known assets (records without columns are skipped).
        table_name_of: the table name(s) an asset is known by in SQL; defaults to its key parts
            joined by ``.``.

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage, ColumnInfo
        >>> rec = AssetLineage(key=("raw_orders",), columns=(ColumnInfo("id", "integer"),))
        >>> build_schema([rec])
        {'raw_orders': {'id': 'integer'}}
        >>> build_schema([rec], lambda r: ["main." + r.key[-1]])
        {'main.raw_orders': {'id': 'integer'}}
    """
    out: dict[str, dict[str, str | None]] = {}
    for rec in records:
        if not rec.columns:
            continue
        named = table_name_of(rec) if table_name_of is not None else ".".join(rec.key)
        if named is None:
            continue
        for name in [named] if isinstance(named, str) else named:
            out[name] = {c.name: c.data_type for c in rec.columns}
    return out
