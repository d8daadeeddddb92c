from __future__ import annotations

import pytest

from dagster_lineage.errors import DagsterLineageError, SqlParseError
from dagster_lineage.sql.lineage import statement_lineage

BAD = [
    "selec id from orders",
    "select (id from orders",
    "select id from orders where",
    "",
    "   ;  ",
]


@pytest.mark.parametrize("sql", BAD)
def test_malformed_sql_names_source_and_dialect(sql: str) -> None:
    with pytest.raises(SqlParseError) as info:
        statement_lineage(sql, dialect="duckdb", source="models/bad_model.sql")
    message = str(info.value)
    assert "models/bad_model.sql" in message
    assert "duckdb" in message
    assert info.value.source == "models/bad_model.sql"
    assert isinstance(info.value, DagsterLineageError)
    assert "\x1b[" not in message  # no terminal colour codes from sqlglot's highlighting


def test_parse_error_points_at_position() -> None:
    with pytest.raises(SqlParseError, match="line 1"):
        statement_lineage("select (id from orders", dialect="postgres", source="x.sql")


def test_unknown_dialect_is_our_error() -> None:
    with pytest.raises(SqlParseError, match="no_such_dialect"):
        statement_lineage("select 1", dialect="no_such_dialect", source="x.sql")


def test_bad_schema_key_is_an_unknown_not_a_crash() -> None:
    lin = statement_lineage("select a from t", schema={"t": {"a": "int"}, "a.b.c.d": {"x": "int"}})
    assert lin.column_names == ("a",)
    assert lin.columns[0].sources[0].table == "t"
    assert any("'a.b.c.d'" in u.reason for u in lin.unknowns)


def test_non_query_statement_reports_an_unknown() -> None:
    lin = statement_lineage("drop table if exists main.x", dialect="duckdb")
    assert lin.columns == ()
    assert lin.unknowns and "no query" in lin.unknowns[0].reason


def test_several_statements_analyse_the_last_query() -> None:
    lin = statement_lineage(
        "create table a as select 1 as x; insert into b select x, y from c",
        dialect="duckdb",
        schema={"c": {"x": "int", "y": "int"}},
    )
    assert lin.target == "b"
    assert lin.column_names == ("x", "y")
    assert any("2 statements" in u.reason for u in lin.unknowns)
