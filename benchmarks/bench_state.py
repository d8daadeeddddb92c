"""Measurements of the state-file section (``run.py --only state``), one per fresh process.

    python benchmarks/bench_state.py write MANIFEST PROJECT CACHE_DIR OUT.json
    python benchmarks/bench_state.py load STATE.json
    python benchmarks/bench_state.py edit SRC_PROJECT DST_PROJECT N

Each prints one ``RESULT {...}`` line.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def write(manifest: str, project: str, cache_dir: str, out: str) -> dict[str, object]:
    """Load the code location (reported apart), then time building and writing the state file."""
    os.environ.update(BENCH_MANIFEST=manifest, BENCH_PROJECT=project, BENCH_CACHE_DIR=cache_dir)
    sys.path.insert(0, str(HERE))
    t0 = time.perf_counter()
    import defs_ours

    from dagster_lineage.defs.graph import graph_from_definitions
    from dagster_lineage.state.lineage_state import LineageState, write_state

    graph = graph_from_definitions(defs_ours.defs)
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    state = LineageState.from_records(graph.records(), project="benchmarks/defs_ours.py")
    write_state(state, out)
    seconds = time.perf_counter() - t1
    return {
        "seconds": seconds,
        "load_seconds": load_s,
        "assets": state.asset_count,
        "bytes": Path(out).stat().st_size,
    }


def load(path: str) -> dict[str, object]:
    """Time reading a state file into a :class:`LineageGraph` (imports excluded)."""
    from dagster_lineage.state.lineage_state import read_state

    t0, c0 = time.perf_counter(), time.process_time()
    graph = read_state(path).graph()
    return {
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - c0,
        "assets": len(graph),
    }


def _wrap(sql: str) -> str:
    """A real edit of a model: one more output column, every other column unchanged."""
    return f"select *, 1 as bench_edit_flag from (\n{sql.strip()}\n) as bench_edit_src\n"


def edit(src: str, dst: str, n: int) -> dict[str, object]:
    """Copy the project and edit ``n`` evenly spaced models (``select *, 1 as bench_edit_flag``)."""
    s, d = Path(src), Path(dst)
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(s, d, ignore=shutil.ignore_patterns("logs", "compiled", "run"))
    models = sorted((d / "models").rglob("*.sql"))
    step = max(len(models) // n, 1)
    edited = models[step // 2 :: step][:n]
    for p in edited:
        p.write_text(_wrap(p.read_text()))
    return {"edited": [p.stem for p in edited]}


def main() -> None:
    cmd, *args = sys.argv[1:]
    fn = {"write": write, "load": load, "edit": edit}[cmd]
    result = fn(*args[:-1], int(args[-1])) if cmd == "edit" else fn(*args)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
