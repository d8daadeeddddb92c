"""Compare an asset's old and new output schemas and turn the difference into changes.

Used for a model edit (the output schema of a model's new SQL against the schema recorded at its
last materialization) and for schema drift of a source table.

A column missing from the new schema and a column new in it are recognised as a **rename** (not a
drop plus an add) when lineage shows it: both derive, by a pass-through edge (identity or rename),
from the same upstream column (``old_deps`` is the lineage of the old schema, e.g. the graph's
record; ``new_deps`` the lineage of the new SQL). When only the new lineage is known (a schema
recorded at materialization carries no lineage), the new column must pass through an upstream
column that bears the old column's name. Only an unambiguous match (one candidate) is a rename.
Without lineage, the caller may pass explicit ``renames``. Types are compared after normalisation (``int4`` == ``integer``); an unknown type on
either side is never reported as a type change.

Pure Python plus sqlglot; no Dagster import.

Examples:
    >>> from dagster_lineage.core.model import ColumnDep, ColumnRef
    >>> src = ColumnDep(ColumnRef(("raw",), "order_total"))
    >>> diff_schemas(
    ...     [("order_id", "integer"), ("order_total", "decimal(10,2)")],
    ...     [("order_id", "bigint"), ("total_amount", "decimal(10,2)")],
    ...     old_deps={"order_total": [src]}, new_deps={"total_amount": [src]},
    ... )
    (ColumnRenamed(column='order_total', new_name='total_amount'), ColumnTypeChanged(column='order_id', data_type='bigint', old_type='integer'))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from dagster_lineage.core.model import ColumnDep, ColumnInfo, ColumnRef
from dagster_lineage.impact.schema_changes import (
    ColumnAdded,
    ColumnDropped,
    ColumnRenamed,
    ColumnTypeChanged,
    SchemaChange,
)
from dagster_lineage.sql.data_types import canonical_type

ColumnSpec = ColumnInfo | tuple[str, str | None] | str
"""A column as a :class:`ColumnInfo`, a ``(name, type)`` pair, or a bare name."""

_UNKNOWN_TYPES = frozenset({"", "unknown", "none", "null"})


def _as_info(c: ColumnSpec) -> ColumnInfo:
    if isinstance(c, ColumnInfo):
        return c
    if isinstance(c, str):
        return ColumnInfo(c)
    return ColumnInfo(c[0], c[1])


def _sources(deps: Mapping[str, Iterable[ColumnDep]] | None, column: str) -> set[ColumnRef]:
    if not deps:
        return set()
    low = column.lower()
    for name, ds in deps.items():
        if name.lower() == low:
            return {
                ColumnRef(d.upstream.asset, d.upstream.column.lower())
                for d in ds
                if d.kind.is_pass_through
            }
    return set()


def _type_changed(old: str | None, new: str | None, *, parameters: bool = True) -> bool:
    if old is None or new is None:
        return False
    if old.strip().lower() in _UNKNOWN_TYPES or new.strip().lower() in _UNKNOWN_TYPES:
        return False
    a, b = canonical_type(old), canonical_type(new)
    if not parameters:
        a, b = a.split("(")[0].strip(), b.split("(")[0].strip()
    return a != b


def diff_schemas(
    old: Sequence[ColumnSpec],
    new: Sequence[ColumnSpec],
    *,
    old_deps: Mapping[str, Iterable[ColumnDep]] | None = None,
    new_deps: Mapping[str, Iterable[ColumnDep]] | None = None,
    renames: Mapping[str, str] | None = None,
    type_parameters: bool = True,
) -> tuple[SchemaChange, ...]:
    """The changes that turn schema ``old`` into schema ``new``.

    Order: renames, drops, type changes, adds (each in the old, resp. new, column order).

    Args:
        old: the previous columns (e.g. recorded at the last materialization).
        new: the new columns (e.g. the output schema of the model's new SQL).
        old_deps: column lineage behind ``old`` (output column -> upstream deps).
        new_deps: column lineage behind ``new``.
        renames: explicit ``{old_name: new_name}`` renames, applied before lineage matching.
        type_parameters: compare type parameters too (``decimal(10,2)`` vs ``decimal(12,3)``); turn
            off when one side's types are inferred statically and only approximate the other's.

    Examples:
        >>> diff_schemas(["a", "b"], ["a", "c"])
        (ColumnDropped(column='b'), ColumnAdded(column='c', data_type=None))
        >>> diff_schemas(["a", "b"], ["a", "c"], renames={"b": "c"})
        (ColumnRenamed(column='b', new_name='c'),)
        >>> diff_schemas([("x", "decimal(12,3)")], [("x", "numeric(10,2)")], type_parameters=False)
        ()
    """
    olds = [_as_info(c) for c in old]
    news = [_as_info(c) for c in new]
    old_by = {c.name.lower(): c for c in olds}
    new_by = {c.name.lower(): c for c in news}
    gone = [c for c in olds if c.name.lower() not in new_by]
    born = [c for c in news if c.name.lower() not in old_by]
    renamed: list[tuple[ColumnInfo, ColumnInfo]] = []
    explicit = {k.lower(): v.lower() for k, v in (renames or {}).items()}
    for g in list(gone):
        target = explicit.get(g.name.lower())
        match = next((b for b in born if b.name.lower() == target), None) if target else None
        if match is None:
            srcs = _sources(old_deps, g.name)
            if srcs:
                cands = [b for b in born if _sources(new_deps, b.name) & srcs]
            else:
                # no lineage for the old schema: the new column passes through an upstream column
                # that has the old column's name (``select order_total as total_amount``)
                cands = [
                    b
                    for b in born
                    if any(s.column == g.name.lower() for s in _sources(new_deps, b.name))
                ]
            match = cands[0] if len(cands) == 1 else None
        if match is not None:
            renamed.append((g, match))
            gone.remove(g)
            born.remove(match)
    out: list[SchemaChange] = [ColumnRenamed(g.name, b.name) for g, b in renamed]
    out += [ColumnDropped(g.name) for g in gone]
    for c in olds:
        n = new_by.get(c.name.lower())
        if n is not None and _type_changed(c.data_type, n.data_type, parameters=type_parameters):
            out.append(ColumnTypeChanged(c.name, str(n.data_type), c.data_type))
    out += [ColumnAdded(b.name, b.data_type) for b in born]
    return tuple(out)
