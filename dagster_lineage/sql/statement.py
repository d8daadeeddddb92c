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
    return pick_statement(parse_statements(sql, d, dialect, source), d, dialect, source)


def parse_statements(
    sql: str, d: Dialect, dialect: str | None, source: str | None
) -> list[exp.Expr]:
    """Parse every statement of ``sql``.

    Raises:
        SqlParseError: the SQL cannot be parsed or holds no statement.

    Examples:
        >>> from sqlglot.dialects.dialect import Dialect
        >>> len(parse_statements("select 1; select 2;", Dialect.get_or_raise(None), None, None))
        2
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
    return [inline_dml_ctes(s) for s in statements]


def inline_dml_ctes(statement: exp.Expr) -> exp.Expr:
    """Move a WITH written before UPDATE, DELETE or MERGE into the statement as derived tables.

    ``WITH s AS (SELECT ... FROM src) UPDATE tgt ... FROM s`` reads ``src`` through ``s``: each
    reference to a CTE becomes ``(SELECT ... FROM src) AS s``, which the analysis follows (a CTE
    read by later CTEs is inlined into them first). A recursive WITH is left as written.

    Examples:
        >>> import sqlglot
        >>> sql = "WITH s AS (SELECT id FROM src) DELETE FROM tgt USING s WHERE s.id = tgt.id"
        >>> inline_dml_ctes(sqlglot.parse_one(sql, read="postgres")).sql("postgres")
        'DELETE FROM tgt USING (SELECT id FROM src) AS s WHERE s.id = tgt.id'
    """
    if not isinstance(statement, (exp.Update, exp.Delete, exp.Merge)):
        return statement
    with_ = statement.args.get(WITH_ARG)
    if not isinstance(with_, exp.With) or with_.args.get("recursive"):
        return statement
    bodies: dict[str, exp.Expr] = {}

    def inline(tree: exp.Expr, skip: exp.Expr | None = None) -> None:
        for table in list(tree.find_all(exp.Table)):
            body = bodies.get(table.name.lower())
            if table is skip or body is None or table.args.get("db") or table.args.get("catalog"):
                continue
            alias = table.alias or table.name
            table.replace(
                exp.Subquery(this=body.copy(), alias=exp.TableAlias(this=exp.to_identifier(alias)))
            )

    for cte in with_.expressions:
        body = cte.this
        inline(body)
        bodies[cte.alias.lower()] = body
    statement.set(WITH_ARG, None)
    inline(statement, skip=statement.this)
    return statement


def pick_statement(
    statements: list[exp.Expr], d: Dialect, dialect: str | None, source: str | None
) -> tuple[exp.Expr, list[Unknown]]:
    """The statement of ``statements`` to analyse alone: the last one holding a query.

    Raises:
        SqlParseError: when no statement is anything sqlglot understands.

    Examples:
        >>> import sqlglot
        >>> from sqlglot.dialects.dialect import Dialect
        >>> stmt, notes = pick_statement(sqlglot.parse("drop table t; select 1"),
        ...                              Dialect.get_or_raise(None), None, None)
        >>> stmt.sql(), len(notes)
        ('SELECT 1', 1)
    """
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
    """Whether a statement has lineage to trace: a query, a write of one, UPDATE, MERGE, DELETE.

    Queries include INSERT|CREATE ... AS SELECT and COPY (SELECT); see :func:`dml_query` for the
    others.

    Examples:
        >>> import sqlglot
        >>> holds_query(sqlglot.parse_one("create table t as select 1")), holds_query(
        ...     sqlglot.parse_one("delete from t where id in (select id from u)")), holds_query(
        ...     sqlglot.parse_one("drop table t"))
        (True, True, False)
    """
    if isinstance(statement, (exp.Query, exp.Update, exp.Merge, exp.Delete)):
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


POSITION = "\0"
"""Prefix of a MERGE ... INSERT VALUES target column known by position only (``"\\x000"``)."""

_DML_COLUMN = "__dl_dml_{}"
"""Alias of the i-th value expression in the query a MERGE/UPDATE is rewritten to."""
DML_CONSTANT = "__dl_dml_none"
"""The one output of the query a DELETE (or a MERGE/UPDATE writing nothing) is rewritten to."""


def dml_query(
    statement: exp.Expr, d: Dialect
) -> tuple[exp.Select, exp.Table, tuple[str, ...], list[Unknown]] | None:
    """The query equivalent, for lineage, of an UPDATE, MERGE or DELETE.

    The value expressions (``SET c = expr``, ``INSERT (c) VALUES (expr)``) become the select
    list, the target and its sources the FROM (MERGE's ``ON`` a join condition), ``WHERE`` and
    ``WHEN ... AND cond`` a filter. Returns the query, the target table, the target column each
    select-list entry writes (the same column may come several times: merge them) and notes;
    ``None`` for other statements. A DELETE writes no column: its query selects a constant.

    Examples:
        >>> import sqlglot
        >>> from sqlglot.dialects.dialect import Dialect
        >>> d = Dialect.get_or_raise("postgres")
        >>> stmt = sqlglot.parse_one("update t set c = s.x from s where t.id = s.id", read=d)
        >>> q, target, cols, _ = dml_query(stmt, d)
        >>> q.sql(), target.sql(), cols
        ('SELECT s.x AS __dl_dml_0 FROM t, s WHERE t.id = s.id', 't', ('c',))
    """
    notes: list[Unknown] = []
    if isinstance(statement, exp.Merge):
        target, using = statement.this, statement.args.get("using")
        if not isinstance(target, exp.Table) or using is None:
            return None
        pairs: list[tuple[str, exp.Expr]] = []
        conditions: list[exp.Expr] = []
        whens = statement.args.get("whens")
        for when in whens.expressions if whens is not None else []:
            if when.args.get("condition") is not None:
                conditions.append(when.args["condition"])
            then = when.args.get("then")
            if isinstance(then, exp.Update):
                pairs += _set_pairs(then, d, notes)
            elif isinstance(then, exp.Insert):
                cols = then.this.expressions if isinstance(then.this, exp.Tuple) else []
                values = (
                    then.expression.expressions if isinstance(then.expression, exp.Tuple) else []
                )
                if cols and len(cols) == len(values):
                    pairs += [(identifier_name(_ident(c), d), v) for c, v in zip(cols, values)]
                elif values:  # by position into the target's columns
                    pairs += [(f"{POSITION}{i}", v) for i, v in enumerate(values)]
                else:
                    notes.append(
                        Unknown(
                            f"MERGE ... {then.sql(dialect=d)[:40]} is not understood: its "
                            "columns' lineage is left out"
                        )
                    )
            elif then is not None and not (
                isinstance(then, exp.Var) and then.name.upper() == "DELETE"
            ):
                notes.append(
                    Unknown(
                        f"MERGE ... THEN {then.sql(dialect=d)[:40]} is not understood: its "
                        "columns' lineage is left out"
                    )
                )
        on = statement.args.get("on")
        source = f"{target.sql(dialect=d)} FULL JOIN {using.sql(dialect=d)}"
        if on is not None:
            source += f" ON {on.sql(dialect=d)}"
        return _dml_select(pairs, source, conditions, target, d, notes)
    if isinstance(statement, exp.Update):
        target = statement.this
        if not isinstance(target, exp.Table):
            return None
        pairs = _set_pairs(statement, d, notes)
        source, target = _update_source(statement, target, d)
        where = statement.args.get("where")
        return _dml_select(pairs, source, [where.this] if where else [], target, d, notes)
    if isinstance(statement, exp.Delete):
        target = statement.this
        if not isinstance(target, exp.Table):
            return None
        source = target.sql(dialect=d)
        for extra in statement.args.get("using") or []:
            source += f", {extra.sql(dialect=d)}"
        where = statement.args.get("where")
        return _dml_select([], source, [where.this] if where else [], target, d, notes)
    return None


def _ident(node: exp.Expr) -> exp.Expr:
    return node.this if isinstance(node, exp.Column) else node


def _set_pairs(update: exp.Expr, d: Dialect, notes: list[Unknown]) -> list[tuple[str, exp.Expr]]:
    pairs = []
    for eq in update.expressions:
        if isinstance(eq, exp.EQ) and isinstance(eq.this, exp.Column):
            pairs.append((identifier_name(eq.this.this, d), eq.expression))
        else:
            notes.append(
                Unknown(
                    f"SET {eq.sql(dialect=d)[:40]} is not understood: its columns' lineage is "
                    "left out"
                )
            )
    return pairs


def _update_source(statement: exp.Update, target: exp.Table, d: Dialect) -> tuple[str, exp.Table]:
    """The FROM of an UPDATE's query, and the table it writes.

    ``UPDATE t SET .. FROM s`` (PostgreSQL, DuckDB, Snowflake) reads ``t`` and ``s``;
    ``UPDATE a SET .. FROM t a JOIN s ..`` (T-SQL) names in FROM the table it writes, by alias.
    """
    from_ = statement.args.get(FROM_ARG)
    if from_ is None:
        return target.sql(dialect=d), target
    name = target.alias_or_name
    for table in from_.find_all(exp.Table):
        if name in (table.alias_or_name, table.name) and not target.args.get("db"):
            return from_.this.sql(dialect=d), table
    return f"{target.sql(dialect=d)}, {from_.this.sql(dialect=d)}", target


def _dml_select(
    pairs: list[tuple[str, exp.Expr]],
    source: str,
    conditions: list[exp.Expr],
    target: exp.Table,
    d: Dialect,
    notes: list[Unknown],
) -> tuple[exp.Select, exp.Table, tuple[str, ...], list[Unknown]]:
    items = [
        f"{value.sql(dialect=d)} AS {_DML_COLUMN.format(i)}" for i, (_, value) in enumerate(pairs)
    ] or [f"1 AS {DML_CONSTANT}"]
    sql = f"SELECT {', '.join(items)} FROM {source}"
    if conditions:
        parts = [c.sql(dialect=d) for c in conditions]
        sql += " WHERE " + (parts[0] if len(parts) == 1 else " AND ".join(f"({c})" for c in parts))
    query = sqlglot.parse_one(sql, dialect=d)
    assert isinstance(query, exp.Select)
    plain_target = target.copy()
    plain_target.set("alias", None)
    plain_target.set("joins", None)
    return query, plain_target, tuple(name for name, _ in pairs), notes
