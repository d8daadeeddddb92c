"""Column lineage of one SQL statement (stub: the SQL-core work fills this in).

Examples:
    >>> from dagster_lineage.sql.lineage import statement_lineage
    >>> callable(statement_lineage)
    True
"""

from __future__ import annotations

from collections.abc import Mapping

from dagster_lineage.sql.types import StatementLineage

SchemaMapping = Mapping[str, Mapping[str, str | None]]
"""Upstream table name (``db.schema.table``, ``schema.table`` or ``table``) -> {column: type}."""


def statement_lineage(
    sql: str,
    *,
    dialect: str | None = None,
    schema: SchemaMapping | None = None,
    source: str | None = None,
) -> StatementLineage:
    """Column lineage of ``sql``: every output column's sources and the columns only read.

    Args:
        sql: one SELECT / WITH / INSERT ... SELECT / CREATE TABLE AS statement.
        dialect: the sqlglot dialect (``duckdb``, ``postgres``, ``spark``, ...).
        schema: known upstream table schemas used to qualify columns and expand ``*``.
        source: where the SQL comes from (file path), used in error messages.

    Raises:
        SqlParseError: when the SQL cannot be parsed.
    """
    raise NotImplementedError("statement_lineage is being implemented")
