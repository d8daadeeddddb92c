"""Compose the lineage of several statements (a script) into end-to-end lineage.

A table written by one statement and read by a later one (a temp or staging table) is traced
through: the later statement's columns point at the first sources. The result is one
:class:`~dagster_lineage.sql.types.StatementLineage` whose columns are the script's final output
(the one table written and not read again, or the last bare query when ``query_is_output``),
whose reads are every statement's reads traced to the first sources, and whose tables are the
tables read that no statement of the script wrote. Pure: no Dagster import.

Examples:
    >>> from dagster_lineage.sql.lineage import statement_lineage
    >>> from dagster_lineage.sql.compose import compose_statements
    >>> script = compose_statements([
    ...     statement_lineage("create temp table tmp as select id, amt * 2 as x from raw where ok"),
    ...     statement_lineage("insert into out (id, total) select id, sum(x) from tmp group by id"),
    ... ])
    >>> script.outputs, script.lineage.tables
    (('out',), ('raw',))
    >>> [(c.name, [(s.table, s.column, s.kind.value) for s in c.sources]) for c in script.lineage.columns]
    [('id', [('raw', 'id', 'identity')]), ('total', [('raw', 'amt', 'aggregation')])]
    >>> sorted((r.table, r.column, r.clause.value) for r in script.lineage.reads)
    [('raw', 'id', 'group'), ('raw', 'ok', 'filter')]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dagster_lineage.core.model import Clause, EdgeKind, Unknown
from dagster_lineage.sql.types import (
    OutputColumn,
    SourceColumn,
    StatementLineage,
    TableColumnRead,
)

_Src = tuple[str, str, EdgeKind]
_Read = tuple[str, str, Clause]


def same_table(a: str, b: str) -> bool:
    """Whether two normalised table names name the same table (one is a suffix of the other).

    Examples:
        >>> same_table("main.tmp", "tmp"), same_table("a.tmp", "b.tmp")
        (True, False)
    """
    pa, pb = a.lower().split("."), b.lower().split(".")
    n = min(len(pa), len(pb))
    return pa[len(pa) - n :] == pb[len(pb) - n :]


@dataclass(frozen=True)
class ScriptLineage:
    """The composed lineage of a script.

    Attributes:
        lineage: the final output's columns (sources traced to the first tables), every read, the
            tables read from outside the script, its target (the one final table, else ``None``).
        outputs: the tables the script writes and does not read again, in write order.
        written: every table the script writes, in write order.

    Examples:
        >>> ScriptLineage(StatementLineage()).outputs
        ()
    """

    lineage: StatementLineage
    outputs: tuple[str, ...] = ()
    written: tuple[str, ...] = ()


class _Table:
    """A table written inside the script: per column its traced sources and indirect inputs."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.columns: dict[str, tuple[set[_Src], set[_Read]]] = {}
        self.stars: set[str] = set()

    def column(self, name: str) -> tuple[set[_Src], set[_Read]] | None:
        found = self.columns.get(name)
        if found is None:
            low = name.lower()
            found = next((v for k, v in self.columns.items() if k.lower() == low), None)
        return found


def compose_statements(
    statements: Sequence[StatementLineage],
    *,
    output: str | None = None,
    query_is_output: bool = False,
    is_same_table: Callable[[str, str], bool] = same_table,
) -> ScriptLineage:
    """Compose statements run in order into the lineage of the script's final output.

    Args:
        statements: each statement's lineage, in execution order.
        output: the table the caller knows to be the output; among several final tables the ones
            naming it are kept.
        query_is_output: a bare query (no target) is the script's result (its columns are the
            output) instead of data read out of the warehouse (its sources are ``select`` reads).
        is_same_table: whether two table names name the same table.

    Returns:
        The composed lineage. With several final tables and no ``output`` among them, there is no
        single output: their columns' sources are reported as ``select`` reads.
    """
    written: dict[str, _Table] = {}
    order: list[str] = []
    read_later: set[str] = set()
    external: set[str] = set()
    stars: set[str] = set()
    reads: set[_Read] = set()
    unknowns: list[Unknown] = []
    query_columns: list[tuple[str, set[_Src], set[_Read], str | None]] | None = None
    types: dict[tuple[str, str], str | None] = {}

    def find(table: str) -> _Table | None:
        for name, tab in written.items():
            if is_same_table(table, name):
                return tab
        return None

    def trace(table: str, column: str) -> tuple[set[_Src], set[_Read]] | None:
        """Sources of ``table.column`` traced through the script (None: an outside table)."""
        tab = find(table)
        if tab is None:
            return None
        found = tab.column(column)
        if found is None:
            unknowns.append(
                Unknown(
                    f"column '{column}' of table '{tab.name}' (written earlier in the script) "
                    "is not among the columns it was written with: left out of the lineage"
                )
            )
            return set(), set()
        return found

    for lin in statements:
        unknowns.extend(lin.unknowns)
        for t in lin.tables:
            tab = find(t)
            if tab is not None:
                read_later.add(tab.name)
            else:
                external.add(t)
        for t in lin.star_tables:
            stars.update(_stars_of(find(t), t))
        for r in lin.reads:
            traced = trace(r.table, r.column)
            if traced is None:
                reads.add((r.table, r.column, r.clause))
            else:
                reads.update((t, c, r.clause) for t, c, _ in traced[0])
        cols: list[tuple[str, set[_Src], set[_Read], str | None]] = []
        for col in lin.columns:
            srcs: set[_Src] = set()
            shaping: set[_Read] = set()
            for s in col.sources:
                traced = trace(s.table, s.column)
                if traced is None:
                    srcs.add((s.table, s.column, s.kind))
                else:
                    srcs.update((t, c, EdgeKind.combine(s.kind, k)) for t, c, k in traced[0])
                    shaping.update(traced[1])
            for r in col.indirect:
                traced = trace(r.table, r.column)
                if traced is None:
                    shaping.add((r.table, r.column, r.clause))
                else:
                    shaping.update((t, c, r.clause) for t, c, _ in traced[0])
            cols.append((col.name, srcs, shaping, col.data_type))
        if lin.target:
            tab = find(lin.target)
            if tab is None:
                tab = written[lin.target] = _Table(lin.target)
            for name, srcs, shaping, dtype in cols:
                have = tab.column(name)
                if have is None:
                    tab.columns[name] = (srcs, shaping)
                else:
                    have[0].update(srcs)
                    have[1].update(shaping)
                types[(tab.name, name.lower())] = dtype or types.get((tab.name, name.lower()))
            tab.stars.update(s for t in lin.star_tables for s in _stars_of(find(t), t))
            if tab.name in order:
                order.remove(tab.name)
            order.append(tab.name)
        elif lin.columns and query_is_output:
            query_columns = cols
        else:  # a query whose result leaves the warehouse: what it selects is read
            for _, srcs, _, _ in cols:
                reads.update((t, c, Clause.SELECT) for t, c, _ in srcs)

    finals = [t for t in order if t not in read_later]
    if output is not None:
        finals = [t for t in finals if is_same_table(t, output)] or finals
    columns: list[tuple[str, set[_Src], set[_Read], str | None]] = []
    target: str | None = None
    if query_columns is not None:
        columns = query_columns
        for t in finals:  # tables written besides the result: what they select is read
            for srcs, _ in written[t].columns.values():
                reads.update((tt, c, Clause.SELECT) for tt, c, _ in srcs)
    elif len(finals) == 1:
        target = finals[0]
        columns = [
            (name, srcs, shaping, types.get((target, name.lower())))
            for name, (srcs, shaping) in written[target].columns.items()
        ]
    else:
        for t in finals:
            for srcs, _ in written[t].columns.values():
                reads.update((tt, c, Clause.SELECT) for tt, c, _ in srcs)
        if query_is_output and len(finals) > 1:
            unknowns.append(
                Unknown(
                    f"the script writes {len(finals)} tables it does not read again "
                    f"({', '.join(finals)}): no single output; what they select is reported "
                    "as read"
                )
            )
    return ScriptLineage(
        lineage=StatementLineage(
            columns=tuple(
                OutputColumn(
                    name,
                    tuple(sorted(SourceColumn(t, c, k) for t, c, k in srcs)),
                    dtype,
                    tuple(sorted(TableColumnRead(t, c, k) for t, c, k in shaping)),
                )
                for name, srcs, shaping, dtype in columns
            ),
            reads=tuple(sorted(TableColumnRead(t, c, k) for t, c, k in reads)),
            tables=tuple(sorted(external)),
            star_tables=tuple(sorted(stars)),
            target=target,
            unknowns=tuple(dict.fromkeys(unknowns)),
        ),
        outputs=tuple(finals),
        written=tuple(order),
    )


def _stars_of(tab: _Table | None, name: str) -> set[str]:
    """The outside tables reached through ``SELECT *`` of ``name`` (itself when it is outside)."""
    return {name} if tab is None else set(tab.stars)
