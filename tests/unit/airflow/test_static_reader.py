"""The static (AST) reader on the fixture DAG files: ids, tasks, SQL, params, assets, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from dagster_lineage.errors import IntegrationError
from dagster_lineage.integrations.airflow.model import AirflowAssetRef, DagFolder, TaskKind
from dagster_lineage.integrations.airflow.static_reader import (
    list_dag_files,
    read_dag_file_static,
    read_dags_static,
)


def test_fixture_count(fixtures_dir: Path) -> None:
    assert len(list(fixtures_dir.glob("f*.py"))) >= 20


def test_syntax_error_names_the_file_and_others_load(static_folder: DagFolder) -> None:
    (err,) = static_folder.errors
    assert err.path.endswith("f22_syntax_error.py")
    assert "f22_syntax_error.py" in err.message and "line 5" in err.message
    assert "f01_inline_sql" in static_folder.dag_ids
    assert len(static_folder.dags) >= 20


def test_read_single_file_raises_integration_error(fixtures_dir: Path) -> None:
    with pytest.raises(IntegrationError, match="f22_syntax_error.py"):
        read_dag_file_static(fixtures_dir / "f22_syntax_error.py")


def test_sql_file_relative_to_dag_folder(static_folder: DagFolder, fixtures_dir: Path) -> None:
    task = static_folder.dag("f02_sql_file").task("load")
    expected = (fixtures_dir / "sql" / "f02_orders.sql").read_text()
    assert task.sql == (expected,)
    assert task.sql_files == (str(fixtures_dir / "sql" / "f02_orders.sql"),)
    assert task.kind is TaskKind.SQL and task.conn_id == "duckdb_wh"


def test_template_searchpath_from_file_expression(
    static_folder: DagFolder, fixtures_dir: Path
) -> None:
    dag = static_folder.dag("f03_template_searchpath")
    assert dag.template_searchpath == (str(fixtures_dir / "sql" / "shared"),)
    assert dag.task("refresh").sql == ("{% include 'customer_columns.sql' %}\n",)


def test_params_and_param_defaults(static_folder: DagFolder) -> None:
    dag = static_folder.dag("f04_params_templated")
    assert dict(dag.params) == {"source": "fct_orders", "status": "shipped"}


def test_taskflow_ids_dependencies_and_kinds(static_folder: DagFolder) -> None:
    dag = static_folder.dag("f27_taskflow_override_multi")
    assert dag.task_ids == ("named_report", "report", "report__1")
    assert dag.task("report__1").upstream_task_ids == ("report",)
    assert dag.task("named_report").upstream_task_ids == ("report__1",)
    assert all(t.kind is TaskKind.PYTHON for t in dag.tasks)
    opaque = static_folder.dag("f09_taskflow_opaque")
    assert opaque.task("load").upstream_task_ids == ("extract",)
    assert opaque.owners == ("ml",)


def test_task_groups_prefix_ids_and_group_edges(static_folder: DagFolder) -> None:
    dag = static_folder.dag("f16_task_group")
    assert dag.task_ids == ("done", "marts.by_customer", "marts.by_day")
    assert dag.task("marts.by_customer").upstream_task_ids == ("marts.by_day",)
    # marts >> done: only the group's leaf precedes done
    assert dag.task("done").upstream_task_ids == ("marts.by_customer",)


def test_dag_variable_style_and_chain(static_folder: DagFolder) -> None:
    dag = static_folder.dag("f18_dag_var_style")
    assert dag.task("work").upstream_task_ids == ("begin",)
    assert dag.task("end").upstream_task_ids == ("work",)
    assert [t.task_id for t in dag.topological_tasks()] == ["begin", "work", "end"]


def test_assets_inlets_outlets_and_schedules(static_folder: DagFolder) -> None:
    clean = static_folder.dag("f12_inlets_outlets").task("clean")
    assert clean.inlets == (
        AirflowAssetRef("s3://lake/raw/events.parquet", "s3://lake/raw/events.parquet"),
    )
    assert clean.outlets == (AirflowAssetRef("events_clean", "events_clean"),)
    cond = static_folder.dag("f14_asset_condition")
    assert [a.uri for a in cond.schedule_assets] == [
        "fct_orders",
        "s3://lake/customers.csv",
        "refunds",
    ]


def test_python_tasks_sql_literals_and_notes(static_folder: DagFolder) -> None:
    py = static_folder.dag("f10_python_operator").task("export")
    assert py.kind is TaskKind.PYTHON
    assert py.sql == (
        "select customer_id, order_total from fct_orders where status <> 'cancelled'",
    )
    assert py.notes == ()
    opaque = static_folder.dag("f09_taskflow_opaque").task("extract")
    assert opaque.sql == () and "cannot be analysed" in opaque.notes[0]


def test_check_operators(static_folder: DagFolder) -> None:
    dag = static_folder.dag("f17_check_operators")
    cols = dag.task("column_checks")
    assert cols.kind is TaskKind.CHECK and cols.table == "fct_orders"
    assert cols.check_columns == ("order_id", "order_total")


def test_missing_sql_file_is_a_note(static_folder: DagFolder) -> None:
    task = static_folder.dag("f21_missing_sql_file").task("lost")
    assert task.sql == ()
    assert "does_not_exist.sql" in task.notes[0]


def test_user_macros_and_owners_and_tags(static_folder: DagFolder) -> None:
    assert dict(static_folder.dag("f24_user_macros").user_defined_macros) == {
        "orders_table": "fct_orders",
        "min_total": 10,
    }
    dag = static_folder.dag("f15_dag_decorator")
    assert dag.owners == ("ops@example.com",)
    assert dag.tags == ("daily", "ops")
    assert dag.task("notify").upstream_task_ids == ("rollup",)


def test_two_dags_in_one_file(static_folder: DagFolder) -> None:
    assert {"f19_first", "f19_second"} <= set(static_folder.dag_ids)


def test_airflowignore_and_safe_mode(tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("X = 1\n")
    (tmp_path / "ignored_dag.py").write_text(
        "from airflow.sdk import DAG\nwith DAG('ignored'):\n    pass\n"
    )
    (tmp_path / "kept.py").write_text("from airflow.sdk import DAG\nwith DAG('kept'):\n    pass\n")
    (tmp_path / ".airflowignore").write_text("ignored_*\n")
    assert [p.name for p in list_dag_files(tmp_path)] == ["kept.py"]
    assert read_dags_static(tmp_path).dag_ids == ("kept",)


def test_duplicate_dag_ids_are_reported(tmp_path: Path) -> None:
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text("from airflow.sdk import DAG\nwith DAG('same'):\n    pass\n")
    found = read_dags_static(tmp_path)
    assert found.dag_ids == ("same",)
    assert "already defined" in found.errors[0].message and found.errors[0].path.endswith("b.py")


def test_dynamic_task_ids_in_loops_are_reported(tmp_path: Path) -> None:
    (tmp_path / "loop.py").write_text(
        "from airflow.sdk import DAG\n"
        "from airflow.providers.standard.operators.empty import EmptyOperator\n"
        "with DAG('loop'):\n"
        "    for name in get_names():\n"
        "        EmptyOperator(task_id=name)\n"
    )
    dag = read_dags_static(tmp_path).dag("loop")
    assert dag.tasks == ()
    assert any("cannot evaluate" in n or "dynamic" in n for n in dag.notes)
