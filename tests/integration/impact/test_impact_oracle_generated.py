"""The engine oracle (oracle.py) on large generated projects in the shapes of real ones.

``benchmarks/generate.py --real-shapes`` writes dbt-duckdb projects of 500+ models: ephemeral
models inlined into their consumers, staging models reading their source by name through a macro
(no ``source()``), incremental marts reading ``{{ this }}``, window-heavy marts, joins of up to
three parents through CTEs, aggregates, ``SELECT *`` and ``t.*`` and a local package. Each seeded
project is compiled once by real dbt (``deps`` and ``compile``, the seeds side by side); DuckDB
then binds every model's compiled SQL in dependency order to make the catalog a build would leave
(``oracle.engine_catalog``: only what binding needs, no rows), and judges hundreds of seeded random
changes (column renames and drops, table renames and drops) as in test_impact_oracle.py.

Why not ``dbt build`` and ``docs generate``: 500 models built three times would cost minutes,
and the generator compiles its incremental marts with their ``{{ this }}`` branch from the first
run on, so a first build fails on them; the engine catalog creates that relation first from the
model's YAML columns, as a previous run would have left it. Disagreements found here are
minimised in test_impact_oracle_shapes.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from oracle import Project, engine_catalog, engine_verdict, random_changes

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import AssetKeyPath
from dagster_lineage.impact.analysis import analyze_impact
from dagster_lineage.impact.schema_changes import SchemaChange
from dagster_lineage.integrations.dbt.analysis import analyse_dbt_manifest

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"
MODELS = 500
SEEDS = (3, 8, 21)
CHANGES_PER_SEED = 100
FLOOR = 0.99

# deps + compile of a project with dbt's Python API (one interpreter for both commands)
COMPILE = """
import sys
from dbt.cli.main import dbtRunner
project = sys.argv[1]
for args in (["deps"], ["compile", "--threads", "2"]):
    res = dbtRunner().invoke(
        [*args, "--project-dir", project, "--profiles-dir", project, "--quiet"]
    )
    if not res.success:
        raise SystemExit(f"dbt {args[0]} failed in {project}: {res.exception}")
"""


@dataclass
class Built:
    seed: int
    project: Project
    graph: LineageGraph
    keys: dict[str, AssetKeyPath]

    def models(self) -> set[str]:
        """Models that are assets (an ephemeral model is inlined into its consumers)."""
        return {
            u for u, r in self.project.relations.items() if r.sql is not None and u in self.keys
        }


def _write_project(out: Path, seed: int) -> dict[str, Any]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import generate
    finally:
        sys.path.remove(str(BENCHMARKS))
    summary: dict[str, Any] = generate.write_project(out, MODELS, seed, real_shapes=True)
    return summary


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Built]]:
    root = tmp_path_factory.mktemp("generated_oracle")
    dirs = [root / f"seed_{seed}" for seed in SEEDS]
    for seed, out in zip(SEEDS, dirs):
        summary = _write_project(out, seed)
        assert summary["models"] >= MODELS
    procs = [  # one interpreter per project, side by side (the machine has two cores)
        subprocess.Popen(
            [sys.executable, "-c", COMPILE, str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for out in dirs
    ]
    for proc in procs:
        output, _ = proc.communicate()
        assert proc.returncode == 0, output[-4000:]
    built = []
    for seed, out in zip(SEEDS, dirs):
        manifest = json.loads((out / "target" / "manifest.json").read_text())
        catalog = engine_catalog(manifest, (out / "create_sources.sql").read_text())
        analysis = analyse_dbt_manifest(manifest, catalog=catalog)
        built.append(
            Built(
                seed,
                Project.from_artifacts(manifest, catalog),
                LineageGraph.from_records(analysis.records.values()),
                {uid: rec.key for uid, rec in analysis.records.items()},
            )
        )
    yield built


def ours(b: Built, uid: str, change: SchemaChange) -> frozenset[str]:
    report = analyze_impact(b.graph, b.keys[uid], [change])
    return frozenset(
        u
        for u in b.models()
        if (a := report.get(b.keys[u])) is not None and a.severity.label == "breaking"
    )


def test_generated_projects_have_the_real_shapes(generated: list[Built]) -> None:
    for b in generated:
        models = [r for r in b.project.relations.values() if r.sql is not None]
        assert len(models) >= MODELS
        assert any(r.ephemeral for r in models)
        assert any("__dbt__cte__" in (r.sql or "") for r in models)
        # a staging model reading its source by name has that source as a parent all the same
        assert any(
            ".raw." in (r.sql or "") and any(p.startswith("source.") for p in r.parents)
            for r in models
        )


def test_engine_oracle_on_generated_real_shape_projects(generated: list[Built]) -> None:
    figures: list[str] = []
    disagreements: list[str] = []
    total = {"changes": 0, "tp": 0, "fp": 0, "fn": 0}
    for b in generated:
        tp = fp = fn = 0
        changes = random_changes(b.project, CHANGES_PER_SEED, b.seed, only=set(b.keys))
        for uid, change in changes:
            engine = engine_verdict(b.project, uid, change).breaking & b.models()
            mine = ours(b, uid, change)
            tp += len(mine & engine)
            fp += len(mine - engine)
            fn += len(engine - mine)
            if mine != engine:
                disagreements.append(
                    f"seed {b.seed} {uid} {change.describe()}: "
                    f"ours-only {sorted(mine - engine)} engine-only {sorted(engine - mine)}"
                )
        figures.append(
            f"seed {b.seed}: {len(changes)} changes, {tp + fn} breaking pairs (engine), "
            f"precision {tp / max(1, tp + fp):.4f}, recall {tp / max(1, tp + fn):.4f}"
        )
        total["changes"] += len(changes)
        total["tp"] += tp
        total["fp"] += fp
        total["fn"] += fn
    tp, fp, fn = total["tp"], total["fp"], total["fn"]
    assert total["changes"] >= 300
    assert tp > 300  # the changes do break things: the comparison is not vacuous
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    message = "\n".join(
        [*figures, f"all: precision {precision:.4f} recall {recall:.4f}", *disagreements[:15]]
    )
    print(message)
    assert precision >= FLOOR and recall >= FLOOR, message
