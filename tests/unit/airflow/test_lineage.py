"""Lineage records built from the fixture DAGs (static reader): deps, columns, reads, unknowns."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dagster_lineage.core.model import (
    AssetLineage,
    Clause,
    ColumnInfo,
    ColumnRead,
    ColumnRef,
    EdgeKind,
)
from dagster_lineage.integrations.airflow import (
    AirflowLineageSettings,
    AirflowLineageTranslator,
    DeclaredLineage,
    dag_records,
)
from dagster_lineage.integrations.airflow.lineage import AirflowUnit, code_checksum_of
from dagster_lineage.integrations.airflow.model import DagFolder, DagInfo, TaskInfo, TaskKind
from dagster_lineage.integrations.airflow.templates import render_sql


@pytest.fixture(scope="module")
def units(static_folder: DagFolder) -> dict[str, AirflowUnit]:
    return {u.dag.dag_id: u for u in dag_records(static_folder.dags)}


def deps(rec: AssetLineage, col: str) -> set[tuple[str, str, str]]:
    return {
        ("/".join(d.upstream.asset), d.upstream.column, d.kind.value) for d in rec.column_deps[col]
    }


def reads(rec: AssetLineage) -> set[tuple[str, str, str]]:
    return {("/".join(r.upstream.asset), r.upstream.column, r.clause.value) for r in rec.reads}


def test_inline_sql(units: dict[str, AirflowUnit]) -> None:
    rec = units["f01_inline_sql"].record
    assert rec.upstream == (("fct_orders",),)
    assert rec.column_names == ("customer_id", "revenue")
    assert deps(rec, "revenue") == {("fct_orders", "order_total", "aggregation")}
    assert reads(rec) == {
        ("fct_orders", "status", "filter"),
        ("fct_orders", "customer_id", "group"),
    }
    assert units["f01_inline_sql"].output_table == "main.customer_revenue"
    assert rec.owners == ("team:finance",)


def test_templated_sql_renders_params_and_ds(units: dict[str, AirflowUnit]) -> None:
    rec = units["f04_params_templated"].record
    assert rec.upstream == (("fct_orders",),)  # the table name came from params
    assert reads(rec) == {
        ("fct_orders", "status", "filter"),
        ("fct_orders", "ordered_at", "filter"),
    }
    assert rec.unknowns == ()


def test_include_through_template_searchpath(units: dict[str, AirflowUnit]) -> None:
    rec = units["f03_template_searchpath"].record
    assert deps(rec, "last_order_at") == {("fct_orders", "ordered_at", "aggregation")}


def test_multi_statement_and_list_sql(units: dict[str, AirflowUnit]) -> None:
    rec = units["f05_multi_statement"].record
    assert rec.upstream == (("fct_orders",), ("stg_orders",))
    assert deps(rec, "order_total") == {
        ("fct_orders", "order_total", "identity"),
        ("stg_orders", "order_total", "identity"),
    }
    listed = units["f06_sql_list"].record
    assert listed.column_names == ("status", "orders")


def test_intermediate_table_is_traced_through(units: dict[str, AirflowUnit]) -> None:
    unit = units["f07_intermediate_table"]
    assert unit.record.upstream == (("fct_orders",),)
    # paid = sum(amount), amount = order_total renamed: the path is an aggregation of order_total
    assert deps(unit.record, "paid") == {("fct_orders", "order_total", "aggregation")}
    assert ("fct_orders", "status", "filter") in reads(unit.record)
    assert unit.output_table == "main.paid_by_customer"


def test_python_tasks(units: dict[str, AirflowUnit]) -> None:
    rec = units["f10_python_operator"].record
    assert reads(rec) >= {
        ("fct_orders", "order_total", "select"),
        ("fct_orders", "status", "filter"),
    }
    opaque = units["f09_taskflow_opaque"].record
    assert opaque.upstream == ()
    assert len(opaque.unknowns) == 2 and all(
        "cannot be analysed" in u.reason for u in opaque.unknowns
    )


def test_bash_task_is_unknown_unless_declared(units: dict[str, AirflowUnit]) -> None:
    assert any("BashOperator" in u.reason for u in units["f11_bash_operator"].record.unknowns)
    # with inlets, the Bash task is declared: no unknown, the inlet is a dependency
    rec = units["f12_inlets_outlets"].record
    assert rec.unknowns == ()
    assert rec.upstream == (("s3", "lake", "raw", "events_parquet"),)
    assert units["f12_inlets_outlets"].outlets == ("events_clean",)


def test_asset_scheduled_dag_depends_on_producer(units: dict[str, AirflowUnit]) -> None:
    assert ("f12_inlets_outlets",) in units["f13_asset_scheduled"].record.upstream
    cond = units["f14_asset_condition"].record
    assert cond.upstream == (("fct_orders",), ("refunds",), ("s3", "lake", "customers_csv"))


def test_task_groups_with_two_outputs(units: dict[str, AirflowUnit]) -> None:
    unit = units["f16_task_group"]
    assert unit.output_table is None
    assert set(unit.output_tables) == {"main.orders_by_day", "main.orders_by_customer"}
    assert unit.record.columns == ()
    assert ("fct_orders", "order_id", "select") in reads(unit.record)


def test_check_operator_reads(units: dict[str, AirflowUnit]) -> None:
    assert reads(units["f17_check_operators"].record) == {
        ("fct_orders", "order_id", "select"),
        ("fct_orders", "order_total", "select"),
    }


def test_postgres_join_and_order(units: dict[str, AirflowUnit]) -> None:
    rec = units["f20_join_postgres"].record
    assert reads(rec) == {
        ("fct_orders", "customer_id", "join"),
        ("customers", "customer_id", "join"),
        ("fct_orders", "ordered_at", "order"),
    }


def test_missing_file_and_star(units: dict[str, AirflowUnit]) -> None:
    assert "does_not_exist.sql" in units["f21_missing_sql_file"].record.unknowns[0].reason
    star = units["f25_star_select"].record
    assert star.star_upstreams == (("fct_orders",),)


def test_user_macros(units: dict[str, AirflowUnit]) -> None:
    assert reads(units["f24_user_macros"].record) == {("fct_orders", "order_total", "filter")}


def test_cross_dag_table_dependency(units: dict[str, AirflowUnit]) -> None:
    rec = units["f26_cross_dag_table"].record
    assert rec.upstream == (("f01_inline_sql",),)
    assert deps(rec, "revenue") == {("f01_inline_sql", "revenue", "identity")}


def test_code_checksum_covers_sql_files(static_folder: DagFolder, tmp_path: Path) -> None:
    dag = static_folder.dag("f02_sql_file")
    base = code_checksum_of(dag)
    changed = DagInfo(
        dag.dag_id,
        dag.fileloc,
        tasks=(TaskInfo("load", "X", TaskKind.SQL, sql=(dag.task("load").sql[0] + " limit 2",)),),
    )
    assert code_checksum_of(changed) != base
    # a comment is not a change of what the task computes (the SQL is normalised)
    commented = DagInfo(
        dag.dag_id,
        dag.fileloc,
        tasks=(TaskInfo("load", "X", TaskKind.SQL, sql=(dag.task("load").sql[0] + " -- v2",)),),
    )
    assert code_checksum_of(commented) == code_checksum_of(
        DagInfo(
            dag.dag_id,
            dag.fileloc,
            tasks=(TaskInfo("load", "X", TaskKind.SQL, sql=dag.task("load").sql),),
        )
    )
    assert code_checksum_of(dag) == base


def test_translator_per_task(static_folder: DagFolder) -> None:
    t = AirflowLineageTranslator(AirflowLineageSettings(asset_per="task"))
    units = {
        u.record.key: u
        for u in dag_records([static_folder.dag("f07_intermediate_table")], translator=t)
    }
    final = units[("f07_intermediate_table", "final")].record
    assert final.upstream == (("f07_intermediate_table", "stage"),)
    assert deps(final, "paid") == {("f07_intermediate_table/stage", "amount", "aggregation")}


def test_translator_per_table_and_known_keys(static_folder: DagFolder) -> None:
    t = AirflowLineageTranslator(
        AirflowLineageSettings(
            asset_per="table", known_asset_keys=(("dbt", "fct_orders"),), key_prefix=("wh",)
        )
    )
    units = {
        u.record.key: u for u in dag_records([static_folder.dag("f16_task_group")], translator=t)
    }
    assert set(units) == {("wh", "orders_by_day"), ("wh", "orders_by_customer")}
    rec = units[("wh", "orders_by_day")].record
    assert rec.upstream == (("dbt", "fct_orders"),)
    assert deps(rec, "n") == {("dbt/fct_orders", "order_id", "aggregation")}


def test_unknown_table_with_known_keys_is_reported(static_folder: DagFolder) -> None:
    t = AirflowLineageTranslator(AirflowLineageSettings(known_asset_keys=(("fct_orders",),)))
    (unit,) = dag_records([static_folder.dag("f20_join_postgres")], translator=t)
    assert unit.record.upstream == (("fct_orders",),)
    assert any("'customers' is not a known asset" in u.reason for u in unit.record.unknowns)


def test_declared_lineage_replaces_unknowns(static_folder: DagFolder) -> None:
    class Declaring(AirflowLineageTranslator):
        def get_declared_lineage(self, dag, task):  # type: ignore[no-untyped-def]
            if task.task_id == "run_script":
                return DeclaredLineage(
                    reads=(ColumnRead(ColumnRef(("fct_orders",), "customer_id"), Clause.SELECT),)
                )
            return None

    (unit,) = dag_records([static_folder.dag("f11_bash_operator")], translator=Declaring())
    assert unit.record.unknowns == ()
    assert unit.record.upstream == (("fct_orders",),)
    assert reads(unit.record) == {("fct_orders", "customer_id", "select")}


def test_dialect_from_airflow_conn_env(monkeypatch: pytest.MonkeyPatch) -> None:
    t = TaskInfo("q", "SQLExecuteQueryOperator", TaskKind.SQL, conn_id="warehouse")
    dag = DagInfo("d", "d.py", tasks=(t,))
    tr = AirflowLineageTranslator(AirflowLineageSettings(default_dialect="duckdb"))
    assert tr.get_sql_dialect(dag, t) == "duckdb"
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", "postgresql://u:p@host:5432/db")
    assert tr.get_sql_dialect(dag, t) == "postgres"
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", '{"conn_type": "snowflake"}')
    assert tr.get_sql_dialect(dag, t) == "snowflake"
    assert os.environ["AIRFLOW_CONN_WAREHOUSE"]


def test_upstream_schemas_expand_star(static_folder: DagFolder) -> None:
    schema = {"fct_orders": {"order_id": "integer", "status": "varchar"}}
    (unit,) = dag_records([static_folder.dag("f25_star_select")], upstream_schemas=schema)
    assert unit.record.column_names == ("order_id", "status")
    assert deps(unit.record, "status") == {("fct_orders", "status", "identity")}
    known = AssetLineage(
        key=("fct_orders",), columns=(ColumnInfo("order_id", "integer"), ColumnInfo("x", "int"))
    )
    (unit2,) = dag_records([static_folder.dag("f25_star_select")], known_records=[known])
    assert unit2.record.column_names == ("order_id", "x")


def test_render_unknown_values_are_reported() -> None:
    r = render_sql("select * from {{ var.value.schema }}.t where d > '{{ macros.ds_add(ds, -1) }}'")
    assert r.sql == "select * from __var_value_schema__.t where d > '1999-12-31'"
    assert r.notes == ("template value 'var.value.schema' is only known at run time",)
    assert EdgeKind.AGGREGATION.value == "aggregation"


def test_a_failing_translator_hook_degrades_to_an_unknown(static_folder: DagFolder) -> None:
    class Broken(AirflowLineageTranslator):
        def get_declared_lineage(self, dag, task):  # type: ignore[no-untyped-def]
            raise RuntimeError("hook bug")

    (unit,) = dag_records([static_folder.dag("f01_inline_sql")], translator=Broken())
    assert unit.record.key == ("f01_inline_sql",)
    assert "hook bug" in unit.record.unknowns[0].reason
    assert "f01_inline_sql" in unit.record.unknowns[0].reason
