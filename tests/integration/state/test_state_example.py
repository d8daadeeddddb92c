"""The issue's acceptance story on a private copy of the whole example (dbt, Airflow, Spark).

A full run, then ``dagster-lineage changed`` shows nothing; after an edit of ``fct_orders.sql`` it
shows exactly fct_orders (code) and its downstream (upstream), the code-change sensor requests
exactly fct_orders and its materializable downstream, and every dbt asset's ``code_version`` is its
code checksum (so the UI's "code version changed" tells the same story).

A breaking edit (``stg_orders`` renames ``order_total``) is named by ``changed`` with its schema
change, and the schema-change gate blocks its materialization before dbt writes anything: the
warehouse table keeps its old shape. Each test restores the model it edits.
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

SENSOR = r"""
import json
import dagster as dg
from example_project.definitions import defs as load_defs
from dagster_lineage.defs.graph import records_from_definitions

defs = load_defs()  # the example's dg project, built

instance = dg.DagsterInstance.get()
sensor = defs.resolve_sensor_def("dagster_lineage_code_change_sensor")
result = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
reqs = [sorted(k.to_user_string() for k in r.asset_selection) for r in result.run_requests or []]
codes = {
    spec.key.to_user_string(): [spec.code_version, spec.metadata.get("dagster_lineage/code_checksum")]
    for spec in defs.resolve_all_asset_specs()
}
print("@@" + json.dumps({"requests": reqs, "codes": codes}))
"""


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("state_example")
    shutil.copytree(
        ROOT / "example_project",
        base / "example_project",
        ignore=shutil.ignore_patterns(".state", "target", "logs", "__pycache__", ".local_defs_state"),
    )
    shutil.copy(ROOT / "dg.toml", base / "dg.toml")  # example_project is a dg project
    state = base / "state"
    (state / "dagster_home").mkdir(parents=True)
    (state / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
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
            "*",
        ],
        base,
        env,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return base, env


def _changed(base: Path, env: dict[str, str]) -> list[dict]:
    out = _run(
        [
            str(BIN / "dagster-lineage"),
            "changed",
            "-m",
            "example_project.definitions",
            "--format",
            "json",
        ],
        base,
        env,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def test_example_changed_after_full_run_and_edit(example: tuple[Path, dict[str, str]]) -> None:
    base, env = example
    assert _changed(base, env) == []

    model = base / "example_project" / "dbt_project" / "models"
    [fct] = list(model.rglob("fct_orders.sql"))
    text = fct.read_text()
    assert "where status <> 'cancelled'" in text
    fct.write_text(text.replace("where status <> 'cancelled'", "where status not in ('cancelled')"))
    try:
        _check_fct_edit(base, env)
    finally:
        fct.write_text(text)
    assert _changed(base, env) == []


def _check_fct_edit(base: Path, env: dict[str, str]) -> None:
    rows = _changed(base, env)
    assert {r["asset"]: r["reasons"] for r in rows} == {
        "fct_orders": ["code"],
        "daily_revenue_report": ["upstream"],
        "customer_ltv_model": ["upstream"],
        "revenue_dashboard": ["upstream"],
    }
    assert rows[0]["asset"] == "fct_orders"
    assert rows[0]["last_success_run_id"] and rows[0]["last_success_time"]
    assert rows[0]["current_code_checksum"] != rows[0]["recorded_code_checksum"]

    out = _run([sys.executable, "-c", SENSOR], base, env)
    assert out.returncode == 0, out.stderr[-3000:]
    data = json.loads(out.stdout.split("@@", 1)[1])
    assert data["requests"] == [["customer_ltv_model", "daily_revenue_report", "fct_orders"]]
    assert "code changed since the last successful materialization of fct_orders" in out.stderr
    # the UI's code version and our checksum agree for every dbt model (and every asset with both)
    for key in ("stg_orders", "fct_orders"):
        version, checksum = data["codes"][key]
        assert version and version == checksum, key
    assert data["codes"]["fct_orders"][0] == rows[0]["current_code_checksum"]


def test_breaking_edit_is_named_and_blocked_by_the_gate(
    example: tuple[Path, dict[str, str]],
) -> None:
    base, env = example
    assert _changed(base, env) == []
    model = base / "example_project" / "dbt_project" / "models" / "staging" / "stg_orders.sql"
    text = model.read_text()
    assert "order_total," in text
    model.write_text(text.replace("order_total,", "order_total as total_amount,", 1))
    try:
        reasons = {r["asset"]: r["reasons"] for r in _changed(base, env)}
        # the SQL changed, and so did the compiled output schema (order_total -> total_amount)
        assert reasons["stg_orders"] == ["code", "schema"]
        # fct_orders' own SQL is unchanged; its inferred schema loses order_total's type
        assert "upstream" in reasons["fct_orders"] and "code" not in reasons["fct_orders"]
        assert "raw_orders" not in reasons

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
    finally:
        model.write_text(text)
