"""UPDATE / DELETE / MERGE fed by a CTE, and scripts ending in a status query (issue 23).

DuckDB judges the lineage: a column of ``src`` the statement uses (as a source or a read) is
exactly a column whose removal makes DuckDB refuse the statement.
"""

from __future__ import annotations

import duckdb
import pytest

from dagster_lineage.sql.lineage import script_lineage, statement_lineage

SCHEMA = {
    "src": {"id": "integer", "name": "varchar", "flag": "boolean"},
    "tgt": {"id": "integer", "name": "varchar"},
}
STATEMENTS = [
    "WITH s AS (SELECT id, name FROM src) UPDATE tgt SET name = s.name FROM s WHERE s.id = tgt.id",
    "WITH s AS (SELECT id FROM src WHERE flag) DELETE FROM tgt USING s WHERE s.id = tgt.id",
    "WITH a AS (SELECT id, name, flag FROM src), b AS (SELECT id, upper(name) AS name FROM a "
    "WHERE flag) UPDATE tgt SET name = b.name FROM b WHERE b.id = tgt.id",
    "WITH s AS (SELECT id, name FROM src) MERGE INTO tgt USING s ON s.id = tgt.id "
    "WHEN MATCHED THEN UPDATE SET name = s.name",
]


def binds_without(sql: str, dropped: str) -> bool:
    con = duckdb.connect()
    cols = {**SCHEMA["src"]}
    cols.pop(dropped)
    con.execute("create table src (" + ", ".join(f"{c} {t}" for c, t in cols.items()) + ")")
    con.execute("create table tgt (id integer, name varchar)")
    try:
        con.execute(sql)
    except duckdb.Error:
        return False
    finally:
        con.close()
    return True


@pytest.mark.parametrize("sql", STATEMENTS)
def test_a_cte_feeding_a_dml_statement_is_followed_to_its_table(sql):
    lin = statement_lineage(sql, dialect="duckdb", schema=SCHEMA)
    assert "s" not in lin.tables and "a" not in lin.tables and "src" in lin.tables
    used = {s.column for c in lin.columns for s in c.sources if s.table == "src"}
    used |= {r.column for r in lin.reads if r.table == "src"}
    engine = {c for c in SCHEMA["src"] if not binds_without(sql, c)}
    assert used == engine


def test_a_trailing_status_query_does_not_hide_the_target():
    script = script_lineage(
        "INSERT INTO tgt SELECT id, name FROM src; SELECT 1 AS aff_rows;",
        dialect="duckdb",
        schema=SCHEMA,
    )
    assert script.outputs == ("tgt",)
    assert [(c.name, [s.column for s in c.sources]) for c in script.lineage.columns] == [
        ("id", ["id"]),
        ("name", ["name"]),
    ]
    # a script that only queries keeps its query as the output
    alone = script_lineage("SELECT 1 AS aff_rows;", dialect="duckdb", schema=SCHEMA)
    assert [c.name for c in alone.lineage.columns] == ["aff_rows"]
