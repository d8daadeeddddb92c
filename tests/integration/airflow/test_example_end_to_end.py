"""The example end to end: raw_orders -> dbt -> the Airflow DAG asset, then the lineage CLI.

One subprocess (the example's paths are fixed at import): materialize raw_orders, stg_orders,
fct_orders and daily_revenue_report from the example's code location into a temp state folder,
read the DAG's output table back, then run ``dagster-lineage graph raw_orders`` and the impact
check of renaming raw_orders.order_total through the CLI entry point.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.airflow

ROOT = Path(__file__).resolve().parents[3]

_SCRIPT = r"""
import contextlib, io, json, sys
import dagster as dg
import duckdb
from example_project import definitions, paths
from dagster_lineage.cli import main

keys = ["raw_orders", "stg_orders", "fct_orders", "daily_revenue_report"]
job = definitions.defs().resolve_implicit_global_asset_job_def()  # the dg project, built
instance = dg.DagsterInstance.get()
res = job.execute_in_process(instance=instance, asset_selection=[dg.AssetKey(k) for k in keys])
mats = {}
for ev in res.get_asset_materialization_events():
    m = ev.step_materialization_data.materialization
    mats[m.asset_key.to_user_string()] = {
        k: (v.value if isinstance(v.value, (str, int, float)) else str(v.value))
        for k, v in m.metadata.items()
    }
con = duckdb.connect(str(paths.DUCKDB_PATH), read_only=True)
rows = con.execute(
    "select cast(order_date as varchar), cast(revenue as varchar), order_count "
    "from main.daily_revenue order by 1"
).fetchall()
con.close()

def cli(*argv):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main([*argv, "-m", "example_project.definitions"])
    return rc, buf.getvalue()

graph_rc, graph = cli("graph", "raw_orders")
col_rc, col = cli("graph", "fct_orders", "--column", "order_total", "--format", "json")
imp_rc, impact = cli("impact", "raw_orders", "--rename", "order_total:total_amount",
                     "--format", "json")
print(json.dumps({
    "success": res.success, "mats": mats, "rows": rows,
    "graph": [graph_rc, graph], "column": [col_rc, col], "impact": [imp_rc, impact],
}))
"""


def expected_daily_revenue() -> dict[str, tuple[Decimal, int]]:
    """daily revenue of completed orders, computed from the CSV here (independently of SQL)."""
    out: dict[str, list[Any]] = defaultdict(lambda: [Decimal("0"), 0])
    with (ROOT / "example_project" / "data" / "raw_orders.csv").open() as f:
        for row in csv.DictReader(f):
            if (row["status"] or "").strip().lower() != "completed":
                continue
            day = row["ordered_at"][:10]
            out[day][0] += Decimal(row["order_total"])
            out[day][1] += 1
    return {d: (v[0], v[1]) for d, v in out.items()}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("example_e2e")
    home = tmp / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = dict(os.environ)
    env.update(
        {
            "DAGSTER_LINEAGE_EXAMPLE_STATE": str(tmp / "state"),
            "DAGSTER_HOME": str(home),
            "AIRFLOW_HOME": str(tmp / "airflow_home"),
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("DAGSTER_LINEAGE_DUCKDB_PATH", None)
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_dag_asset_materialized_with_the_right_data(run: dict[str, Any]) -> None:
    assert run["success"]
    assert {"raw_orders", "stg_orders", "fct_orders", "daily_revenue_report"} <= set(run["mats"])
    got = {day: (Decimal(rev), n) for day, rev, n in run["rows"]}
    assert got == expected_daily_revenue()
    md = run["mats"]["daily_revenue_report"]
    assert md["airflow/dag_run_id"].startswith("dagster__")
    assert md["dagster/row_count"] == len(got)
    assert md["dagster_lineage/code_checksum"]
    assert "fct_orders" in md["dagster_lineage/parent_checksums"]


def test_graph_shows_the_dag_under_fct_orders(run: dict[str, Any]) -> None:
    rc, text = run["graph"]
    assert rc == 0
    lines = text.splitlines()
    assert lines[0] == "[TABLE] raw_orders"
    fct = next(i for i, line in enumerate(lines) if line.endswith("[DBT_MODEL] fct_orders"))
    dag = next(i for i, line in enumerate(lines) if line.endswith("[DAG] daily_revenue_report"))
    indent = len(lines[fct]) - len(lines[fct].lstrip(" │"))
    assert dag > fct and len(lines[dag]) - len(lines[dag].lstrip(" │")) > indent


def test_dag_column_references_reach_the_impact_check(run: dict[str, Any]) -> None:
    rc, text = run["column"]
    assert rc == 0
    paths = json.loads(text)
    assert any(
        p["direction"] == "downstream" and p["path"][-1] == "daily_revenue_report.revenue"
        for p in paths
    )
    rc, text = run["impact"]
    report = json.loads(text)
    assert rc == 1  # breaking changes found
    dag = next(a for a in report["affected_assets"] if a["asset"] == "daily_revenue_report")
    assert dag["severity"] == "breaking"
    assert "order_total" in dag["referenced_columns"]
