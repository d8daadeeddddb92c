"""Scripts of several statements, end to end: the SQL core and the Airflow reader that uses it."""

from __future__ import annotations

from dagster_lineage.core.model import Clause, ColumnDep, ColumnRef, EdgeKind
from dagster_lineage.integrations.airflow.lineage import dag_records
from dagster_lineage.integrations.airflow.model import DagInfo, TaskInfo, TaskKind
from dagster_lineage.integrations.airflow.translator import (
    AirflowLineageSettings,
    AirflowLineageTranslator,
)
from dagster_lineage.sql.lineage import script_lineage


def _unit(sql: str, conn_id: str = "duckdb_wh", dialects: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    task = TaskInfo("build", "SQLExecuteQueryOperator", TaskKind.SQL, conn_id=conn_id, sql=(sql,))
    translator = AirflowLineageTranslator(AirflowLineageSettings(conn_dialects=dialects or {}))
    units = dag_records([DagInfo("report", "report.py", tasks=(task,))], translator=translator)
    assert len(units) == 1
    return units[0]


def test_airflow_sql_file_temp_table_then_star_is_traced_to_the_first_sources() -> None:
    """The temp table's columns are known to the next statement (its * expands) and traced through."""
    unit = _unit(
        "create temp table recent as select order_id, order_total from fct_orders "
        "where status = 'completed';\n"
        "create or replace table big_orders as select * from recent where order_total > 100;"
    )
    rec = unit.record
    assert unit.output_table == "big_orders"
    assert rec.upstream == (("fct_orders",),)
    assert rec.column_names == ("order_id", "order_total")
    assert rec.column_deps["order_total"] == (
        ColumnDep(ColumnRef(("fct_orders",), "order_total"), EdgeKind.IDENTITY),
    )
    assert {(r.upstream.column, r.clause) for r in rec.reads} == {
        ("status", Clause.FILTER),
        ("order_total", Clause.FILTER),
    }
    assert not [u for u in rec.unknowns if "recent" in u.reason], rec.unknowns


def test_airflow_tsql_ctas_keeps_its_target() -> None:
    """sqlglot rewrites a T-SQL CREATE TABLE AS into SELECT ... INTO: still the task's output."""
    unit = _unit(
        "create table dbo.daily as select region, sum(amount) as total from dbo.sales group by region",
        conn_id="mssql_wh",
        dialects={"mssql_wh": "tsql"},
    )
    assert unit.output_table == "dbo.daily"
    assert unit.record.column_names == ("region", "total")
    assert unit.record.column_deps["total"][0].kind is EdgeKind.AGGREGATION


def test_airflow_merge_into_the_output_table() -> None:
    """A task's MERGE gives the output table's columns their sources, ON columns shape them."""
    unit = _unit(
        "merge into dim_customer d using stg_customers s on d.customer_id = s.customer_id "
        "when matched then update set email = s.email "
        "when not matched then insert (customer_id, email) values (s.customer_id, s.email)"
    )
    rec = unit.record
    assert unit.output_table == "dim_customer"
    assert rec.column_deps["email"] == (
        ColumnDep(ColumnRef(("stg_customers",), "email"), EdgeKind.IDENTITY),
    )
    assert {r.upstream.display() for r in rec.indirect_deps["email"]} == {
        "stg_customers.customer_id"
    }


def test_script_lineage_types_flow_through_the_temp_table() -> None:
    script = script_lineage(
        "create temp table t as select cast(amount as bigint) as amt from orders;"
        "select amt + 1 as next_amt from t",
        dialect="duckdb",
        schema={"orders": {"amount": "integer"}},
    )
    assert script.lineage.column_names == ("next_amt",)
    assert script.lineage.columns[0].data_type == "BIGINT"
    assert script.lineage.tables == ("orders",)
