"""One benchmark measurement, run in a fresh process by ``run.py``.

``python benchmarks/worker.py <task> <args.json>`` prints one line ``RESULT {json}`` with the
measured seconds, the process's peak RSS and task-specific numbers. Imports are timed separately
from the work so that import costs stay visible but do not blur the comparison of algorithms.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

T_START = time.perf_counter()
READS_KEY = "__reads__"


def peak_rss_mib() -> float:
    """Peak resident set size of this process, in MiB.

    ``VmHWM`` from ``/proc/self/status`` is per address space, so it starts afresh at ``exec``;
    ``ru_maxrss`` does not (Linux carries the parent's high-water mark across fork+exec), so it is
    only the fallback where /proc is missing.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def short(table: str) -> str:
    """Normalise a table name for edge comparison: last identifier part, unquoted, lower-case."""
    return table.replace('"', "").replace("`", "").split(".")[-1].lower()


def load_input(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def select_models(data: dict[str, Any], sample: int | None) -> list[dict[str, Any]]:
    """All models, or a deterministic evenly spaced sample of ``sample`` of them."""
    models = data["models"]
    if not sample or sample >= len(models):
        return models
    step = len(models) / sample
    return [models[int(i * step)] for i in range(sample)]


def task_input(args: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """The compiled models a graph task measures: (all input, the selected models, the dialect)."""
    data = load_input(args["input"])
    return data, select_models(data, args.get("sample")), data["dialect"]


def parent_schema(data: dict[str, Any], model: dict[str, Any]) -> dict[str, dict[str, str]]:
    """``{relation: {column: type}}`` for the model's parents (what dagster-dbt gives sqlglot)."""
    tables = data["tables"]
    return {p: tables[p] for p in model["parents"]}


def nested(schema: dict[str, dict[str, str]]) -> dict[str, Any]:
    """``{"db.schema.t": cols}`` -> ``{db: {schema: {t: cols}}}`` for sqlglot's MappingSchema."""
    out: dict[str, Any] = {}
    for rel, cols in schema.items():
        db, sch, tbl = rel.split(".")
        out.setdefault(db, {}).setdefault(sch, {})[tbl] = cols
    return out


def run_models(
    models: list[dict[str, Any]], fn: Callable[[dict[str, Any]], dict[str, list[list[str]]]]
) -> dict[str, Any]:
    """Run ``fn`` per model; collect per-model times, failures and edges."""
    times: list[float] = []
    edges: dict[str, dict[str, list[list[str]]]] = {}
    failures: dict[str, str] = {}
    cpu0 = time.process_time()
    for m in models:
        t0 = time.perf_counter()
        try:
            edges[m["name"]] = fn(m)
        except Exception as exc:  # noqa: BLE001 - a benchmark counts failures and keeps going
            failures[m["name"]] = f"{type(exc).__name__}: {str(exc)[:200]}"
        times.append(time.perf_counter() - t0)
    slowest = max(range(len(times)), key=times.__getitem__) if times else None
    return {
        "seconds": sum(times),
        "cpu_seconds": time.process_time() - cpu0,
        "models_measured": len(models),
        "max_model_seconds": times[slowest] if slowest is not None else 0.0,
        "slowest_model": models[slowest]["name"] if slowest is not None else None,
        "failures": len(failures),
        "failure_sample": dict(list(failures.items())[:5]),
        "edges": edges,
    }


# --- ours -----------------------------------------------------------------------------------


def task_graph_ours(args: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    from dagster_lineage.sql.lineage import statement_lineage

    import_s = time.perf_counter() - t0
    data, models, dialect = task_input(args)

    def one(m: dict[str, Any]) -> dict[str, list[list[str]]]:
        res = statement_lineage(
            m["sql"], dialect=dialect, schema=parent_schema(data, m), source=m["path"]
        )
        edges: dict[str, Any] = {
            c.name.lower(): sorted({(short(s.table), s.column.lower()) for s in c.sources})
            for c in res.columns
        }
        # columns only read (filter, join, window, ...): used to explain disagreements
        edges[READS_KEY] = sorted(
            {(short(r.table), r.column.lower(), r.clause.value) for r in res.reads}
        )
        return edges

    out = run_models(models, one)
    out["import_seconds"] = import_s
    return out


# --- sqlglot baselines ------------------------------------------------------------------------


def _leaf_edges(node: Any, exp: Any) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for n in node.walk():
        if n.downstream:
            continue
        table = n.expression.find(exp.Table)
        if not table:
            continue
        found.add((table.name.lower(), exp.to_column(n.name).name.lower()))
    return found


def task_graph_sqlglot_percol(args: dict[str, Any]) -> dict[str, Any]:
    """dagster-dbt's approach: optimize once, then one ``sqlglot.lineage`` call per column."""
    t0 = time.perf_counter()
    from sqlglot import MappingSchema, exp, parse_one
    from sqlglot.lineage import lineage
    from sqlglot.optimizer import optimize

    import_s = time.perf_counter() - t0
    data, models, dialect = task_input(args)

    def one(m: dict[str, Any]) -> dict[str, list[list[str]]]:
        schema = MappingSchema(nested(parent_schema(data, m)), dialect=dialect)
        optimized = optimize(parse_one(m["sql"], dialect=dialect), schema=schema, dialect=dialect)
        optimized_sql = optimized.sql(dialect=dialect)
        result = {}
        for col in optimized.named_selects:
            node = lineage(col, optimized_sql, schema=schema, dialect=dialect)
            result[col.lower()] = sorted(_leaf_edges(node, exp))
        return result

    out = run_models(models, one)
    out["import_seconds"] = import_s
    return out


def task_graph_sqlglot_all(args: dict[str, Any]) -> dict[str, Any]:
    """sqlglot's all-columns mode: ``lineage(None, sql, schema)`` (qualifies, then walks)."""
    t0 = time.perf_counter()
    from sqlglot import MappingSchema, exp
    from sqlglot.lineage import lineage

    import_s = time.perf_counter() - t0
    data, models, dialect = task_input(args)

    def one(m: dict[str, Any]) -> dict[str, list[list[str]]]:
        schema = MappingSchema(nested(parent_schema(data, m)), dialect=dialect)
        nodes = lineage(None, m["sql"], schema=schema, dialect=dialect)
        return {name.lower(): sorted(_leaf_edges(node, exp)) for name, node in nodes.items()}

    out = run_models(models, one)
    out["import_seconds"] = import_s
    return out


# --- sqllineage (runs in its own venv: only stdlib + sqllineage) -----------------------------


def task_graph_sqllineage(args: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    from sqllineage.core.metadata.dummy import DummyMetaDataProvider
    from sqllineage.runner import LineageRunner

    import_s = time.perf_counter() - t0
    data, models, _ = task_input(args)
    dialect = args.get("sqllineage_dialect", "duckdb")

    def one(m: dict[str, Any]) -> dict[str, list[list[str]]]:
        meta: dict[str, list[str]] = {}
        for rel, cols in parent_schema(data, m).items():
            _db, sch, tbl = rel.split(".")
            meta[f"{sch}.{tbl}"] = list(cols)
        sql_text = (
            m["sql"].replace(f"{data['database']}.", "").replace(f'"{data["database"]}".', "")
        )
        target = m["relation"].split(".", 1)[1]
        stmt = f"insert into {target}\n{sql_text}"
        runner = LineageRunner(
            stmt, dialect=dialect, metadata_provider=DummyMetaDataProvider(meta), silent_mode=True
        )
        result: dict[str, set[tuple[str, str]]] = {}
        for path in runner.get_column_lineage(exclude_path_ending_in_subquery=True):
            tgt, src = path[-1], path[0]
            src_tbl = getattr(src.parent, "raw_name", str(src.parent))
            result.setdefault(tgt.raw_name.lower(), set()).add(
                (short(str(src_tbl)), src.raw_name.lower())
            )
        return {k: sorted(v) for k, v in result.items()}

    out = run_models(models, one)
    out["import_seconds"] = import_s
    return out


# --- definitions load -------------------------------------------------------------------------


def load_module_defs(module: str, args: dict[str, Any]) -> dict[str, Any]:
    """Time what a code location load does: import the definitions module, validate it loadable.

    ``import_seconds`` is dagster + dagster-dbt import (common to every variant); ``seconds`` is the
    module's own work (building the assets) plus ``Definitions.validate_loadable``.
    """
    import os

    os.environ["BENCH_MANIFEST"] = args["manifest"]
    os.environ["BENCH_PROJECT"] = args["project"]
    for k, v in (args.get("env") or {}).items():
        os.environ[k] = v
    t0 = time.perf_counter()
    import dagster as dg
    import dagster_dbt  # noqa: F401

    import_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    cpu1 = time.process_time()
    import importlib

    mod = importlib.import_module(module)
    defs = mod.defs
    dg.Definitions.validate_loadable(defs)
    seconds = time.perf_counter() - t1
    cpu = time.process_time() - cpu1
    n_assets = len(list(defs.resolve_all_asset_keys()))
    out = {"seconds": seconds, "cpu_seconds": cpu, "import_seconds": import_s, "assets": n_assets}
    stats = getattr(mod, "CACHE_STATS", None)
    if stats is not None:
        out["cache"] = stats() if callable(stats) else stats
    return out


def task_load_plain(args: dict[str, Any]) -> dict[str, Any]:
    """Plain dagster-dbt: ``@dbt_assets(manifest=...)`` in a Definitions, validated loadable."""
    return load_module_defs("defs_plain", args)


TASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "graph_ours": task_graph_ours,
    "graph_sqlglot_percol": task_graph_sqlglot_percol,
    "graph_sqlglot_all": task_graph_sqlglot_all,
    "graph_sqllineage": task_graph_sqllineage,
    "load_plain": task_load_plain,
}


def main() -> None:
    task, args_path = sys.argv[1], sys.argv[2]
    args = json.loads(Path(args_path).read_text())
    extra_dir = args.get("sys_path")
    if extra_dir:
        sys.path.insert(0, extra_dir)
    if task not in TASKS:
        import importlib

        mod = importlib.import_module("bench_ours")  # ours-side tasks live next to this file
        fn = getattr(mod, f"task_{task}")
    else:
        fn = TASKS[task]
    profiler = None
    if args.get("profile"):
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
        profiler.start()
    try:
        result = fn(args)
    except Exception as exc:  # noqa: BLE001 - report, do not crash the runner
        result = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    if profiler is not None:
        profiler.stop()
        Path(args["profile"]).write_text(profiler.output_text(unicode=False, color=False))
    edges = result.pop("edges", None)
    if edges is not None and args.get("edges_out"):
        Path(args["edges_out"]).write_text(json.dumps(edges, sort_keys=True))
    result["peak_rss_mib"] = peak_rss_mib()
    result["process_seconds"] = time.perf_counter() - T_START
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
