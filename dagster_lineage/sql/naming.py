"""Table and column names: normalisation per dialect and matching table names to schema keys.

A name is normalised the way the dialect resolves it: unquoted identifiers are case-insensitive and
reported lower-case; a quoted identifier keeps its case when the dialect treats it as case-sensitive
and it differs from the unquoted form (``"Orders"`` in Postgres stays ``Orders``; ``"ORDERS"`` in
Snowflake is the same as ``orders``). Parts are joined by ``.``.

Examples:
    >>> from dagster_lineage.sql.naming import normalize_table_name, match_table_name
    >>> normalize_table_name('MAIN."Orders"', dialect="postgres")
    'main.Orders'
    >>> match_table_name("raw_orders", ["analytics.main.raw_orders", "main.stg_orders"])
    'analytics.main.raw_orders'
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect, DialectType
from sqlglot.errors import ParseError, TokenError

from dagster_lineage.errors import SqlParseError

PAD = "__dl_pad__"
"""Placeholder part used internally to give every schema key the same depth (never reported)."""


def identifier_name(ident: exp.Expr, dialect: DialectType = None) -> str:
    """The normalised text of one identifier (see the module docstring for the rule).

    Examples:
        >>> from sqlglot import exp
        >>> identifier_name(exp.to_identifier("Amount"))
        'amount'
        >>> identifier_name(exp.to_identifier("Amount", quoted=True), "postgres")
        'Amount'
        >>> identifier_name(exp.to_identifier("AMOUNT", quoted=True), "snowflake")
        'amount'
    """
    name = ident.name
    if not isinstance(ident, exp.Identifier) or not ident.quoted:
        return name.lower()
    unquoted = Dialect.get_or_raise(dialect).normalize_identifier(
        exp.Identifier(this=name, quoted=False)
    )
    return name.lower() if unquoted.name == name else name


def table_parts(table: exp.Table, dialect: DialectType = None) -> tuple[str, ...]:
    """The normalised parts (catalog, db, name) of a table expression, padding removed.

    Examples:
        >>> from sqlglot import exp
        >>> table_parts(exp.to_table("Db.Main.Orders"))
        ('db', 'main', 'orders')
    """
    return tuple(
        identifier_name(p, dialect)
        for p in table.parts
        # upper-casing dialects (Snowflake, Oracle) normalise the padding to upper case
        if isinstance(p, exp.Identifier) and p.name.lower() != PAD
    )


def table_name(table: exp.Table, dialect: DialectType = None) -> str:
    """The normalised qualified name of a table expression (``main.orders``).

    A table function (``read_parquet('f.parquet')``) is named by its SQL text.

    Examples:
        >>> from sqlglot import exp, parse_one
        >>> table_name(exp.to_table("MAIN.Orders"))
        'main.orders'
        >>> table_name(parse_one("select * from read_parquet('f.parquet')").find(exp.Table))
        "READ_PARQUET('f.parquet')"
    """
    parts = table_parts(table, dialect)
    if parts:
        return ".".join(parts)
    return table.this.sql(dialect=dialect) if table.this is not None else ""


def parse_table(name: str, dialect: DialectType = None) -> exp.Table:
    """Parse a (possibly quoted) dotted table name, normalising its identifiers for ``dialect``.

    Raises:
        SqlParseError: when ``name`` is not a table name.

    Examples:
        >>> parse_table("Main.Orders").sql()
        'main.orders'
    """
    try:
        table = exp.to_table(name, dialect=dialect)
    except (ParseError, TokenError) as e:
        raise SqlParseError(
            f"'{name}' is not a table name ({e})", dialect=_dialect_name(dialect)
        ) from None
    d = Dialect.get_or_raise(dialect)
    for part in table.parts:
        if isinstance(part, exp.Identifier):
            part.replace(d.normalize_identifier(part))
    return table


def normalize_table_name(name: str, dialect: DialectType = None) -> str:
    """Normalise a dotted table name (``MAIN.Raw_Orders`` -> ``main.raw_orders``).

    Examples:
        >>> normalize_table_name("MAIN.Raw_Orders")
        'main.raw_orders'
        >>> normalize_table_name('"My Db".orders', dialect="duckdb")
        'my db.orders'
    """
    return table_name(parse_table(name, dialect), dialect)


def parts_match(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """True when the shorter of two table-name part tuples is a suffix of the longer.

    Examples:
        >>> parts_match(("main", "orders"), ("orders",))
        True
        >>> parts_match(("main", "orders"), ("other", "orders"))
        False
    """
    n = min(len(a), len(b))
    return n > 0 and a[len(a) - n :] == b[len(b) - n :]


def match_table_name(
    name: str, candidates: Iterable[str], *, dialect: DialectType = None
) -> str | None:
    """The candidate (e.g. a schema key) naming the same table as ``name``, matched by suffix.

    ``main.raw_orders``, ``raw_orders`` and ``db.main.raw_orders`` all match each other. An exact
    match wins; among several suffix matches the unique longest-overlap one wins, else ``None``
    (ambiguous). Candidates are returned as given.

    Examples:
        >>> match_table_name("main.raw_orders", ["raw_orders", "stg_orders"])
        'raw_orders'
        >>> match_table_name("orders", ["a.orders", "b.orders"]) is None
        True
        >>> match_table_name("a.orders", ["a.orders", "orders"])
        'a.orders'
    """
    target = table_parts(parse_table(name, dialect), dialect)
    best: list[tuple[int, str]] = []
    for cand in candidates:
        parts = table_parts(parse_table(cand, dialect), dialect)
        if parts == target:
            return cand
        if parts_match(parts, target):
            best.append((min(len(parts), len(target)), cand))
    if not best:
        return None
    top = max(n for n, _ in best)
    winners = [c for n, c in best if n == top]
    return winners[0] if len(winners) == 1 else None


def _dialect_name(dialect: DialectType) -> str | None:
    if dialect is None:
        return None
    return dialect if isinstance(dialect, str) else type(dialect).__name__.lower()
