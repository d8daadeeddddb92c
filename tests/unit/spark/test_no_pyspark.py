"""The package and a code location using the Spark factory load with pyspark NOT importable."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent(
    """
    import importlib.abc, json, sys

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in ("pyspark", "py4j"):
                raise ImportError(f"blocked for this test: {name}")

    sys.meta_path.insert(0, Block())

    import dagster as dg
    import dagster_lineage
    import dagster_lineage.defs.spark as spark_defs
    import dagster_lineage.integrations.spark.compare
    import dagster_lineage.integrations.spark.runtime
    import dagster_lineage.integrations.spark.static
    import dagster_lineage.integrations.spark.translator
    from dagster_lineage.defs.graph import graph_from_definitions
    from dagster_lineage.errors import IntegrationError
    from example_project import paths

    # the example's Spark component (example_project/defs/spark/defs.yaml), built on its own
    spark_part = dg.ComponentTree.for_project(paths.PROJECT_DIR).build_defs_at_path("spark")
    graph = graph_from_definitions(spark_part)
    rec = graph.get(("customer_ltv_model",))
    try:
        spark_defs.SparkSessionResource().get_session()
        session_error = None
    except IntegrationError as e:
        session_error = str(e)
    print(json.dumps({
        "upstream": [list(k) for k in rec.upstream],
        "lifetime_value": [d.upstream.display() for d in rec.column_deps["lifetime_value"]],
        "pyspark_loaded": any(m.split(".")[0] in ("pyspark", "py4j") for m in sys.modules),
        "session_error": session_error,
    }))
    """
)


def test_package_and_code_location_load_without_pyspark(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DAGSTER_LINEAGE_EXAMPLE_STATE": str(tmp_path / "state"),
            "DAGSTER_HOME": str(tmp_path),
            "HOME": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["upstream"] == [["fct_orders"]]
    assert out["lifetime_value"] == ["fct_orders.net_revenue"]
    assert out["pyspark_loaded"] is False
    assert "pyspark is not installed" in out["session_error"]
    assert "dagster-lineage[spark]" in out["session_error"]
