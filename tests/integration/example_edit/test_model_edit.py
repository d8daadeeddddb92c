"""A real model edit on a private copy of the example: the gate blocks it, `changed` names it.

The example package resolves every path relative to itself, so a copy in a temp folder is a fully
independent example (its own dbt project, DuckDB file and Dagster instance). The test renames
``order_total`` in the copy's ``stg_orders.sql`` the way an engineer would, then:

- ``dagster-lineage changed`` lists exactly stg_orders (code) and its downstream (upstream);
- materializing stg_orders fails in the schema-change gate *before* dbt writes anything, with the
  impact report naming the downstream assets that break, and the warehouse table keeps its old
  shape.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
DBT_ASSETS = "raw_orders,stg_orders,fct_orders"


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def example_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("example_copy")
    shutil.copytree(
        ROOT / "example_project",
        base / "example_project",
        ignore=shutil.ignore_patterns(".state", "target", "logs", "__pycache__"),
    )
    state = base / "state"
    (state / "dagster_home").mkdir(parents=True)
    (state / "dagster_home" / "dagster.yaml").write_text("")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DAGSTER_LINEAGE", "DAGSTER_HOME", "AIRFLOW"))
    }
    env.update(
        PYTHONPATH=str(base),
        DAGSTER_HOME=str(state / "dagster_home"),
        DAGSTER_LINEAGE_EXAMPLE_STATE=str(state),
        AIRFLOW_HOME=str(state / "airflow_home"),
    )
    out = _run(
        [
            str(BIN / "dagster"),
            "asset",
            "materialize",
            "-m",
            "example_project.definitions",
            "--select",
            DBT_ASSETS,
        ],
        base,
        env,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return base, env


def _changed(base: Path, env: dict[str, str]) -> dict[str, list[str]]:
    out = _run(
        [
            str(BIN / "dagster-lineage"),
            "changed",
            "-m",
            "example_project.definitions",
            "--format",
            "json",
            "--select",
            DBT_ASSETS,
        ],
        base,
        env,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    rows = json.loads(out.stdout)
    rows = rows["assets"] if isinstance(rows, dict) else rows
    return {r["asset"]: sorted(r["reasons"]) for r in rows}


def test_edit_is_detected_and_blocked(example_copy: tuple[Path, dict[str, str]]) -> None:
    base, env = example_copy
    assert _changed(base, env) == {}

    model = base / "example_project" / "dbt_project" / "models" / "staging" / "stg_orders.sql"
    text = model.read_text()
    assert "order_total," in text
    model.write_text(text.replace("order_total,", "order_total as total_amount,", 1))

    changed = _changed(base, env)
    # the SQL changed, and so did the compiled output schema (order_total -> total_amount)
    assert changed.get("stg_orders") == ["code", "schema"]
    assert "upstream" in changed.get("fct_orders", [])
    assert "raw_orders" not in changed

    out = _run(
        [
            str(BIN / "dagster"),
            "asset",
            "materialize",
            "-m",
            "example_project.definitions",
            "--select",
            "stg_orders",
        ],
        base,
        env,
    )
    log = out.stdout + out.stderr
    assert out.returncode != 0, log[-3000:]
    assert "order_total" in log and "fct_orders" in log and "breaking" in log.lower()

    con = duckdb.connect(str(base / "state" / "warehouse.duckdb"), read_only=True)
    try:
        cols = [r[0] for r in con.execute("describe main.stg_orders").fetchall()]
    finally:
        con.close()
    assert "order_total" in cols and "total_amount" not in cols
