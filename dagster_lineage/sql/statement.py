"""Parse one SQL statement and split it into the query, the table it writes and its column list.

Examples:
    >>> from sqlglot.dialects.dialect import Dialect
    >>> from dagster_lineage.sql.statement import parse_statement, split_statement
    >>> d = Dialect.get_or_raise("duckdb")
    >>> statement, notes = parse_statement("insert into t (a) select x from s", d, "duckdb", None)
    >>> query, target, cols = split_statement(statement, d)
    >>> query.sql(), target.sql(), cols
    ('SELECT x FROM s', 't', ('a',))
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError, TokenError

from dagster_lineage.core.model import Unknown
from dagster_lineage.errors import SqlParseError
from dagster_lineage.sql.naming import identifier_name

# sqlglot renamed the WITH/FROM args ("with" -> "with_"); support both spellings
WITH_ARG = "with_" if "with_" in exp.Select.arg_types else "with"
"""The name of a query's WITH argument in the installed sqlglot."""
FROM_ARG = "from_" if "from_" in exp.Select.arg_types else "from"
"""The name of a SELECT's FROM argument in the installed sqlglot."""


def parse_statement(
    sql: str, d: Dialect, dialect: str | None, source: str | None
) -> tuple[exp.Expr, list[Unknown]]:
    """Parse ``sql`` and pick the statement to analyse: the last one holding a query.

    Args:
        sql: the SQL text (one or several statements).
        d: the sqlglot dialect object.
        dialect: the dialect's name as given (for messages).
        source: where the SQL comes from (for messages).

    Returns:
        The statement and notes (an unknown when several statements were given).

    Raises:
        SqlParseError: the SQL cannot be parsed, or holds nothing sqlglot understands.

    Examples:
        >>> from sqlglot.dialects.dialect import Dialect
        >>> stmt, notes = parse_statement("select 1; select 2", Dialect.get_or_raise(None), None, None)
        >>> stmt.sql(), notes[0].reason
        ('SELECT 2', '2 statements given; only the last one holding a query was analysed')
    """
    try:
        statements = [s for s in sqlglot.parse(sql, dialect=d) if s is not None]
    except ParseError as e:
        err = e.errors[0] if e.errors else {}
        detail = str(err.get("description") or e).splitlines()[0]
        if err.get("line"):
            detail += f" at line {err['line']}, column {err.get('col')}"
        raise SqlParseError(detail, source=source, dialect=dialect) from None
    except (TokenError, SqlglotError) as e:
        raise SqlParseError(str(e).splitlines()[0], source=source, dialect=dialect) from None
    if not statements:
        raise SqlParseError("no SQL statement found", source=source, dialect=dialect)
    with_query = [s for s in statements if holds_query(s)]
    if not with_query:
        if all(isinstance(s, exp.Command) for s in statements):
            raise SqlParseError(
                f"statement not understood: {statements[-1].sql(dialect=d)[:80]!r}",
                source=source,
                dialect=dialect,
            )
        return statements[-1], []
    notes = []
    if len(statements) > 1:
        notes.append(
            Unknown(
                f"{len(statements)} statements given; only the last one holding a query "
                "was analysed"
            )
        )
    return with_query[-1], notes


def holds_query(statement: exp.Expr) -> bool:
    """Whether a statement has output columns: a query, INSERT|CREATE ... AS SELECT, COPY (SELECT).

    Examples:
        >>> import sqlglot
        >>> holds_query(sqlglot.parse_one("create table t as select 1")), holds_query(
        ...     sqlglot.parse_one("delete from t where id in (select id from u)"))
        (True, False)
    """
    if isinstance(statement, exp.Query):
        return True
    inner = statement.this if isinstance(statement, exp.Copy) else statement.expression
    if isinstance(statement, (exp.Insert, exp.Create, exp.Copy)):
        return isinstance(inner, exp.Query) and not isinstance(inner, exp.Values)
    return False


def split_statement(
    statement: exp.Expr, d: Dialect, *, copy: bool = True
) -> tuple[exp.Query | None, exp.Table | None, tuple[str, ...]]:
    """The query of a statement (detached), the table it writes and its column list.

    A WITH written before ``INSERT`` is moved onto the query; ``SELECT ... INTO t`` writes ``t``. With ``copy=False`` the query and
    the target are taken out of ``statement`` itself instead of copied (no deep copy of the tree:
    for a statement the caller owns and will not use again).

    Examples:
        >>> import sqlglot
        >>> from sqlglot.dialects.dialect import Dialect
        >>> stmt = sqlglot.parse_one("create view v (a, b) as select x, y from s")
        >>> d = Dialect.get_or_raise(None)
        >>> q, target, cols = split_statement(stmt, d)
        >>> q.sql(), target.sql(), cols
        ('SELECT x, y FROM s', 'v', ('a', 'b'))
        >>> q, target, _ = split_statement(sqlglot.parse_one("select a into t2 from t1"), d)
        >>> q.sql(), target.sql()
        ('SELECT a FROM t1', 't2')
    """
    target: exp.Table | None = None
    cols: tuple[str, ...] = ()
    query: exp.Expr | None
    if isinstance(statement, (exp.Insert, exp.Create)):
        this = statement.this
        if isinstance(this, exp.Schema):
            cols = tuple(
                identifier_name(d.normalize_identifier(c.copy()), d)
                for c in this.expressions
                if isinstance(c, exp.Identifier)
            ) + tuple(
                identifier_name(d.normalize_identifier(c.this.copy()), d)
                for c in this.expressions
                if isinstance(c, exp.ColumnDef) and isinstance(c.this, exp.Identifier)
            )
            this = this.this
        if isinstance(this, exp.Table):
            target = this.copy() if copy else this
        query = statement.expression
    elif isinstance(statement, exp.Query):
        query = statement
        into = statement.args.get("into")
        if isinstance(into, exp.Into) and isinstance(into.this, exp.Table):
            # SELECT ... INTO t (T-SQL, PostgreSQL): a write of the query without its INTO
            target = into.this.copy() if copy else into.this
            query = statement.copy() if copy else statement
            query.set("into", None)
            copy = False
    elif isinstance(statement, exp.Copy):  # COPY (SELECT ...) TO 'file'
        query = statement.this
    else:  # UPDATE, DELETE, MERGE, ...: no output columns
        query = None
    while isinstance(query, exp.Subquery) and not query.alias:
        query = query.this
    if not isinstance(query, exp.Query):
        return None, target, cols
    outer_with = statement.args.get(WITH_ARG) if statement is not query else None
    if copy:
        query = query.copy()
    else:
        query.pop()
    if outer_with is not None and not query.args.get(WITH_ARG):
        query.set(WITH_ARG, outer_with.copy() if copy else outer_with.pop())
    return query, target, cols
