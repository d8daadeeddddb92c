"""Warehouse statistics for the data checksum: row count, order-independent content hash, schema.

Talks to DuckDB and PostgreSQL directly (``duckdb`` / ``psycopg2``) or through a caller's executor
(a dbt adapter: :meth:`TableHandle.from_executor`), no Dagster import. The content hash sums a per-row md5 of the row's **canonical text**, so it does not depend on row order and counts
duplicate rows; it is computed in the warehouse in one scan. For very large tables turn it off
(``data_checksum=False``) or cap it (``max_rows_for_checksum``): the row count is still recorded.

The canonical text does not depend on the session's time zone, locale or output settings
(``TimeZone``, ``DateStyle``, ``IntervalStyle``, ``extra_float_digits``, ``bytea_output``), so the same
rows give the same checksum on every machine. A row is the concatenation, in column order, of each
value as ``s<length>:<text>``, or ``n`` for NULL (so NULL and ``''`` differ and no separator can be
forged). Each value's text by type:

==========================  ====================================================================
type                        canonical text
==========================  ====================================================================
timestamp with time zone    UTC, ISO 8601 with microseconds and ``Z``: ``2024-03-10T07:30:00.000000Z``
timestamp (no time zone)    ISO 8601 with microseconds, no zone: ``2024-03-10T02:30:00.000000``
date                        ``YYYY-MM-DD``
time                        ``HH:MM:SS.ffffff``
decimal / numeric           the value without trailing-zero noise: ``1.50`` -> ``1.5``, ``2.00`` -> ``2``
float / double / real       shortest round-trip decimal (DuckDB's text, as Python's ``repr``;
                            PostgreSQL's with ``extra_float_digits = 1``)
boolean                     ``true`` / ``false``
bytes (blob / bytea)        lower-case hex
interval                    PostgreSQL: ISO 8601 (``IntervalStyle = iso_8601``); DuckDB: its text
other (text, integers,      the warehouse's text, read with the session's ``TimeZone`` set to UTC
uuid, json, nested...)      (nested values holding timestamps are thus in UTC too)
==========================  ====================================================================

Settings are changed only for the statistics query: on a connection this module opens, or inside a
savepoint (PostgreSQL) / restored afterwards (DuckDB) on a connection the caller passes.

Examples:
    >>> import duckdb
    >>> from dagster_lineage.state.warehouse import TableHandle, table_stats
    >>> con = duckdb.connect()
    >>> _ = con.execute("create table t as select * from (values (1, 'a'), (2, 'b')) v(id, name)")
    >>> stats = table_stats(TableHandle.duckdb(con, "t"))
    >>> stats.row_count, [c.name for c in stats.columns]
    (2, ['id', 'name'])
    >>> _ = con.execute("create table u as select * from t order by id desc")
    >>> table_stats(TableHandle.duckdb(con, "u")).data_checksum == stats.data_checksum
    True
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal

from dagster_lineage.core.model import ColumnInfo
from dagster_lineage.errors import IntegrationError, import_extra, redact
from dagster_lineage.state.checksums import data_checksum as _data_checksum

WarehouseKind = Literal["duckdb", "postgres"]


def _quote(name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def _split(table: str, default_schema: str) -> tuple[str, str]:
    parts = table.split(".")
    if len(parts) == 1:
        return default_schema, parts[0]
    return parts[-2], parts[-1]


@dataclass(frozen=True)
class TableHandle:
    """Where a materialized table lives, for :func:`table_stats` (and ``checksum_metadata(table=)``).

    Build it with :meth:`duckdb` or :meth:`postgres`.

    Attributes:
        kind: ``"duckdb"`` or ``"postgres"``.
        table: the table name, optionally ``schema.table`` (default schema ``main`` / ``public``).
        database: a DuckDB file path (``:memory:`` allowed) or a PostgreSQL DSN; or ``None`` when
            ``connection`` is given.
        connection: an open DuckDB connection or psycopg2 connection to reuse (DuckDB allows a
            single writer per file, so pass the asset's own connection when it holds one).
        execute: a callable ``execute(sql) -> rows`` that runs one statement and returns its rows
            (e.g. through a dbt adapter, see :meth:`from_executor`); used instead of a driver.
        data_checksum: compute the content hash (off for very large tables).
        max_rows_for_checksum: skip the content hash above this many rows (``None``: no cap).

    Examples:
        >>> TableHandle.duckdb("/tmp/w.duckdb", "main.fct_orders").qualified
        '"main"."fct_orders"'
    """

    kind: WarehouseKind
    table: str
    database: str | None = field(default=None, repr=False)
    connection: Any = field(default=None, compare=False, repr=False)
    execute: Any = field(default=None, compare=False, repr=False)
    data_checksum: bool = True
    max_rows_for_checksum: int | None = None

    def __repr__(self) -> str:
        """The handle with the DSN's password removed (a repr reaches logs and error messages).

        Examples:
            >>> h = TableHandle.postgres("postgresql://u:s3cret@db:5432/x password=s3cret", "t")
            >>> "s3cret" in repr(h), repr(h)
            (False, "TableHandle(kind='postgres', table='t', database='postgresql://***@db:5432/x password=***')")
        """
        db = f", database={redact(self.database)!r}" if self.database is not None else ""
        return f"TableHandle(kind={self.kind!r}, table={self.table!r}{db})"

    @classmethod
    def duckdb(
        cls,
        database: str | os.PathLike[str] | Any,
        table: str,
        *,
        data_checksum: bool = True,
        max_rows_for_checksum: int | None = None,
    ) -> TableHandle:
        """A DuckDB table, given a database file path or an open ``duckdb`` connection.

        Examples:
            >>> TableHandle.duckdb(":memory:", "t").kind
            'duckdb'
        """
        if isinstance(database, (str, os.PathLike)):
            return cls(
                "duckdb",
                table,
                database=os.fspath(database),
                data_checksum=data_checksum,
                max_rows_for_checksum=max_rows_for_checksum,
            )
        return cls(
            "duckdb",
            table,
            connection=database,
            data_checksum=data_checksum,
            max_rows_for_checksum=max_rows_for_checksum,
        )

    @classmethod
    def postgres(
        cls,
        dsn_or_connection: str | Any,
        table: str,
        *,
        data_checksum: bool = True,
        max_rows_for_checksum: int | None = None,
    ) -> TableHandle:
        """A PostgreSQL table, given a libpq DSN/URL or an open psycopg2 connection.

        Examples:
            >>> TableHandle.postgres("postgresql://u@127.0.0.1:5432/db", "public.t").kind
            'postgres'
        """
        if isinstance(dsn_or_connection, str):
            return cls(
                "postgres",
                table,
                database=dsn_or_connection,
                data_checksum=data_checksum,
                max_rows_for_checksum=max_rows_for_checksum,
            )
        return cls(
            "postgres",
            table,
            connection=dsn_or_connection,
            data_checksum=data_checksum,
            max_rows_for_checksum=max_rows_for_checksum,
        )

    @classmethod
    def from_executor(
        cls,
        kind: WarehouseKind,
        table: str,
        execute: Any,
        *,
        data_checksum: bool = True,
        max_rows_for_checksum: int | None = None,
    ) -> TableHandle:
        """A table read through ``execute(sql) -> rows`` (one statement, string literals inlined).

        The same statistics queries as :meth:`duckdb` / :meth:`postgres` run through the caller's
        connection, e.g. a dbt adapter's ``adapter.execute(sql, auto_begin=True, fetch=True)``
        on any warehouse dbt reaches with the ``kind``'s SQL dialect. On ``postgres`` the output
        settings are set transaction-locally: the executor's owner rolls its transaction back.

        Examples:
            >>> import duckdb
            >>> con = duckdb.connect()
            >>> _ = con.execute("create table t as select 1 as id")
            >>> h = TableHandle.from_executor("duckdb", "t", lambda sql: con.execute(sql).fetchall())
            >>> table_stats(h).row_count
            1
        """
        return cls(
            kind,
            table,
            execute=execute,
            data_checksum=data_checksum,
            max_rows_for_checksum=max_rows_for_checksum,
        )

    @property
    def qualified(self) -> str:
        """The quoted table name for SQL."""
        return _quote(self.table)

    @property
    def display(self) -> str:
        """``duckdb:main.t`` for messages (no paths, no credentials)."""
        return f"{self.kind}:{self.table}"


@dataclass(frozen=True)
class TableStats:
    """What the warehouse says about a table.

    Examples:
        >>> TableStats(3, "h", ()).data_checksum is not None
        True
        >>> TableStats(3, None, ()).data_checksum is None
        True
    """

    row_count: int
    content_hash: str | None
    columns: tuple[ColumnInfo, ...]

    @property
    def data_checksum(self) -> str | None:
        """Checksum of row count and content, or ``None`` when the content hash was skipped."""
        if self.content_hash is None:
            return None
        return _data_checksum(self.row_count, self.content_hash)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _duckdb_text(column: str, data_type: str) -> str:
    """DuckDB expression: the canonical text of one column (see the module docstring)."""
    c = _ident(column)
    t = data_type.upper().strip()
    if "[" in t or t.startswith(("STRUCT", "MAP", "UNION")):
        return f"{c}::VARCHAR"  # nested: the session time zone is UTC while hashing
    if t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return f"strftime(({c}) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ')"
    if t in ("TIMESTAMP", "DATETIME", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"):
        return f"strftime({c}::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%f')"
    if t == "DATE":
        return f"strftime({c}, '%Y-%m-%d')"
    if t == "TIME":
        return f"strftime(DATE '2000-01-01' + {c}, '%H:%M:%S.%f')"
    if t.startswith(("DECIMAL", "NUMERIC")):
        return _trim_zeros(f"{c}::VARCHAR", "strpos")
    if t in ("BLOB", "BYTEA", "VARBINARY"):
        return f"lower(hex({c}))"
    if t == "BOOLEAN":
        return f"CASE WHEN {c} THEN 'true' WHEN NOT {c} THEN 'false' END"
    return f"{c}::VARCHAR"


def _pg_text(column: str, data_type: str) -> str:
    """PostgreSQL expression: the canonical text of one column (see the module docstring)."""
    c = _ident(column)
    t = data_type.lower()
    if t == "timestamp with time zone":
        return f"to_char(({c}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    if t == "timestamp without time zone":
        return f"to_char({c}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
    if t == "date":
        return f"to_char({c}, 'YYYY-MM-DD')"
    if t == "time without time zone":
        return f"to_char(TIMESTAMP '2000-01-01' + {c}, 'HH24:MI:SS.US')"
    if t.startswith("numeric"):
        return _trim_zeros(f"{c}::text", "strpos")
    if t == "bytea":
        return f"encode({c}, 'hex')"
    if t == "boolean":
        return f"CASE WHEN {c} THEN 'true' WHEN NOT {c} THEN 'false' END"
    return f"{c}::text"


def _trim_zeros(text: str, strpos: str) -> str:
    return (
        f"CASE WHEN {strpos}({text}, '.') > 0 THEN rtrim(rtrim({text}, '0'), '.') ELSE {text} END"
    )


def _row_text(exprs: list[str]) -> str:
    """One row's canonical text: ``s<len>:<text>`` per value, ``n`` for NULL, concatenated."""
    parts = [f"coalesce('s' || length({e})::VARCHAR || ':' || {e}, 'n')" for e in exprs]
    return " || ".join(parts) if parts else "''"


def _executor(execute: Any) -> Any:
    return lambda sql, _params: execute(sql)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class _Runner:
    """Runs the statistics queries: on a driver connection or through ``TableHandle.execute``.

    Queries are written with ``{0}``, ``{1}`` placeholders for string parameters: a driver gets
    them bound (``?`` for DuckDB, ``%s`` for psycopg2), an executor gets them as quoted literals
    (a dbt adapter's ``execute`` takes no bindings).
    """

    def __init__(self, handle: TableHandle, execute: Any, style: str) -> None:
        self.handle = handle
        self._execute = execute
        self._style = style

    def rows(self, sql: str, *params: str) -> list[tuple[Any, ...]]:
        if not params:  # no placeholders: the text goes as written (braces, percent signs)
            return [tuple(r) for r in self._execute(sql, None)]
        if self._style == "literal":
            return [tuple(r) for r in self._execute(sql.format(*map(_literal, params)), None)]
        mark = "?" if self._style == "qmark" else "%s"
        return [tuple(r) for r in self._execute(sql.format(*([mark] * len(params))), params)]

    def one(self, sql: str, *params: str) -> Any:
        return self.rows(sql, *params)[0][0]


_COLUMNS_SQL = (
    "select column_name, data_type from information_schema.columns "
    "where table_schema = {0} and table_name = {1} order by ordinal_position"
)
_PG_COLUMNS_SQL = (
    "select column_name, "
    "case when data_type in ('numeric', 'character varying') and "
    "coalesce(numeric_precision, character_maximum_length) is not null then "
    "data_type || '(' || coalesce(numeric_precision::text || ',' || "
    "numeric_scale::text, character_maximum_length::text) || ')' "
    "else data_type end "
    "from information_schema.columns where table_schema = {0} and table_name = {1} "
    "order by ordinal_position"
)


def _missing(handle: TableHandle) -> IntegrationError:
    return IntegrationError(
        handle.display, "the table does not exist", fix="Check the table name and schema."
    )


def _duckdb_stats(handle: TableHandle) -> TableStats:
    if handle.execute is not None:
        return _duckdb_stats_on(_Runner(handle, _executor(handle.execute), "literal"))
    con = handle.connection
    own = con is None
    if own:
        duckdb = import_extra("duckdb", extra="duckdb", feature="A DuckDB table's checksum")
        con = duckdb.connect(handle.database or ":memory:")
    try:
        return _duckdb_stats_on(
            _Runner(
                handle, lambda sql, params: con.execute(sql, list(params or ())).fetchall(), "qmark"
            )
        )
    finally:
        if own:
            con.close()


def _duckdb_stats_on(run: _Runner) -> TableStats:
    handle = run.handle
    schema, name = _split(handle.table, "main")
    cols = [(str(c), str(t)) for c, t in run.rows(_COLUMNS_SQL, schema, name)]
    if not cols:
        raise _missing(handle)
    q = handle.qualified
    rows = int(run.one(f"select count(*) from {q}"))
    content: str | None = None
    if _want_hash(handle, rows):
        row = _row_text([_duckdb_text(c, t) for c, t in cols])
        saved = run.one("select current_setting('TimeZone')")
        run.rows("SET TimeZone = 'UTC'")
        try:
            res = run.one(
                f"select coalesce(sum(md5_number_lower({row})::hugeint), 0)::varchar from {q} as t"
            )
        finally:
            quoted = str(saved).replace("'", "''")
            run.rows(f"SET TimeZone = '{quoted}'")
        content = str(res)
    return TableStats(rows, content, tuple(ColumnInfo(c, t) for c, t in cols))


def _pg_stats(handle: TableHandle) -> TableStats:
    if handle.execute is not None:
        return _pg_stats_on(_Runner(handle, _executor(handle.execute), "literal"), None)
    import psycopg2

    con = handle.connection
    own = con is None
    if own:
        con = psycopg2.connect(handle.database)
    try:
        with con.cursor() as cur:

            def execute(sql: str, params: tuple[str, ...] | None) -> list[tuple[Any, ...]]:
                cur.execute(sql, params)
                return list(cur.fetchall()) if cur.description is not None else []

            stats = _pg_stats_on(_Runner(handle, execute, "format"), con)
        if own:
            con.rollback()
        return stats
    finally:
        if own:
            con.close()


def _pg_stats_on(run: _Runner, con: Any) -> TableStats:
    handle = run.handle
    schema, name = _split(handle.table, "public")
    cols = [(str(c), str(t)) for c, t in run.rows(_PG_COLUMNS_SQL, schema, name)]
    if not cols:
        raise _missing(handle)
    q = handle.qualified
    rows = int(run.one(f"select count(*) from {q}"))
    content: str | None = None
    if _want_hash(handle, rows):
        raw = [(str(c), str(t)) for c, t in run.rows(_COLUMNS_SQL, schema, name)]
        row = _row_text([_pg_text(c, t) for c, t in raw]).replace("::VARCHAR", "::text")
        content = _pg_content(run, con, row, q)
    return TableStats(rows, content, tuple(ColumnInfo(c, t) for c, t in cols))


_PG_SETTINGS = (
    ("TimeZone", "UTC"),
    ("DateStyle", "ISO, YMD"),
    ("IntervalStyle", "iso_8601"),
    ("extra_float_digits", "1"),
    ("bytea_output", "hex"),
)


def _pg_content(run: _Runner, con: Any, row: str, table: str) -> str:
    """The content hash, with the output settings pinned for this statement only.

    On a driver connection the settings live in a savepoint (or a transaction) rolled back after
    the query. Through an executor (a dbt adapter) they are transaction-local (``set_config(...,
    true)``) in the executor's transaction, which its owner rolls back when it releases it.
    """
    query = (
        "select coalesce(sum(('x' || substr(md5(" + row + "), 1, 16))"
        f"::bit(64)::bigint::numeric), 0)::text from {table} as t"
    )
    settings = " union all ".join(
        f"select set_config({_literal(n)}, {_literal(v)}, true)" for n, v in _PG_SETTINGS
    )
    if con is None:
        run.rows(settings)
        return str(run.one(query))
    autocommit = bool(getattr(con, "autocommit", False))
    run.rows("BEGIN" if autocommit else "SAVEPOINT dagster_lineage_stats")
    try:
        run.rows(settings)
        return str(run.one(query))
    finally:
        if autocommit:
            run.rows("ROLLBACK")
        else:
            run.rows("ROLLBACK TO SAVEPOINT dagster_lineage_stats")
            run.rows("RELEASE SAVEPOINT dagster_lineage_stats")


def _want_hash(handle: TableHandle, rows: int) -> bool:
    if not handle.data_checksum:
        return False
    return handle.max_rows_for_checksum is None or rows <= handle.max_rows_for_checksum


def table_stats(handle: TableHandle) -> TableStats:
    """Row count, content hash and columns of a DuckDB or PostgreSQL table.

    Raises:
        IntegrationError: the table does not exist or the kind is unknown. Driver errors (lock,
            connection) propagate; :func:`~dagster_lineage.defs.recording.checksum_metadata` turns
            them into a warning.

    Examples:
        >>> import duckdb
        >>> con = duckdb.connect()
        >>> _ = con.execute("create table t(id int)")
        >>> table_stats(TableHandle.duckdb(con, "main.t")).row_count
        0
    """
    if handle.kind == "duckdb":
        return _duckdb_stats(handle)
    if handle.kind == "postgres":
        return _pg_stats(handle)
    raise IntegrationError(
        handle.display, f"unknown warehouse kind {handle.kind!r}", fix="Use 'duckdb' or 'postgres'."
    )
