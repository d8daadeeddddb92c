"""Airflow's own parser (DagBag) and the static reader give the same DAGs and the same lineage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dagster_lineage.integrations.airflow import dag_records, read_dags_static
from dagster_lineage.integrations.airflow.model import DagFolder

pytestmark = pytest.mark.airflow

EXAMPLE_DAGS = Path(__file__).resolve().parents[3] / "example_project" / "dags"


def test_same_dags_and_same_lineage_on_fixtures(
    dagbag_results: dict[str, Any], fixture_dags: Path
) -> None:
    bag: DagFolder = dagbag_results[str(fixture_dags)]
    static = read_dags_static(fixture_dags)
    assert len(bag.dags) >= 20
    # the static reader cannot see a failing import: it reads that one DAG too
    assert set(static.dag_ids) - set(bag.dag_ids) == {"f23_import_error"}
    for dag in bag.dags:
        assert dag.reader == "dagbag"
        assert static.dag(dag.dag_id) == dag, dag.dag_id
    bag_units = dag_records(bag.dags)
    static_units = dag_records([d for d in static.dags if d.dag_id in bag.dag_ids])
    assert [u.record for u in bag_units] == [u.record for u in static_units]
    assert [u.output_tables for u in bag_units] == [u.output_tables for u in static_units]


def test_import_errors_name_the_file_and_others_load(
    dagbag_results: dict[str, Any], fixture_dags: Path
) -> None:
    bag: DagFolder = dagbag_results[str(fixture_dags)]
    errors = {Path(e.path).name: e.message for e in bag.errors}
    assert set(errors) == {"f22_syntax_error.py", "f23_import_error.py"}
    assert "SyntaxError" in errors["f22_syntax_error.py"]
    assert "f23_import_error.py" in errors["f23_import_error.py"]
    assert "not_a_real_module_for_lineage_tests" in errors["f23_import_error.py"]
    assert "f01_inline_sql" in bag.dag_ids


def test_example_dag_same_lineage_both_readers(dagbag_results: dict[str, Any]) -> None:
    bag: DagFolder = dagbag_results[str(EXAMPLE_DAGS)]
    static = read_dags_static(EXAMPLE_DAGS)
    assert bag.dag_ids == static.dag_ids == ("daily_revenue_report",)
    assert bag.dags == static.dags
    (from_bag,) = dag_records(bag.dags)
    (from_static,) = dag_records(static.dags)
    assert from_bag.record == from_static.record
    rec = from_bag.record
    assert rec.upstream == (("fct_orders",),)
    assert {d.upstream.display() for d in rec.column_deps["revenue"]} == {"fct_orders.order_total"}
    assert {(r.upstream.display(), r.clause.value) for r in rec.reads} == {
        ("fct_orders.status", "filter"),
        ("fct_orders.ordered_at", "group"),
    }
    assert from_bag.output_table == "main.daily_revenue"
    assert rec.owners == ("team:finance_analytics",)
    assert rec.code_checksum == from_static.record.code_checksum
