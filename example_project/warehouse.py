"""DuckDB helpers for the example: one short-lived connection per use (DuckDB has one writer)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from example_project import paths


def ensure_state_dirs() -> None:
    """Create the example's state folders on demand (never at import time)."""
    for d in (paths.STATE_DIR, paths.DBT_TARGET_DIR, paths.EXPORT_DIR):
        d.mkdir(parents=True, exist_ok=True)


@contextmanager
def connect(
    *, read_only: bool = False, path: Path | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection to the example warehouse, closed on exit."""
    ensure_state_dirs()
    conn = duckdb.connect(str(path or paths.DUCKDB_PATH), read_only=read_only)
    try:
        yield conn
    finally:
        conn.close()


def table_columns(
    conn: duckdb.DuckDBPyConnection, table: str, schema: str = "main"
) -> list[tuple[str, str]]:
    """``(name, type)`` of a table's columns, in order (lower-case DuckDB type names)."""
    rows = conn.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [(str(n), str(t).lower()) for n, t in rows]
