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
    Clause,
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


def unknown_table(name: str, detail: str | None = None) -> Unknown:
    """The one unknown for a table that maps to no asset (every integration reports it so).

    Examples:
        >>> unknown_table("fx").reason
        "table 'fx' is not a known asset: its columns are left out of the lineage"
        >>> unknown_table("orders", "it matches main.orders and sales.orders").reason
        "table 'orders' is not a known asset (it matches main.orders and sales.orders): its columns are left out of the lineage"
    """
    why = f" ({detail})" if detail else ""
    return Unknown(
        f"table '{name}' is not a known asset{why}: its columns are left out of the lineage"
    )


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
    indirect_deps: Mapping[str, tuple[ColumnRead, ...]] = field(default_factory=dict)
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
            "indirect_deps": dict(self.indirect_deps),
            "star_upstreams": self.star_upstreams,
            "unknowns": self.unknowns,
        }


def lineage_parts(
    lineage: StatementLineage,
    resolve_table: TableResolver,
    *,
    self_key: AssetKeyPath | None = None,
    explain: Callable[[str], str | None] | None = None,
) -> LineageParts:
    """Map a statement's tables to asset keys and build the record's lineage fields.

    Tables that resolve to no asset are reported once each in ``unknowns`` (their edges and reads
    are left out; ``explain`` may add why, e.g. the ambiguous candidates); a table resolving to
    ``self_key`` (an incremental model or a job reading its own previous output) is not an
    upstream and not an unknown.

    Args:
        lineage: the result of :func:`~dagster_lineage.sql.lineage.statement_lineage`.
        resolve_table: table name -> asset key (or ``None`` when it is no known asset).
        self_key: the key of the asset being described.
        explain: table name -> a detail for the unknown of an unresolved table.

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
    for col in lineage.columns:
        names.update(s.table for s in col.sources)
        names.update(r.table for r in col.indirect)
    names.update(r.table for r in lineage.reads)
    for name in sorted(names):
        key = resolve_table(name)
        keys[name] = key
        if key is None:
            unknowns.append(unknown_table(name, explain(name) if explain else None))

    # de-duplicated and sorted as plain tuples (the dataclasses' own order), one ColumnRef each
    refs: dict[tuple[AssetKeyPath, str], ColumnRef] = {}

    def ref(key: AssetKeyPath, column: str) -> ColumnRef:
        found = refs.get((key, column))
        if found is None:
            found = refs[(key, column)] = ColumnRef(key, column)
        return found

    def kept(table: str) -> AssetKeyPath | None:
        key = keys.get(table)
        return None if key is None or key == self_key else key

    column_deps: dict[str, tuple[ColumnDep, ...]] = {}
    indirect_deps: dict[str, tuple[ColumnRead, ...]] = {}
    for col in lineage.columns:
        deps: dict[tuple[AssetKeyPath, str, EdgeKind], None] = {}
        for src in col.sources:
            k = kept(src.table)
            if k is not None:
                # a later UNION branch's column feeds the output under the first branch's name:
                # its name's fate does not follow (a rename edge for the impact analysis)
                kind = EdgeKind.RENAME if src.by_position else src.kind
                deps[(k, src.column, kind)] = None
        column_deps[col.name] = tuple([ColumnDep(ref(k, c), kd) for k, c, kd in sorted(deps)])
        if col.indirect:
            shaping: dict[tuple[AssetKeyPath, str, Clause], None] = {}
            for read in col.indirect:
                k = kept(read.table)
                if k is not None:
                    shaping[(k, read.column, read.clause)] = None
            if shaping:
                indirect_deps[col.name] = tuple(
                    [ColumnRead(ref(k, c), cl) for k, c, cl in sorted(shaping)]
                )
    read_keys: dict[tuple[AssetKeyPath, str, Clause], None] = {}
    for read in lineage.reads:
        k = kept(read.table)
        if k is not None:
            read_keys[(k, read.column, read.clause)] = None
    upstream = {k for k in keys.values() if k is not None and k != self_key}
    stars = {k for k in (kept(t) for t in lineage.star_tables) if k is not None}
    return LineageParts(
        upstream=tuple(sorted(upstream)),
        columns=tuple([ColumnInfo(c.name, c.data_type) for c in lineage.columns]),
        column_deps=column_deps,
        reads=tuple([ColumnRead(ref(k, c), cl) for k, c, cl in sorted(read_keys)]),
        indirect_deps=indirect_deps,
        star_upstreams=tuple(sorted(stars)),
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
