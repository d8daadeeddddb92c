"""The real ``dg`` CLI: the components are listed, and the dbt one scaffolded into a fresh ``dg``
project (the example's dbt project copied in) validates, launches and records lineage."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[3]
VENV = Path(sys.executable).parent.parent
BIN = Path(sys.executable).parent
COMPONENTS = (
    "dagster_lineage.AirflowDagFolderComponent",
    "dagster_lineage.DbtLineageProjectComponent",
    "dagster_lineage.SparkJobsComponent",
)

pytestmark = pytest.mark.skipif(not (BIN / "dg").is_file(), reason="dagster-dg-cli not installed")


def _env(project: Path | None = None, home: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAGSTER_LINEAGE_")}
    env.update(VIRTUAL_ENV=str(VENV), PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    env["DAGSTER_DISABLE_TELEMETRY"] = "1"
    if project is not None:
        env.update(
            DAGSTER_LINEAGE_DUCKDB_PATH=str(project / "warehouse.duckdb"),
            DAGSTER_LINEAGE_EXPORT_DIR=str(project / "exports"),
            PYTHONPATH=str(project / "src"),  # the project, as `uv sync` would install it
        )
    if home is not None:
        env["DAGSTER_HOME"] = str(home)
    return env


def _dg(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "dg"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


def test_dg_list_components_shows_ours(tmp_path: Path) -> None:
    out = _dg(["list", "components", "--json"], tmp_path, _env())
    assert out.returncode == 0, out.stderr[-3000:]
    for name in COMPONENTS:
        assert f'"{name}"' in out.stdout


def _fresh_project(root: Path) -> Path:
    """What ``create-dagster project`` lays out: pyproject with [tool.dg], src/<pkg>/defs."""
    project = root / "lineage_dg_demo"
    pkg = project / "src" / "lineage_dg_demo"
    (pkg / "defs").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [project]
            name = "lineage_dg_demo"
            version = "0.0.1"
            requires-python = ">=3.10"
            dependencies = ["dagster-lineage"]

            [tool.dg]
            directory_type = "project"

            [tool.dg.project]
            root_module = "lineage_dg_demo"
            """
        )
    )
    (pkg / "__init__.py").write_text("")
    (pkg / "defs" / "__init__.py").write_text("")
    (pkg / "definitions.py").write_text(
        "from pathlib import Path\n\nimport dagster as dg\n\n\n@dg.definitions\n"
        "def defs():\n    return dg.load_from_defs_folder(path_within_project=Path(__file__).parents[2])\n"
    )
    shutil.copytree(
        ROOT / "example_project" / "dbt_project",
        project / "dbt_project",
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"),
    )
    (project / "exports").mkdir()
    # the dbt source: the shop's export, already in the warehouse
    with duckdb.connect(str(project / "warehouse.duckdb")) as conn:
        conn.execute(
            "create table main.raw_orders as select * from read_csv(?, header = true)",
            [str(ROOT / "example_project" / "data" / "raw_orders.csv")],
        )
    return project


def test_scaffold_check_and_launch_the_dbt_component(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _fresh_project(tmp_path)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = _env(project, home)

    out = _dg(
        [
            "scaffold",
            "defs",
            "dagster_lineage.DbtLineageProjectComponent",
            "orders_dbt",
            "--project-path",
            "dbt_project",
        ],
        project,
        env,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    defs_yaml = project / "src" / "lineage_dg_demo" / "defs" / "orders_dbt" / "defs.yaml"
    text = defs_yaml.read_text()
    assert "type: dagster_lineage.DbtLineageProjectComponent" in text
    assert "{{ context.project_root }}/dbt_project" in text
    defs_yaml.write_text(
        text + "  lineage:\n    schema_change_gate: true\n    on_breaking: block\n"
    )

    out = _dg(["check", "defs"], project, env)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "All definitions loaded successfully" in out.stdout + out.stderr

    out = _dg(["launch", "--assets", "*"], project, env)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]

    # the run is real: dbt built the tables, and each materialization carries our checksums
    with duckdb.connect(str(project / "warehouse.duckdb"), read_only=True) as conn:
        fct_rows = conn.execute("select count(*) from main.fct_orders").fetchone()[0]
    assert fct_rows > 0
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey("fct_orders"))
        assert event is not None
        md = event.asset_materialization.metadata
        assert md["dagster/row_count"].value == fct_rows
        for key in (
            "dagster_lineage/code_checksum",
            "dagster_lineage/schema_checksum",
            "dagster_lineage/data_checksum",
            "dagster_lineage/upstream_checksum",
        ):
            assert key in md

    # the component's specs carry column lineage: the CLI reads it from the dg project's defs
    out = subprocess.run(
        [
            str(BIN / "dagster-lineage"),
            "graph",
            "fct_orders",
            "--column",
            "order_total",
            "--direction",
            "both",
            "-m",
            "lineage_dg_demo.definitions",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "fct_orders.order_total <- stg_orders.order_total" in out.stdout
    assert "(identity)" in out.stdout


# importing every module of the example starts no process (no dbt compile) and imports no dbt
_NOTHING_HEAVY_AT_IMPORT = """
import subprocess, sys
import dagster
calls = []
_init = subprocess.Popen.__init__
def _record(self, *args, **kwargs):
    calls.append(args[0] if args else kwargs.get("args"))
    return _init(self, *args, **kwargs)
subprocess.Popen.__init__ = _record
import example_project.definitions, example_project.defs.raw_orders, example_project.defs.sensors
import example_project.defs.drift_checks, example_project.defs.impact.gate
assert not calls and "dbt" not in sys.modules, (calls, "dbt" in sys.modules)
"""


def test_example_dg_project_checks_and_launches_end_to_end(tmp_path: Path) -> None:
    """example_project, a dg project: `dg check defs`, then `dg launch --assets '*'` builds it all."""
    project = ROOT  # dg.toml: the project root, whose root module is example_project
    state = tmp_path / "state"
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = _env(None, home)
    env.update(
        DAGSTER_LINEAGE_EXAMPLE_STATE=str(state),
        PYTHONPATH=str(ROOT),  # example_project, importable
    )
    out = _dg(["check", "defs"], project, env)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    out = _dg(["launch", "--assets", "*"], project, env)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    materialized = {
        line.rsplit("Materialized value ", 1)[1].rstrip(".")
        for line in (out.stdout + out.stderr).splitlines()
        if "ASSET_MATERIALIZATION - Materialized value " in line
    }
    assert {
        "raw_orders",
        "stg_orders",
        "fct_orders",
        "daily_revenue_report",
        "customer_ltv_model",
    } <= materialized
    with duckdb.connect(str(state / "warehouse.duckdb"), read_only=True) as conn:
        assert conn.execute("select count(*) from main.daily_revenue").fetchone()[0] > 0
    # one project, one layout: every part in its own place under defs/, no importlib, and no
    # dbt or subprocess at import time
    defs_dir = ROOT / "example_project" / "defs"
    for part in (
        "raw_orders.py",
        "dbt/defs.yaml",
        "airflow/defs.yaml",
        "spark/defs.yaml",
        "impact/impact_job.py",
        "impact/gate.py",
        "drift_checks.py",
        "sensors.py",
    ):
        assert (defs_dir / part).is_file(), part
    sources = [p.read_text() for p in (ROOT / "example_project").rglob("*.py")]
    assert not any("importlib" in text for text in sources)
    probe = subprocess.run([sys.executable, "-c", _NOTHING_HEAVY_AT_IMPORT], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert probe.returncode == 0, probe.stderr[-2000:]
