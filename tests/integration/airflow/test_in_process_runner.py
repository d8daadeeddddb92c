"""Materializing DAG assets from Dagster: SQL tasks run in dependency order against DuckDB."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_lineage.defs.airflow import airflow_dag_assets, run_dag_in_process
from dagster_lineage.errors import IntegrationError
from dagster_lineage.integrations.airflow import read_dags_static

ORDERS = [
    (1, 10, "12.50", "completed"),
    (2, 10, "7.50", "completed"),
    (3, 11, "100.00", "completed"),
    (4, 11, "999.00", "cancelled"),
]


@pytest.fixture
def warehouse(tmp_path: Path) -> str:
    path = str(tmp_path / "wh.duckdb")
    con = duckdb.connect(path)
    con.execute(
        "create table fct_orders (order_id int, customer_id int, order_total decimal(10,2), "
        "status varchar, ordered_at timestamp)"
    )
    for oid, cust, total, status in ORDERS:
        con.execute(
            "insert into fct_orders values (?, ?, ?, ?, timestamp '2024-03-01 10:00:00')",
            [oid, cust, total, status],
        )
    con.close()
    return path


def test_materialize_dag_with_intermediate_table(warehouse: str, fixture_dags: Path) -> None:
    assets = airflow_dag_assets(
        dags_folder=fixture_dags / "f07_intermediate_table.py",
        reader="static",
        execution="in_process",
        connections={"duckdb_wh": warehouse},
    )
    (assets_def,) = assets
    assert isinstance(assets_def, dg.AssetsDefinition)
    with dg.instance_for_test() as instance:
        result = dg.materialize(assets, instance=instance)
        assert result.success
        (mat,) = result.asset_materializations_for_node(assets_def.node_def.name)
        assert mat.asset_key == dg.AssetKey("f07_intermediate_table")
        assert mat.metadata["airflow/tasks"].value == {"final": "success", "stage": "success"}
        assert mat.metadata["dagster/row_count"].value == 2
    con = duckdb.connect(warehouse, read_only=True)
    paid = dict(con.execute("select customer_id, paid from main.paid_by_customer").fetchall())
    con.close()
    expected: dict[int, float] = {}
    for _, cust, total, status in ORDERS:
        if status == "completed":
            expected[cust] = expected.get(cust, 0.0) + float(total)
    assert {k: float(v) for k, v in paid.items()} == expected


def test_python_and_bash_tasks_are_skipped_not_failed(warehouse: str, fixture_dags: Path) -> None:
    dag = read_dags_static(fixture_dags / "f11_bash_operator.py").dag("f11_bash_operator")
    runs = {r.task_id: r.state for r in run_dag_in_process(dag, connections={})}
    assert runs == {"start": "success", "run_script": "skipped"}


def test_missing_connection_names_the_dag_file_and_task(fixture_dags: Path) -> None:
    dag = read_dags_static(fixture_dags / "f01_inline_sql.py").dag("f01_inline_sql")
    with pytest.raises(IntegrationError, match=r"f01_inline_sql.py \(task build\).*duckdb_wh"):
        run_dag_in_process(dag, connections={})


def test_failing_sql_is_a_clear_error(tmp_path: Path, fixture_dags: Path) -> None:
    dag = read_dags_static(fixture_dags / "f01_inline_sql.py").dag("f01_inline_sql")
    with pytest.raises(IntegrationError, match="its SQL failed on DuckDB"):
        run_dag_in_process(dag, connections={"duckdb_wh": str(tmp_path / "empty.duckdb")})
