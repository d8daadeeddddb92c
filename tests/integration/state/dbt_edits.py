"""A real dbt-duckdb copy of tests/fixtures/dbt/fingerprint_project, materialized once through Dagster.

``EditableDbtProject`` restores the pristine files before each edit, compiles the edited project into
its own target folder (one ``dbt compile`` per case) and builds the code location from that manifest,
so ``changed_assets`` compares the edited code with what the baseline run recorded.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource

from dagster_lineage.defs.changed_assets import changed_assets
from dagster_lineage.defs.dbt import (
    DagsterDbtLineageTranslator,
    DbtLineageSettings,
    dbt_lineage_assets,
    default_dbt_executable,
)

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "fixtures" / "dbt" / "fingerprint_project"
DUCKDB_ENV = "FP_FIXTURE_DUCKDB_PATH"
_counter = itertools.count()


def dbt(project_dir: Path, *args: str, env: Mapping[str, str] | None = None) -> None:
    proc = subprocess.run(
        [
            default_dbt_executable(),
            "--no-use-colors",
            *args,
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project_dir),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **(env or {})},
    )
    assert proc.returncode == 0, f"dbt {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"


def summary(changes: list[Any]) -> dict[str, set[str]]:
    return {c.key_str: {r.value for r in c.reasons} for c in changes}


class EditableDbtProject:
    """The fixture project in ``root/project``, its warehouse in ``root/warehouse.duckdb``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.project_dir = root / "project"
        self.cache_dir = root / "lineage_cache"
        shutil.copytree(FIXTURE, self.project_dir)
        os.environ[DUCKDB_ENV] = str(root / "warehouse.duckdb")
        dbt(self.project_dir, "deps")

    def restore(self) -> None:
        """Undo every edit (the fixture's files over the working copy)."""
        shutil.copytree(FIXTURE, self.project_dir, dirs_exist_ok=True)

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.project_dir / rel
        text = path.read_text()
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new))

    def write(self, rel: str, text: str) -> None:
        (self.project_dir / rel).write_text(text)

    def compile(
        self, *, project_dir: Path | None = None, env: Mapping[str, str] | None = None
    ) -> Path:
        """``dbt compile`` into a fresh target folder; returns the manifest path."""
        target = self.root / f"target_{next(_counter)}"
        dbt(project_dir or self.project_dir, "compile", "--target-path", str(target), env=env)
        return target / "manifest.json"

    def translator(self) -> DagsterDbtLineageTranslator:
        return DagsterDbtLineageTranslator(
            lineage_settings=DbtLineageSettings(cache_dir=self.cache_dir)
        )

    def defs(self, manifest: Path, **kwargs: Any) -> dg.Definitions:
        @dbt_lineage_assets(manifest=manifest, translator=self.translator(), **kwargs)
        def fp_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
            yield from dbt.cli(["build"], context=context).stream()

        return dg.Definitions(
            assets=[fp_assets],
            resources={
                "dbt": DbtCliResource(
                    project_dir=str(self.project_dir),
                    profiles_dir=str(self.project_dir),
                    dbt_executable=default_dbt_executable(),
                )
            },
        )

    def materialize(self, manifest: Path, instance: dg.DagsterInstance) -> None:
        job = self.defs(manifest).resolve_implicit_global_asset_job_def()
        assert job.execute_in_process(instance=instance).success

    def changed(
        self, instance: dg.DagsterInstance, manifest: Path, **kwargs: Any
    ) -> dict[str, set[str]]:
        return summary(changed_assets(self.defs(manifest, **kwargs), instance))


Edit = Callable[[EditableDbtProject], None]
