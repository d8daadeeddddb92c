"""The ``dagster-lineage graph`` command on real code locations (in process; one test also through
the real console entry point in a subprocess)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.cli_runner import CliResult, run_cli

DEFS = textwrap.dedent(
    """
    import dagster as dg
    from dagster_lineage.core.model import (
        AssetLineage,
        AssetType,
        ColumnDep,
        ColumnInfo,
        ColumnRef,
        EdgeKind,
    )
    from dagster_lineage import lineage_metadata

    raw = AssetLineage(key=("raw_orders",), asset_type=AssetType.TABLE,
                       columns=(ColumnInfo("order_id", "int"), ColumnInfo("order_total", "double")))
    stg = AssetLineage(
        key=("stg_orders",), asset_type=AssetType.DBT_MODEL, upstream=(("raw_orders",),),
        columns=(ColumnInfo("order_id", "int"), ColumnInfo("amount", "double")),
        column_deps={"order_id": (ColumnDep(ColumnRef(("raw_orders",), "order_id")),),
                     "amount": (ColumnDep(ColumnRef(("raw_orders",), "order_total"), EdgeKind.RENAME),)},
    )

    defs = dg.Definitions(assets=[
        dg.AssetSpec("raw_orders", metadata=lineage_metadata(raw)),
        dg.AssetSpec("stg_orders", deps=["raw_orders"], metadata=lineage_metadata(stg)),
        dg.AssetSpec("report", deps=["stg_orders"]),
    ])
    """
)


@pytest.fixture
def location(tmp_path: Path) -> Path:
    (tmp_path / "my_defs.py").write_text(DEFS)
    return tmp_path


def run(cwd: Path, *args: str, subprocess: bool = False) -> CliResult:
    return run_cli(*args, cwd=cwd, subprocess=subprocess)


@pytest.mark.parametrize("subprocess", [False, True], ids=["in_process", "subprocess"])
def test_tree_from_module(location: Path, subprocess: bool) -> None:
    out = run(location, "graph", "raw_orders", "-m", "my_defs", subprocess=subprocess)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "[TABLE] raw_orders",
        "└── [DBT_MODEL] stg_orders",
        "    └── [ASSET] report",
    ]


def test_workspace_yaml_and_upstream_json(location: Path) -> None:
    (location / "workspace.yaml").write_text("load_from:\n  - python_file: my_defs.py\n")
    out = run(location, "graph", "report", "--direction", "upstream", "--format", "json")
    assert out.returncode == 0, out.stderr
    tree = json.loads(out.stdout)[0]
    assert tree["key"] == "report"
    assert tree["children"][0]["key"] == "stg_orders"
    assert tree["children"][0]["children"][0]["key"] == "raw_orders"


def test_column_trace(location: Path) -> None:
    out = run(location, "graph", "raw_orders", "--column", "order_total", "-f", "my_defs.py")
    assert out.returncode == 0, out.stderr
    assert "raw_orders.order_total -> stg_orders.amount  (rename)" in out.stdout


def test_unknown_asset_is_one_clear_line(location: Path) -> None:
    out = run(location, "graph", "raw_order", "-m", "my_defs")
    assert out.returncode == 2
    assert "Did you mean: raw_orders" in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_location_is_explained(tmp_path: Path) -> None:
    out = run(tmp_path, "graph", "x")
    assert out.returncode == 2
    assert "workspace.yaml" in out.stderr and "Traceback" not in out.stderr
    out = run(tmp_path, "graph", "x", "-m", "no_such_module")
    assert out.returncode == 2 and "Cannot import module 'no_such_module'" in out.stderr


WINDOW_DEFS = textwrap.dedent(
    """
    import dagster as dg
    from dagster_lineage import lineage_metadata
    from dagster_lineage.integrations.dbt.analysis import analyse_dbt_manifest

    def node(name, sql, deps, columns=()):
        return {
            "unique_id": f"model.p.{name}", "resource_type": "model", "name": name,
            "alias": name, "schema": "main", "database": "db", "config": {},
            "depends_on": {"nodes": deps}, "compiled_code": sql,
            "columns": {c: {"name": c, "data_type": "integer"} for c in columns},
        }

    manifest = {
        "metadata": {"adapter_type": "duckdb"},
        "nodes": {
            "model.p.orders": node("orders", "select 1 as id, 2 as customer_id, 3 as ordered_at", [],
                                   ("id", "customer_id", "ordered_at")),
            "model.p.ranked": node(
                "ranked",
                "select id, row_number() over (partition by customer_id order by ordered_at) "
                "as order_seq from db.main.orders",
                ["model.p.orders"],
            ),
        },
        "sources": {}, "exposures": {},
    }
    records = analyse_dbt_manifest(manifest).records
    defs = dg.Definitions(assets=[
        dg.AssetSpec(dg.AssetKey(r.key), metadata=lineage_metadata(r),
                     deps=[dg.AssetKey(k) for k in r.upstream])
        for r in records.values()
    ])
    """
)


def test_column_trace_shows_indirect_window_edges(tmp_path: Path) -> None:
    """A window column traced up shows its PARTITION BY / ORDER BY inputs as indirect edges."""
    (tmp_path / "win_defs.py").write_text(WINDOW_DEFS)
    out = run(
        tmp_path,
        "graph",
        "ranked",
        "--column",
        "order_seq",
        "--direction",
        "upstream",
        "-m",
        "win_defs",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "ranked.order_seq",
        "  upstream   ranked.order_seq <- orders.customer_id  (indirect window)",
        "  upstream   ranked.order_seq <- orders.ordered_at  (indirect window)",
    ]
    down = run(
        tmp_path,
        "graph",
        "orders",
        "--column",
        "customer_id",
        "--direction",
        "downstream",
        "--format",
        "json",
        "-m",
        "win_defs",
    )
    assert down.returncode == 0, down.stderr
    paths = {(tuple(p["path"]), p["clause"], p["indirect"]) for p in json.loads(down.stdout)}
    assert paths == {
        (("orders.customer_id", "ranked.*"), "window", None),
        (("orders.customer_id", "ranked.order_seq"), None, "window"),
    }
