from __future__ import annotations

import json
from pathlib import Path

import pytest
from impact_story import story_graph

from dagster_lineage.errors import ChangeSpecError, SqlParseError
from dagster_lineage.impact.analysis import analyze_impact
from dagster_lineage.impact.migration import Migration, load_migration, parse_migration
from dagster_lineage.impact.schema_changes import change_from_dict

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "impact" / "migrations"

CASES = [
    ("duckdb_story", "duckdb"),
    ("postgres_mixed", "postgres"),
    ("mysql_change", "mysql"),
    ("snowflake_rename", "snowflake"),
]


@pytest.mark.parametrize(("name", "dialect"), CASES)
def test_migration_fixture(name: str, dialect: str) -> None:
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text())
    ignored = expected.pop("ignored")
    m = load_migration(FIXTURES / f"{name}.sql", dialect=dialect)
    assert {t: list(cs) for t, cs in m.changes.items()} == {
        t: [change_from_dict(c) for c in cs] for t, cs in expected.items()
    }
    assert len(m.ignored) == ignored


def test_duckdb_migration_drives_the_story_analysis() -> None:
    m = load_migration(FIXTURES / "duckdb_story.sql", dialect="duckdb")
    report = analyze_impact(story_graph(), "raw_orders", m.changes_for(("raw_orders",)))
    assert report.risk.value == "high"
    assert {"stg_orders", "fct_orders", "daily_revenue_report"} == {
        a.key[-1] for a in report.breaking
    }


def test_table_matching() -> None:
    m = parse_migration(
        "ALTER TABLE main.orders DROP COLUMN a; ALTER TABLE orders DROP COLUMN b;"
        "ALTER TABLE other.orders DROP COLUMN c;",
        dialect="duckdb",
    )
    assert m.tables_for(("main", "orders")) == ("main.orders", "orders")
    assert [c.column for c in m.changes_for(("main", "orders"))] == ["a", "b"]
    with pytest.raises(ChangeSpecError, match="several tables"):
        m.changes_for("orders")
    with pytest.raises(ChangeSpecError, match="no table matching asset customers"):
        m.changes_for("customers")


@pytest.mark.parametrize("name", ["bad_unsupported", "bad_syntax"])
def test_bad_sql_is_a_clear_error(name: str) -> None:
    with pytest.raises(SqlParseError, match=f"{name}.sql"):
        load_migration(FIXTURES / f"{name}.sql", dialect="postgres")


def test_no_schema_change_and_unknown_dialect() -> None:
    with pytest.raises(ChangeSpecError, match="no column or table change"):
        parse_migration("CREATE INDEX i ON t (a); SELECT 1", dialect="postgres")
    with pytest.raises(SqlParseError, match="dialect"):
        parse_migration("DROP TABLE t", dialect="no_such_dialect")
    assert isinstance(parse_migration("DROP TABLE t"), Migration)


# --- issue 16: statements read wrong before ---------------------------------------------------


def test_postgres_rename_without_column_is_a_column_rename() -> None:
    m = parse_migration(
        "ALTER TABLE raw_orders RENAME order_total TO total_amount", dialect="postgres"
    )
    assert m.changes_for("raw_orders") == (
        change_from_dict({"type": "column_rename", "from": "order_total", "to": "total_amount"}),
    )
    report = analyze_impact(story_graph(), "raw_orders", m.changes_for("raw_orders"))
    assert {"stg_orders", "fct_orders", "daily_revenue_report"} <= {
        a.key[-1] for a in report.breaking
    }
    # a real table rename still reads as one
    assert parse_migration("ALTER TABLE t RENAME TO u", dialect="postgres").changes == {
        "t": (change_from_dict({"type": "table_rename", "to": "u"}),)
    }


@pytest.mark.parametrize(
    "drop", ["DROP VIEW main.stg_orders", "DROP MATERIALIZED VIEW main.stg_orders"]
)
def test_dropped_view_is_a_dropped_relation(drop: str) -> None:
    m = parse_migration(f"{drop}; ALTER TABLE main.raw_orders ADD COLUMN c int", dialect="postgres")
    assert m.changes_for("stg_orders") == (change_from_dict({"type": "table_drop"}),)
    report = analyze_impact(story_graph(), "stg_orders", m.changes_for("stg_orders"))
    assert report.risk.value == "high"
    assert "fct_orders" in {a.key[-1] for a in report.breaking}
