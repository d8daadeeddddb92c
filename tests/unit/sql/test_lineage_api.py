from __future__ import annotations

import pytest
import sqlglot.lineage

import dagster_lineage.sql.analysis as analysis_mod
from dagster_lineage.core.model import Clause, EdgeKind
from dagster_lineage.sql.lineage import statement_lineage
from dagster_lineage.sql.naming import match_table_name, normalize_table_name


def _wide_model(n: int) -> tuple[str, dict[str, dict[str, str | None]]]:
    schema: dict[str, dict[str, str | None]] = {
        "main.wide": {f"c{i}": "integer" for i in range(n)},
        "main.dim": {"id": "integer", "label": "varchar"},
    }
    cols = ",\n".join(
        f"case when c{i} > 0 then c{i} * 2 else c{(i + 1) % n} end as o{i}" for i in range(n)
    )
    sql = (
        "with base as (select * from main.wide where c0 is not null),\n"
        f"step as (select {', '.join(f'c{i}' for i in range(n))}, c1 as id from base)\n"
        f"select {cols}, d.label from step s join main.dim d on s.id = d.id"
    )
    return sql, schema


def test_wide_model_in_one_qualification_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real_qualify = analysis_mod.qualify

    def counting_qualify(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real_qualify(*args, **kwargs)  # type: ignore[arg-type]

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("per-column sqlglot.lineage must not be used")

    monkeypatch.setattr(analysis_mod, "qualify", counting_qualify)
    monkeypatch.setattr(sqlglot.lineage, "lineage", forbidden)
    n = 300
    sql, schema = _wide_model(n)
    lin = statement_lineage(sql, dialect="duckdb", schema=schema)
    assert len(calls) == 1
    assert len(lin.columns) == n + 1
    for i, col in enumerate(lin.columns[:n]):
        assert col.name == f"o{i}"
        assert {(s.table, s.column, s.kind) for s in col.sources} == {
            ("main.wide", f"c{i}", EdgeKind.TRANSFORMATION),
            ("main.wide", f"c{(i + 1) % n}", EdgeKind.TRANSFORMATION),
        }
        assert col.data_type == "INT"
    assert lin.columns[-1].sources[0].table == "main.dim"
    reads = {(r.table, r.column, r.clause) for r in lin.reads}
    assert reads == {
        ("main.wide", "c0", Clause.FILTER),
        ("main.wide", "c1", Clause.JOIN),
        ("main.dim", "id", Clause.JOIN),
    }
    assert lin.star_tables == ()  # the star is inside a CTE that lists its columns
    assert lin.unknowns == ()


def test_qualification_failure_falls_back_to_names_with_an_unknown() -> None:
    schema = {"main.orders": {"id": "int", "amount": "int"}, "other.orders": {"id": "int"}}
    lin = statement_lineage("select id, amount from orders where x > 1", schema=schema)
    assert [(c.name, c.sources[0].table, c.sources[0].column) for c in lin.columns] == [
        ("id", "orders", "id"),
        ("amount", "orders", "amount"),
    ]
    assert [(r.column, r.clause) for r in lin.reads] == [("x", Clause.FILTER)]
    reasons = " | ".join(u.reason for u in lin.unknowns)
    assert "could not qualify" in reasons
    assert "matches several schema tables: main.orders, other.orders" in reasons


def test_schema_keys_of_mixed_depth() -> None:
    schema = {
        "raw_orders": {"order_id": "int", "total": "int"},
        "analytics.main.customers": {"id": "int", "name": "varchar"},
        "main.stg": {"order_id": "int"},
    }
    lin = statement_lineage(
        "select r.order_id, c.name, s.order_id as stg_id from raw_orders r "
        "join main.customers c on r.order_id = c.id join stg s using (order_id)",
        dialect="duckdb",
        schema=schema,
    )
    got = {c.name: {(s.table, s.column) for s in c.sources} for c in lin.columns}
    assert got == {
        "order_id": {("raw_orders", "order_id")},
        "name": {("analytics.main.customers", "name")},
        "stg_id": {("main.stg", "order_id")},
    }
    assert set(lin.tables) == {"raw_orders", "analytics.main.customers", "main.stg"}
    assert "__dl_pad__" not in repr(lin)


def test_unknowns_name_the_output_column() -> None:
    lin = statement_lineage("select x as y from t1, t2", dialect="postgres")
    assert [(u.column, "ambiguous column 'x'" in u.reason) for u in lin.unknowns] == [("y", True)]


def test_inputs_are_not_mutated() -> None:
    schema = {"Main.Orders": {"ID": "int"}}
    before = repr(schema)
    statement_lineage("select id from main.orders", dialect="duckdb", schema=schema)
    assert repr(schema) == before


@pytest.mark.parametrize(
    ("name", "dialect", "expected"),
    [
        ("MAIN.Orders", None, "main.orders"),
        ('"Sales"."Orders"', "postgres", "Sales.Orders"),
        ('"SALES".ORDERS', "snowflake", "sales.orders"),
        ('"Sales".orders', "duckdb", "sales.orders"),
    ],
)
def test_normalize_table_name(name: str, dialect: str | None, expected: str) -> None:
    assert normalize_table_name(name, dialect=dialect) == expected


def test_match_table_name_by_suffix() -> None:
    keys = ["db.main.raw_orders", "main.stg_orders", "other.stg_orders"]
    assert match_table_name("raw_orders", keys) == "db.main.raw_orders"
    assert match_table_name("main.raw_orders", keys) == "db.main.raw_orders"
    assert match_table_name("x.main.raw_orders", keys) is None
    assert match_table_name("main.stg_orders", keys) == "main.stg_orders"
    assert match_table_name("stg_orders", keys) is None  # two candidates
    assert match_table_name("RAW_ORDERS", keys) == "db.main.raw_orders"
