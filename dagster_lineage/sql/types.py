"""Result types of the SQL column-lineage core (pure, no Dagster import).

Tables are named by their normalised qualified name: the identifier parts as qualified against the
schema mapping, unquoted, lower-cased unless they were quoted with case, joined by ``.``
(e.g. ``main.raw_orders``). Integrations map these names to asset keys.

Examples:
    >>> from dagster_lineage.sql.types import SourceColumn, OutputColumn
    >>> from dagster_lineage.core.model import EdgeKind
    >>> col = OutputColumn("total", (SourceColumn("main.orders", "amount", EdgeKind.RENAME),))
    >>> col.sources[0].kind.value
    'rename'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dagster_lineage.core.model import Clause, EdgeKind, Unknown

SchemaMapping = Mapping[str, Mapping[str, str | None]]
"""Upstream table name (``db.schema.table``, ``schema.table`` or ``table``) -> {column: type}."""


@dataclass(frozen=True, order=True)
class SourceColumn:
    """An upstream table column an output column derives from, and how.

    ``by_position``: it reaches the output only from a later branch of a set operation (``UNION``),
    whose output names come from the first branch: the value passes, the upstream name does not.
    """

    table: str
    column: str
    kind: EdgeKind
    by_position: bool = False


@dataclass(frozen=True, order=True)
class TableColumnRead:
    """An upstream column only read, in ``clause`` (filter, join, group, having, order, window, qualify).

    ``select`` marks a column an inner query (CTE, subquery) selects by name without it reaching
    any output column or another clause: the statement still needs it.
    """

    table: str
    column: str
    clause: Clause


@dataclass(frozen=True)
class OutputColumn:
    """An output column of a statement with its sources (empty for constants).

    ``indirect`` lists the upstream columns that shape the column without flowing into it, by
    clause (OpenLineage's INDIRECT edges): the PARTITION BY / ORDER BY columns of its window
    (``window``), and for a column written by MERGE/UPDATE the ON/WHERE columns (``join`` /
    ``filter``).

    Examples:
        >>> from dagster_lineage.core.model import Clause
        >>> OutputColumn("rnk", indirect=(TableColumnRead("t", "k", Clause.WINDOW),)).indirect[0].clause
        <Clause.WINDOW: 'window'>
    """

    name: str
    sources: tuple[SourceColumn, ...] = ()
    data_type: str | None = None
    indirect: tuple[TableColumnRead, ...] = ()


@dataclass(frozen=True)
class StatementLineage:
    """Column lineage of one SQL statement.

    Attributes:
        columns: every output column, in output order.
        reads: upstream columns referenced outside the output (deduplicated, sorted).
        tables: every upstream table read (sorted).
        star_tables: upstream tables consumed through ``SELECT *`` / ``t.*``.
        target: the table written by INSERT/CREATE TABLE AS, else ``None``.
        unknowns: what could not be resolved, with the reason.
    """

    columns: tuple[OutputColumn, ...] = ()
    reads: tuple[TableColumnRead, ...] = ()
    tables: tuple[str, ...] = ()
    star_tables: tuple[str, ...] = ()
    target: str | None = None
    unknowns: tuple[Unknown, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        """Output column names in order."""
        return tuple(c.name for c in self.columns)
