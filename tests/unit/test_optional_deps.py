"""`pip install dagster-lineage` (no extras) must work: the core needs no DuckDB, no dbt adapter, no webserver.

Each check runs in a fresh interpreter in which importing ``duckdb``, ``dbt`` (dbt-core and every
adapter: no adapter extra) or ``dagster_webserver`` fails as if they were not installed (a
``sys.meta_path`` finder), and then uses the package the way a user without those extras would.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCK = textwrap.dedent(
    """
    import importlib.abc, sys
    BLOCKED = ("duckdb", "dbt", "dagster_webserver")  # dbt: no adapter extra, no dbt-core

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Block())
    """
)


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", BLOCK + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip()


def test_the_core_builds_a_graph_from_records_and_a_state_file_without_duckdb(tmp_path) -> None:
    state_file = tmp_path / "lineage.json"
    out = _run(
        f"""
        import dagster_lineage as dl
        from dagster_lineage.state.lineage_state import LineageState, read_state, write_state

        records = [
            dl.AssetLineage(key=("raw",), columns=(dl.ColumnInfo("x"),)),
            dl.AssetLineage(key=("stg",), upstream=(("raw",),), columns=(dl.ColumnInfo("x"),),
                            column_deps={{"x": (dl.ColumnDep(dl.ColumnRef(("raw",), "x")),)}}),
        ]
        write_state(LineageState.from_records(records, project="p"), {str(state_file)!r})
        graph = read_state({str(state_file)!r}).graph()
        report = dl.analyze_impact(graph, "raw", [dl.ColumnDropped("x")])
        assert [a.key for a in report.breaking] == [("stg",)], report
        assert "duckdb" not in sys.modules
        print("ok")
        """
    )
    assert out == "ok"


def test_the_dagster_facing_dbt_names_import_without_duckdb() -> None:
    out = _run(
        """
        import dagster_lineage as dl
        assert callable(dl.with_lineage) and callable(dl.dbt_lineage_assets)
        dl.DagsterDbtLineageTranslator()
        assert "duckdb" not in sys.modules and "dagster_webserver" not in sys.modules
        assert "dbt" not in sys.modules
        print("ok")
        """
    )
    assert out == "ok"


def test_a_duckdb_feature_names_the_extra_in_one_line() -> None:
    out = _run(
        """
        from dagster_lineage.errors import MissingExtraError
        from dagster_lineage.state.warehouse import TableHandle, table_stats
        try:
            table_stats(TableHandle.duckdb("/nonexistent/w.duckdb", "t"))
        except MissingExtraError as e:
            print(e)
        """
    )
    assert out == (
        "A DuckDB table's checksum needs the 'duckdb' package: "
        "pip install 'dagster-lineage[duckdb]'."
    )
