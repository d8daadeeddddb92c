"""One real materialization of the example (raw_orders -> dbt) per session, in a temp state dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dagster_lineage.core.model import AssetKeyPath, AssetLineage

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent

# Runs in a subprocess with the example's env: loads the code location (the second load: the
# lineage cache is warm), dumps the lineage records, the CLI tree and the materializations.
DUMP = r"""
import contextlib, io, json
import dagster as dg
from dagster_lineage.cli import main as cli_main
from dagster_lineage.defs.graph import records_from_definitions
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets
import example_project.definitions as location

defs = location.defs()  # the dg project's definitions (defs/), built
out = {"records": [r.to_dict() for r in records_from_definitions(defs)]}
# the dbt component's translator: its lineage cache served this load
dbt_assets = [a for a in defs.assets if isinstance(a, dg.AssetsDefinition) and a.is_materializable
              and dg.AssetKey("stg_orders") in a.keys]
_, translator, _ = get_manifest_and_translator_from_dbt_assets(dbt_assets)
stats = translator.lineage_cache_stats()
out["cache"] = {"hits": stats.hits, "misses": stats.misses}
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    out["cli_rc"] = cli_main(["graph", "raw_orders", "-m", "example_project.definitions"])
out["tree"] = buf.getvalue()
instance = dg.DagsterInstance.get()
mats = {}
for key in ("raw_orders", "stg_orders", "fct_orders"):
    event = instance.get_latest_materialization_event(dg.AssetKey(key))
    md = {}
    for name, value in (event.asset_materialization.metadata if event else {}).items():
        raw = getattr(value, "value", value)
        if isinstance(raw, dg.TableSchema):
            raw = [[c.name, c.type] for c in raw.columns]
        if isinstance(raw, dg.TableColumnLineage):
            raw = {c: sorted([d.asset_key.to_user_string(), d.column_name] for d in deps)
                   for c, deps in raw.deps_by_column.items()}
        md[name] = raw if isinstance(raw, (str, int, float, bool, list, dict)) else str(raw)
    mats[key] = md
out["materializations"] = mats
print("@@DUMP@@" + json.dumps(out, default=str))
"""


@dataclass(frozen=True)
class ExampleRun:
    state_dir: Path
    records: dict[AssetKeyPath, AssetLineage]
    materializations: dict[str, dict[str, Any]]
    tree: str
    cli_rc: int
    cache: dict[str, int]
    materialize_output: str

    @property
    def duckdb_path(self) -> Path:
        return self.state_dir / "warehouse.duckdb"

    @property
    def export_dir(self) -> Path:
        return self.state_dir / "exports"


def _run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="session")
def example_run(tmp_path_factory: pytest.TempPathFactory) -> ExampleRun:
    state = tmp_path_factory.mktemp("example_state")
    home = state / "dagster_home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAGSTER_LINEAGE_")}
    env.update(DAGSTER_LINEAGE_EXAMPLE_STATE=str(state), DAGSTER_HOME=str(home))
    mat = _run(
        [
            str(BIN / "dagster"),
            "asset",
            "materialize",
            "-m",
            "example_project.definitions",
            "--select",
            "raw_orders,stg_orders,fct_orders",
        ],
        env,
    )
    assert mat.returncode == 0, f"materialize failed:\n{mat.stdout[-4000:]}\n{mat.stderr[-4000:]}"
    dump = _run([sys.executable, "-c", DUMP], env)
    assert dump.returncode == 0, f"dump failed:\n{dump.stdout[-3000:]}\n{dump.stderr[-3000:]}"
    payload = json.loads(dump.stdout.split("@@DUMP@@", 1)[1])
    records = {tuple(r["key"]): AssetLineage.from_dict(r) for r in payload["records"]}
    return ExampleRun(
        state_dir=state,
        records=records,
        materializations=payload["materializations"],
        tree=payload["tree"],
        cli_rc=payload["cli_rc"],
        cache=payload["cache"],
        materialize_output=mat.stdout + mat.stderr,
    )
