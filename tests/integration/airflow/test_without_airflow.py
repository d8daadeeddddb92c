"""The factory imports, and the example's Airflow part loads, with Airflow not importable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

_SCRIPT = r"""
import json, sys

class BlockAirflow:
    def find_spec(self, name, path=None, target=None):
        if name == "airflow" or name.startswith("airflow."):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")
        return None

sys.meta_path.insert(0, BlockAirflow())

from dagster_lineage.defs import airflow as factory  # noqa: E402
from dagster_lineage.errors import IntegrationError  # noqa: E402
from dagster_lineage.integrations.airflow import read_dags  # noqa: E402
import dagster as dg  # noqa: E402
from example_project import paths  # noqa: E402
from dagster_lineage.defs.graph import records_from_definitions  # noqa: E402

try:
    read_dags(sys.argv[1], reader="dagbag")
    dagbag_error = None
except IntegrationError as e:
    dagbag_error = str(e)

# the example's Airflow component (example_project/defs/airflow/defs.yaml), built on its own
airflow_defs = dg.ComponentTree.for_project(paths.PROJECT_DIR).build_defs_at_path("airflow")
recs = [r.to_dict() for r in records_from_definitions(airflow_defs)]
print(json.dumps({
    "airflow_loaded": any(m == "airflow" or m.startswith("airflow.") for m in sys.modules),
    "records": recs,
    "dagbag_error": dagbag_error,
    "sensors": [s.name for s in airflow_defs.sensors],
}))
"""


def test_example_airflow_part_loads_without_airflow(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["DAGSTER_LINEAGE_EXAMPLE_STATE"] = str(tmp_path / "state")
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(ROOT / "example_project" / "dags")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["airflow_loaded"] is False
    assert "Install dagster-lineage[airflow]" in out["dagbag_error"]
    assert out["sensors"] == ["airflow_dag_runs"]
    dag = next(r for r in out["records"] if r["key"] == ["daily_revenue_report"])
    assert dag["asset_type"] == "dag"
    assert dag["upstream"] == [["fct_orders"]]
    assert dag["column_deps"]["revenue"] == [
        {"asset": ["fct_orders"], "column": "order_total", "kind": "aggregation"}
    ]
    assert {"asset": ["fct_orders"], "column": "status", "clause": "filter"} in dag["reads"]
