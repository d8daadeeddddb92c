"""Smoke test: the benchmark generator and runner still work (N=50, quick mode, no timings checked)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
BENCH = ROOT / "benchmarks"


def _generate(out: Path, models: int, seed: int) -> dict:
    sys.path.insert(0, str(BENCH))
    try:
        import generate
    finally:
        sys.path.remove(str(BENCH))
    return generate.write_project(out, models, seed)


def test_generator_is_deterministic_and_shaped(tmp_path: Path) -> None:
    a = _generate(tmp_path / "a", 50, 3)
    b = _generate(tmp_path / "b", 50, 3)
    _generate(tmp_path / "c", 50, 4)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a" / "models").rglob("*"))
    assert files_a == sorted(
        p.relative_to(tmp_path / "b") for p in (tmp_path / "b" / "models").rglob("*")
    )
    for rel in files_a:
        if (tmp_path / "a" / rel).is_file():
            assert (tmp_path / "a" / rel).read_text() == (tmp_path / "b" / rel).read_text()
    assert a == b
    assert a["models"] == 50 and set(a["layers"]) == {"staging", "intermediate", "mart"}
    assert all(a["layers"].values())
    # a different seed gives a different project
    assert (tmp_path / "a" / "models" / "mart" / "_schema.yml").read_text() != (
        tmp_path / "c" / "models" / "mart" / "_schema.yml"
    ).read_text()
    # every model declares 10-60 columns; joins, aggregations, windows and SELECT * all occur
    sqls = [p.read_text() for p in (tmp_path / "a" / "models").rglob("*.sql")]
    assert len(sqls) == 50
    for schema_file in (tmp_path / "a" / "models").rglob("_schema.yml"):
        for model in yaml.safe_load(schema_file.read_text())["models"]:
            assert 10 <= len(model["columns"]) <= 60, model["name"]
    text = "\n".join(sqls)
    for needle in (" join ", "group by", " over (", "select *", "with "):
        assert needle in text, needle


@pytest.fixture(scope="module")
def quick_run() -> Iterator[dict]:
    # Not under pytest's basetemp: a concurrent pytest session resets /tmp/pytest-of-<user> to
    # 0700, which locks the PostgreSQL server (running as user postgres) out of its data folder.
    with tempfile.TemporaryDirectory(prefix="bench_smoke_") as tmp:
        yield _quick_run(Path(tmp))


def _quick_run(out: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--no-sqllineage", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads((out / "results_50.json").read_text())
    results["_out"] = str(out)
    results["_stdout"] = proc.stdout
    return results


def test_quick_run_measures_every_baseline(quick_run: dict) -> None:
    graph = quick_run["graph"]
    for key in ("ours", "sqlglot_all", "sqlglot_percol"):
        entry = graph[key]
        assert "error" not in entry, entry
        assert entry["seconds"] > 0 and entry["peak_rss_mib"] > 0
        assert entry["failures"] == 0, entry["failure_sample"]
    assert graph["ours"]["models_measured"] == 50
    assert "skipped" in graph["sqllineage"]
    load = quick_run["load"]["plain"]
    assert "error" not in load, load
    # 50 models + the sources dagster-dbt turns into assets
    assert load["assets"] >= 50
    for section in ("load", "impact", "changed"):
        for name, entry in quick_run[section].items():
            assert "error" not in entry, (section, name, entry)


def test_quick_run_compares_edges_and_writes_report(quick_run: dict) -> None:
    agreement = quick_run["agreement"]
    for key in ("all", "percol"):
        assert agreement[key]["models_compared"] > 0
        assert agreement[key]["edges_agree"] > 0
    report = Path(quick_run["_out"]) / "results_50.md"
    text = report.read_text()
    assert "| measurement |" in text and "sqlglot all-columns / ours" in text
