"""The change-detection story, shared by the SQLite and PostgreSQL tests.

``Project`` is a copy of tests/fixtures/state/project in a temp folder (its own DuckDB file);
``check_change_flow`` materializes it, edits one model, detects exactly it (and its downstream as
"upstream"), re-materializes and detects nothing.
"""

from __future__ import annotations

import importlib.util
import itertools
import shutil
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_lineage.defs.changed_assets import changed_assets
from dagster_lineage.defs.graph import graph_from_definitions

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "fixtures" / "state" / "project"
_counter = itertools.count()


class Project:
    """A private copy of the fixture code location."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def copy_to(cls, where: Path) -> Project:
        shutil.copytree(FIXTURE, where)
        return cls(where)

    @property
    def definitions_file(self) -> Path:
        return self.root / "definitions.py"

    def defs(self) -> dg.Definitions:
        """A fresh import of the code location (as after a redeploy)."""
        name = f"_state_project_{next(_counter)}"
        spec = importlib.util.spec_from_file_location(name, self.definitions_file)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.defs

    def materialize(
        self, instance: dg.DagsterInstance, select: list[str] | None = None, **kw: Any
    ) -> dg.ExecuteInProcessResult:
        defs = self.defs()
        job = defs.resolve_implicit_global_asset_job_def()
        return job.execute_in_process(
            instance=instance,
            asset_selection=[dg.AssetKey(s) for s in select] if select else None,
            **kw,
        )

    def edit_model(self, name: str, sql: str) -> None:
        (self.root / "models" / f"{name}.sql").write_text(sql)

    def append_model(self, name: str, text: str) -> None:
        p = self.root / "models" / f"{name}.sql"
        p.write_text(p.read_text() + text)


def summary(changes: list) -> dict[str, set[str]]:
    return {c.key_str: {r.value for r in c.reasons} for c in changes}


def check_change_flow(project: Project, instance: dg.DagsterInstance) -> None:
    """Materialize, edit one model, detect exactly it, rematerialize, detect nothing."""
    defs = project.defs()
    assert summary(changed_assets(defs, instance)) == {
        "load_configs": {"never_materialized"},
        "stg": {"never_materialized"},
        "fct": {"never_materialized"},
        "report": {"never_materialized"},
    }
    result = project.materialize(instance)
    assert result.success
    assert changed_assets(project.defs(), instance) == []

    first_run = result.run_id
    project.append_model("fct", "  and amount > 5\n")
    defs = project.defs()
    changes = changed_assets(defs, instance)
    assert summary(changes) == {"fct": {"code"}, "report": {"upstream"}}
    fct = changes[0]
    # the reason points at the last success, and the code checksums are the graph's current ones
    assert fct.last_success is not None and fct.last_success.run_id == first_run
    assert fct.current_code == graph_from_definitions(defs).get(("fct",)).code_checksum
    assert fct.last_success.code != fct.current_code
    assert fct.last_success.run_end_time is not None

    second = project.materialize(instance, ["fct", "report"])
    assert second.success
    assert changed_assets(project.defs(), instance) == []
    # fct recorded stg's checksums from the first run as what it read
    ev = instance.get_latest_materialization_event(dg.AssetKey("fct"))
    assert ev is not None and ev.run_id == second.run_id
    md = ev.asset_materialization.metadata
    stg_ev = instance.get_latest_materialization_event(dg.AssetKey("stg"))
    assert stg_ev is not None and stg_ev.run_id == first_run
    stg_md = stg_ev.asset_materialization.metadata
    parents = md["dagster_lineage/parent_checksums"].value
    assert parents["stg"]["code"] == stg_md["dagster_lineage/code_checksum"].value
    assert parents["stg"]["data"] == stg_md["dagster_lineage/data_checksum"].value
    assert md["dagster/row_count"].value == 2  # cancelled and amount <= 5 filtered out
