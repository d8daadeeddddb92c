from __future__ import annotations

from dagster_lineage.core.model import ColumnDep, ColumnInfo, ColumnRef, EdgeKind
from dagster_lineage.impact.schema_changes import (
    ColumnAdded,
    ColumnDropped,
    ColumnRenamed,
    ColumnTypeChanged,
)
from dagster_lineage.impact.schema_diff import diff_schemas


def d(col: str, kind: EdgeKind = EdgeKind.IDENTITY) -> ColumnDep:
    return ColumnDep(ColumnRef(("raw_orders",), col), kind)


def test_rename_recognised_through_lineage() -> None:
    old = [ColumnInfo("order_id", "integer"), ColumnInfo("order_total", "decimal(10,2)")]
    new = [ColumnInfo("order_id", "int4"), ColumnInfo("amount", "numeric(10,2)")]
    got = diff_schemas(
        old,
        new,
        old_deps={"order_total": [d("order_total")]},
        new_deps={"amount": [d("order_total", EdgeKind.RENAME)]},
    )
    # int4 == integer and numeric == decimal: only the rename remains
    assert got == (ColumnRenamed("order_total", "amount"),)


def test_without_lineage_a_rename_is_drop_plus_add() -> None:
    got = diff_schemas([("a", "int"), ("b", "int")], [("a", "int"), ("c", "int")])
    assert got == (ColumnDropped("b"), ColumnAdded("c", "int"))


def test_transformation_is_not_a_rename() -> None:
    got = diff_schemas(
        ["order_total"],
        ["net_total"],
        old_deps={"order_total": [d("order_total")]},
        new_deps={"net_total": [d("order_total", EdgeKind.TRANSFORMATION)]},
    )
    assert got == (ColumnDropped("order_total"), ColumnAdded("net_total", None))


def test_ambiguous_lineage_is_not_guessed() -> None:
    got = diff_schemas(
        ["x"],
        ["y", "z"],
        old_deps={"x": [d("x")]},
        new_deps={"y": [d("x")], "z": [d("x")]},
    )
    assert got == (ColumnDropped("x"), ColumnAdded("y", None), ColumnAdded("z", None))


def test_type_changes_and_unknown_types() -> None:
    got = diff_schemas(
        [("a", "integer"), ("b", "unknown"), ("c", "varchar"), ("d", None)],
        [("a", "BIGINT"), ("b", "bigint"), ("C", "text"), ("d", "int")],
    )
    assert got == (ColumnTypeChanged("a", "BIGINT", "integer"),)


def test_explicit_renames() -> None:
    assert diff_schemas(["a"], ["b"], renames={"a": "b"}) == (ColumnRenamed("a", "b"),)


def test_rename_from_new_lineage_only() -> None:
    # the schema recorded at materialization has no lineage; the new SQL selects
    # raw.order_total as total_amount
    got = diff_schemas(
        ["order_id", "order_total"],
        ["order_id", "total_amount"],
        new_deps={"total_amount": [d("order_total", EdgeKind.RENAME)], "order_id": [d("order_id")]},
    )
    assert got == (ColumnRenamed("order_total", "total_amount"),)
