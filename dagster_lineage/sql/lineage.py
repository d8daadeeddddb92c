"""Column lineage of one SQL statement, in one pass over its qualified scopes.

The statement is parsed with sqlglot, its identifiers normalised for the dialect, its tables matched
to the ``schema`` keys by suffix, then qualified (``sqlglot.optimizer.qualify`` with a
``MappingSchema``: columns get their table, ``*`` is expanded). Every scope (CTE, subquery, set
operation branch) is then visited once: each scope's output columns are mapped to base-table columns
and memoised, so outer scopes reuse inner results; reads (WHERE, JOIN, GROUP BY, ...) are resolved
through the same memo down to base-table columns.

Edge kinds: a bare column reference keeps the value (``identity`` when the output name equals the
base column name, ``rename`` otherwise, judged end to end through CTEs); any other expression,
including CASE (conditions included: they decide the value), casts and window functions, is a
``transformation``; a column under an aggregate function (or its FILTER) is an ``aggregation``.
Along a path through CTEs the strongest kind wins; so does a base column reaching one output through
several set-operation branches. Window PARTITION BY / ORDER BY columns are
``window`` reads of the output, not sources, and each output column lists those of its own
windows (followed through CTEs and subqueries) as its ``indirect`` inputs.

Reads are reported by clause: WHERE ``filter``, JOIN ON/USING ``join``, GROUP BY ``group``, HAVING
``having``, ORDER BY ``order``, window specs in the select list ``window``, QUALIFY ``qualify``
(columns inside a nested subquery of a clause count as reads in that clause). A base column that an
inner query selects by name but that feeds no output column and no other clause is a ``select`` read
(dropping it still breaks the query).

Names: tables and columns are normalised per dialect (see :mod:`dagster_lineage.sql.naming`); a
table that matches a ``schema`` key by suffix is reported under that key (``raw_orders`` written,
``main.raw_orders`` in the schema -> ``main.raw_orders``). Nothing is dropped silently: an
unexpandable ``*``, an ambiguous or unknown column, a column missing from the schema, a statement
without a query or a failed qualification each add an ``Unknown`` with the reason.

MERGE and UPDATE: each target column written gets the sources of its SET / INSERT values (merged
over the WHEN branches; INSERT VALUES without a column list by position into the target's schema),
the ON and WHERE columns are reads and shape every written column (``indirect``); DELETE writes no
column, its USING/WHERE columns are reads. ``SELECT ... INTO t`` writes ``t``; INSERT without a
column list maps the query by position onto the target's schema columns (Spark static partition
columns excluded).

Known limits: unaliased expressions get sqlglot's names (``_col_0``), not the engine's; PIVOT has
no column lineage (reported as unknown); in upper-casing dialects
(Snowflake) a quoted lower-case name and the unquoted name of the same letters are both reported
lower-case; unquoted names are reported lower-case even where the engine keeps their case
(BigQuery table names).

Examples:
    >>> from dagster_lineage.sql.lineage import statement_lineage
    >>> lin = statement_lineage(
    ...     "select id, amount * 2 as double from orders where status = 'ok'",
    ...     dialect="duckdb",
    ...     schema={"main.orders": {"id": "int", "amount": "int", "status": "varchar"}},
    ... )
    >>> [(c.name, [(s.table, s.column, s.kind.value) for s in c.sources]) for c in lin.columns]
    [('id', [('main.orders', 'id', 'identity')]), ('double', [('main.orders', 'amount', 'transformation')])]
    >>> [(r.table, r.column, r.clause.value) for r in lin.reads]
    [('main.orders', 'status', 'filter')]
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

from dagster_lineage.errors import SqlParseError
from dagster_lineage.sql.analysis import analyse
from dagster_lineage.sql.compose import ScriptLineage, compose_statements
from dagster_lineage.sql.naming import identifier_name, match_table_name, table_name
from dagster_lineage.sql.statement import (
    holds_query,
    parse_statement,
    parse_statements,
)
from dagster_lineage.sql.types import SchemaMapping as SchemaMapping
from dagster_lineage.sql.types import StatementLineage


def statement_lineage(
    sql: str,
    *,
    dialect: str | None = None,
    schema: SchemaMapping | None = None,
    source: str | None = None,
) -> StatementLineage:
    """Column lineage of ``sql``: every output column's sources and the columns only read.

    Args:
        sql: one SELECT / WITH / INSERT ... SELECT / CREATE TABLE|VIEW AS / MERGE / UPDATE /
            DELETE statement (when several statements are given, the last one holding a query
            is analysed and an unknown says so; :func:`script_lineage` composes them all).
        dialect: the sqlglot dialect (``duckdb``, ``postgres``, ``spark``, ...).
        schema: known upstream table schemas used to qualify columns and expand ``*``; keys are
            matched to the query's tables by suffix. Names are read like unquoted identifiers
            unless written with double quotes. A ``None`` type means unknown.
        source: where the SQL comes from (file path), used in error messages.

    Returns:
        The statement's lineage; whatever could not be resolved is listed in ``unknowns``.

    Raises:
        SqlParseError: when the SQL cannot be parsed (the message names ``source`` and dialect).

    Examples:
        >>> lin = statement_lineage(
        ...     "create table daily as select cast(ts as date) as day, sum(amt) as revenue "
        ...     "from orders group by 1",
        ...     dialect="duckdb",
        ...     schema={"orders": {"ts": "timestamp", "amt": "decimal(10,2)"}},
        ... )
        >>> lin.target, lin.column_names, lin.columns[1].sources[0].kind.value
        ('daily', ('day', 'revenue'), 'aggregation')
        >>> [(r.column, r.clause.value) for r in lin.reads]
        [('ts', 'group')]
    """
    d = _dialect(dialect, source)
    statement, notes = parse_statement(sql, d, dialect, source)
    # the tree is ours: analysed in place, parsed again only if qualification has to restart
    return analyse(
        statement,
        d,
        schema or {},
        notes,
        reparse=lambda: parse_statement(sql, d, dialect, source)[0],
    )


def script_lineage(
    sql: str,
    *,
    dialect: str | None = None,
    schema: SchemaMapping | None = None,
    source: str | None = None,
) -> ScriptLineage:
    """End-to-end lineage of a script: each statement analysed, then composed in order.

    A table a statement writes (``CREATE TEMP TABLE ... AS``, ``INSERT``, a ``CREATE TABLE
    (...)`` declaring its columns) is known to the later statements (``*`` over it expands) and
    traced through: the output columns point at the first sources. The output is the one table
    written and not read again, or the last bare query. Statements without lineage (``DROP``,
    ``SET``, ...) are skipped.

    Examples:
        >>> script = script_lineage(
        ...     "create temp table recent as select id, amount from orders where day > '2020-01-01';"
        ...     "drop table if exists report;"
        ...     "create table report as select id, amount * 2 as doubled from recent;",
        ...     dialect="duckdb",
        ...     schema={"orders": {"id": "int", "amount": "int", "day": "date"}},
        ... )
        >>> script.outputs, [(c.name, [s.table + "." + s.column for s in c.sources])
        ...                  for c in script.lineage.columns]
        (('report',), [('id', ['orders.id']), ('doubled', ['orders.amount'])])
    """
    d = _dialect(dialect, source)
    return _compose(parse_statements(sql, d, dialect, source), d, schema or {})


def _dialect(dialect: str | None, source: str | None) -> Dialect:
    try:
        return Dialect.get_or_raise(dialect)
    except (ValueError, SqlglotError) as e:
        raise SqlParseError(f"unknown dialect {dialect!r} ({e})", source=source) from None


def _compose(statements: list[exp.Expr], d: Dialect, schema: SchemaMapping) -> ScriptLineage:
    known: dict[str, Mapping[str, str | None]] = dict(schema)
    lineages = []
    for statement in statements:
        declared = _declared_columns(statement, d)
        if declared is not None:
            known.setdefault(*declared)
            continue
        if not holds_query(statement):
            continue
        lin = analyse(statement, d, known, [])
        lineages.append(lin)
        if lin.target and lin.columns and not isinstance(statement, (exp.Update, exp.Merge)):
            if match_table_name(lin.target, known, dialect=d) is None:
                known[lin.target] = {c.name: c.data_type for c in lin.columns}
    if any(lin.target for lin in lineages):
        # a trailing status query (``SELECT 1 AS aff_rows``, ``SELECT @@ROWCOUNT``) reads no table:
        # it is not the script's output when the script writes one
        lineages = [lin for lin in lineages if lin.target or lin.tables]
    return compose_statements(lineages, query_is_output=True)


def _declared_columns(
    statement: exp.Expr, d: Dialect
) -> tuple[str, dict[str, str | None]] | None:
    """``CREATE TABLE t (a INT, ...)`` without a query: the table's name and declared columns."""
    if not isinstance(statement, exp.Create) or statement.expression is not None:
        return None
    this = statement.this
    if not isinstance(this, exp.Schema) or not isinstance(this.this, exp.Table):
        return None
    cols = {
        identifier_name(c.this, d): (c.args["kind"].sql(dialect=d) if c.args.get("kind") else None)
        for c in this.expressions
        if isinstance(c, exp.ColumnDef) and isinstance(c.this, exp.Identifier)
    }
    return (table_name(this.this, d), cols) if cols else None
