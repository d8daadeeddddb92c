"""Run the dagster-lineage benchmarks against the alternatives, in one run, and report medians.

Usage (from the repository root)::

    .venv/bin/python benchmarks/run.py                 # N=2000 models, 3 repetitions
    .venv/bin/python benchmarks/run.py --quick         # N=50, 1 repetition, small samples
    .venv/bin/python benchmarks/run.py --only graph    # one section (prep, load, graph, impact, changed)

Every measurement runs in a fresh subprocess (``benchmarks/worker.py``) so peak RSS and import
costs are honest; each section prints why it is skipped when the piece it measures is missing.
Results go to ``benchmarks/out/results_<N>.json`` and ``benchmarks/out/results_<N>.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

SQLLINEAGE_VENV = HERE / ".venv-sqllineage"
WORKER = HERE / "worker.py"
SLOW_SECONDS = 90.0  # a measurement whose process runs longer than this ...
SLOW_REPS = 1  # ... is repeated only this often (set from --slow-reps)
PROFILE_DIR: Path | None = None  # set by --profile: each worker runs under pyinstrument


# --- process helpers ---------------------------------------------------------------------------


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run_worker(
    task: str, args: dict[str, Any], out_dir: Path, python: str | None = None, timeout: float = 3600
) -> dict[str, Any]:
    """Run one measurement in a fresh process and return its RESULT dict (+ ``wall_seconds``)."""
    args_path = out_dir / f"args_{task}.json"
    if PROFILE_DIR is not None:
        args = {
            **args,
            "profile": str(
                PROFILE_DIR
                / f"profile_{task}_{args.get('change') or args.get('storage') or ''}.txt"
            ),
        }
    args_path.write_text(json.dumps(args))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [
            str(ROOT),
            *([str(HERE / "out" / "profilers")] if PROFILE_DIR else []),
            env.get("PYTHONPATH", ""),
        ]
    )
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("DAGSTER_HOME", str(out_dir / "dagster_home"))
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [python or sys.executable, str(WORKER), task, str(args_path)],
            capture_output=True,
            text=True,
            cwd=str(ROOT),
            env=env,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s"}
    wall = time.perf_counter() - t0
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
            result["wall_seconds"] = wall
            return result
    return {"error": f"worker {task} exited {proc.returncode}: {proc.stderr[-1500:]}"}


def repeat(
    name: str, task: str, args: dict[str, Any], reps: int, out_dir: Path, **kw: Any
) -> dict[str, Any] | None:
    """Run ``task`` ``reps`` times; return medians (seconds, peak RSS) plus the first run's extras."""
    runs: list[dict[str, Any]] = []
    for i in range(reps):
        res = run_worker(task, args if i == 0 else {**args, "edges_out": None}, out_dir, **kw)
        if res.get("skip"):
            log(f"{name}: skipped: {res['skip']}")
            return {"name": name, "skipped": res["skip"]}
        if "error" in res:
            log(f"{name}: ERROR {res['error'][:800]}")
            return {"name": name, "error": res["error"][:800]}
        runs.append(res)
        log(f"{name} #{i + 1}: {res['seconds']:.3f}s, peak RSS {res['peak_rss_mib']:.0f} MiB")
        if res["wall_seconds"] > SLOW_SECONDS and len(runs) >= SLOW_REPS:
            break  # a slow measurement: SLOW_REPS repetitions are enough (reported per row)
    summary = dict(runs[0])
    summary["name"] = name
    summary["reps"] = len(runs)
    for key in (
        "seconds",
        "cpu_seconds",
        "peak_rss_mib",
        "wall_seconds",
        "import_seconds",
        "max_model_seconds",
    ):
        vals = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
        if vals:
            summary[key] = statistics.median(vals)
            summary[f"{key}_all"] = vals
    return summary


# --- sections ------------------------------------------------------------------------------------


def section_prep(cfg: argparse.Namespace, results: dict[str, Any]) -> None:
    """Generate the project, time ``dbt parse`` and ``dbt compile``, dump compiled SQL + schemas."""
    project = cfg.project
    if cfg.regenerate or not (project / "dbt_project.yml").exists():
        log(f"generating {cfg.models} models into {project}")
        results["project"] = generate.write_project(project, cfg.models, cfg.seed)
    else:
        results["project"] = json.loads((project / "generated.json").read_text())
    generate.create_sources(project)
    manifest = project / "target" / "manifest.json"
    if cfg.regenerate or not manifest.exists() or not (project / "target" / "compiled").exists():
        if not cfg.quick:  # dbt compile parses too; the quick mode saves the separate parse
            results["dbt_parse_seconds"] = generate.dbt(project, "parse")
            log(f"dbt parse: {results['dbt_parse_seconds']:.1f}s")
        results["dbt_compile_seconds"] = generate.dbt(project, "compile")
        log(f"dbt compile: {results['dbt_compile_seconds']:.1f}s")
    dump_lineage_input(project, cfg.input)


def dump_lineage_input(project: Path, dest: Path) -> None:
    """Write the compiled SQL and parent schemas every graph builder gets (the same for all)."""
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    dialect = manifest["metadata"]["adapter_type"]

    def rel(props: dict[str, Any]) -> str:
        return props["relation_name"].replace('"', "").lower()

    tables: dict[str, dict[str, str]] = {}
    for props in list(manifest["sources"].values()) + list(manifest["nodes"].values()):
        if props["resource_type"] in ("source", "model"):
            tables[rel(props)] = {
                c["name"].lower(): c.get("data_type") or "unknown"
                for c in props["columns"].values()
            }
    models = []
    for uid, props in sorted(manifest["nodes"].items()):
        if props["resource_type"] != "model":
            continue
        parents = []
        for p in props["depends_on"]["nodes"]:
            pprops = manifest["sources"].get(p) or manifest["nodes"][p]
            parents.append(rel(pprops))
        models.append(
            {
                "unique_id": uid,
                "name": props["name"],
                "relation": rel(props),
                "path": props["original_file_path"],
                "sql": props["compiled_code"],
                "parents": parents,
            }
        )
    database = next(iter(tables)).split(".")[0]
    dest.write_text(
        json.dumps({"dialect": dialect, "database": database, "tables": tables, "models": models})
    )


def ensure_sqllineage_venv() -> str | None:
    """Create ``benchmarks/.venv-sqllineage`` with sqllineage on demand; return its python."""
    py = SQLLINEAGE_VENV / "bin" / "python"
    if py.exists():
        ok = subprocess.run([str(py), "-c", "import sqllineage"], capture_output=True)
        if ok.returncode == 0:
            return str(py)
    log("creating benchmarks/.venv-sqllineage (python3 -m venv + pip install sqllineage)")
    base = "python3"
    proc = subprocess.run(
        [base, "-m", "venv", str(SQLLINEAGE_VENV)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        log(f"sqllineage: cannot create venv: {proc.stderr[-300:]}")
        return None
    proc = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "sqllineage"], capture_output=True, text=True
    )
    if proc.returncode != 0:
        log(f"sqllineage: pip install failed: {proc.stderr[-300:]}")
        return None
    return str(py)


def section_load(cfg: argparse.Namespace, results: dict[str, Any]) -> None:
    manifest = cfg.project / "target" / "manifest.json"
    common = {"manifest": str(manifest), "project": str(cfg.project)}
    out = results.setdefault("load", {})
    out["plain"] = repeat(
        "load: plain dagster-dbt @dbt_assets", "load_plain", common, cfg.reps, cfg.out
    )
    cache_dir = cfg.out / "lineage_cache"
    ours = {**common, "cache_dir": str(cache_dir)}
    out["ours_cold"] = repeat(
        "load: ours, cold cache", "load_ours", {**ours, "clear_cache": True}, cfg.reps, cfg.out
    )
    out["ours_warm"] = repeat(
        "load: ours, warm cache", "load_ours", {**ours, "clear_cache": False}, cfg.reps, cfg.out
    )


def section_graph(cfg: argparse.Namespace, results: dict[str, Any]) -> None:
    out = results.setdefault("graph", {})
    base = {"input": str(cfg.input)}
    edges = {
        k: cfg.out / f"edges_{cfg.models}_{k}.json" for k in ("ours", "percol", "all", "sqllineage")
    }
    for path in edges.values():
        path.unlink(missing_ok=True)
    out["ours"] = repeat(
        "graph: ours (statement_lineage, all models)",
        "graph_ours",
        {**base, "edges_out": str(edges["ours"])},
        cfg.reps,
        cfg.out,
    )
    out["ours_e2e"] = repeat(
        "graph: ours end to end (manifest -> records -> LineageGraph, no cache)",
        "graph_ours_e2e",
        {"manifest": str(cfg.project / "target" / "manifest.json"), "project": str(cfg.project)},
        cfg.reps,
        cfg.out,
    )
    out["sqlglot_all"] = repeat(
        "graph: sqlglot lineage(None, ...) all-columns",
        "graph_sqlglot_all",
        {**base, "sample": cfg.sample_all, "edges_out": str(edges["all"])},
        cfg.reps,
        cfg.out,
    )
    out["sqlglot_percol"] = repeat(
        f"graph: sqlglot.lineage per column (dagster-dbt), sample {cfg.sample}",
        "graph_sqlglot_percol",
        {**base, "sample": cfg.sample, "edges_out": str(edges["percol"])},
        cfg.reps_slow,
        cfg.out,
    )
    py = None if cfg.no_sqllineage else ensure_sqllineage_venv()
    if py is None:
        log("sqllineage: skipped (no venv)")
        out["sqllineage"] = {"name": "sqllineage", "skipped": "venv unavailable or --no-sqllineage"}
    else:
        out["sqllineage"] = repeat(
            f"graph: sqllineage column lineage, sample {cfg.sample_sqllineage}",
            "graph_sqllineage",
            {**base, "sample": cfg.sample_sqllineage, "edges_out": str(edges["sqllineage"])},
            cfg.reps_slow,
            cfg.out,
            python=py,
        )
        ver = subprocess.run(
            [
                py,
                "-c",
                "import sqllineage,sqlfluff;print(sqllineage.VERSION, sqlfluff.__version__)",
            ],
            capture_output=True,
            text=True,
        ).stdout.split()
        results.setdefault("versions", {})["sqllineage"] = ver
    n_models = len(json.loads(cfg.input.read_text())["models"])
    for key in ("sqlglot_all", "sqlglot_percol", "sqllineage"):
        r = out.get(key)
        if r and "seconds" in r and r.get("models_measured"):
            r["extrapolated_seconds"] = r["seconds"] * n_models / r["models_measured"]
            if "cpu_seconds" in r:
                r["extrapolated_cpu_seconds"] = r["cpu_seconds"] * n_models / r["models_measured"]
    results["agreement"] = agreement(edges, cfg.input)


READS_KEY = "__reads__"


def _classify(model: str, col: str, table: str, src: str, ours: dict[str, Any], sql: str) -> str:
    """Why an edge is in the other tool's set but not in ours."""
    reads = {(t, c): clause for t, c, clause in ours.get(READS_KEY, [])}
    if col == "*":
        return "other did not expand SELECT * (output column '*')"
    if src == "*":
        return "other maps count(*) to a '*' column"
    clause = reads.get((table, src))
    if clause is not None:
        return f"ours records it as a {clause.upper()} read, not a value source"
    if col not in ours:
        return "output column missing in ours"
    return "other"


def agreement(edges: dict[str, Path], input_path: Path) -> dict[str, Any]:
    """Compare (model.column <- table.column) edge sets of ours against each alternative.

    Only the models both sides analysed are compared. Each edge in one set but not the other is
    classified (see :func:`_classify`), so the report says what kind of disagreement it is.
    """
    if not edges["ours"].exists():
        return {"skipped": "no edges from ours"}
    ours = json.loads(edges["ours"].read_text())
    sql_by_model = {m["name"]: m["sql"] for m in json.loads(input_path.read_text())["models"]}
    report: dict[str, Any] = {}
    for key in ("all", "percol", "sqllineage"):
        if not edges[key].exists():
            continue
        other = json.loads(edges[key].read_text())
        models = sorted(set(ours) & set(other))
        only_ours: list[str] = []
        only_other: list[str] = []
        kinds_other: dict[str, int] = {}
        kinds_ours: dict[str, int] = {}
        examples: dict[str, str] = {}
        same = 0
        for m in models:
            a = {(c, t, s) for c, deps in ours[m].items() if c != READS_KEY for t, s in deps}
            b = {(c, t, s) for c, deps in other[m].items() for t, s in deps}
            same += len(a & b)
            for c, t, s in sorted(b - a):
                kind = _classify(m, c, t, s, ours[m], sql_by_model.get(m, ""))
                kinds_other[kind] = kinds_other.get(kind, 0) + 1
                only_other.append(f"{m}.{c} <- {t}.{s}  [{kind}]")
                examples.setdefault(f"other: {kind}", m)
            for c, t, s in sorted(a - b):
                if c not in other[m]:
                    kind = (
                        "other did not expand SELECT *"
                        if "*" in other[m]
                        else "column missing in other"
                    )
                else:
                    kind = "other"
                kinds_ours[kind] = kinds_ours.get(kind, 0) + 1
                only_ours.append(f"{m}.{c} <- {t}.{s}  [{kind}]")
                examples.setdefault(f"ours: {kind}", m)
        report[key] = {
            "models_compared": len(models),
            "edges_agree": same,
            "only_ours": len(only_ours),
            "only_other": len(only_other),
            "only_ours_by_kind": kinds_ours,
            "only_other_by_kind": kinds_other,
            "example_models": examples,
            "sample_only_ours": only_ours[:: max(1, len(only_ours) // 6)][:6],
            "sample_only_other": only_other[:: max(1, len(only_other) // 6)][:6],
        }
    return report


def section_impact(cfg: argparse.Namespace, results: dict[str, Any]) -> None:
    out = results.setdefault("impact", {})
    args = {
        "manifest": str(cfg.project / "target" / "manifest.json"),
        "project": str(cfg.project),
        "input": str(cfg.input),
    }
    out["rename"] = repeat(
        "impact: rename one root source column",
        "impact",
        {**args, "change": "rename"},
        cfg.reps,
        cfg.out,
    )
    out["drop"] = repeat(
        "impact: drop one root source table",
        "impact",
        {**args, "change": "drop"},
        cfg.reps,
        cfg.out,
    )


def _setup_is_current(work_dir: Path, key: str) -> bool:
    """Whether ``work_dir`` holds an instance already filled from the manifest with digest ``key``."""
    marker = work_dir / "materialized"
    return marker.exists() and marker.read_text() == key


def section_changed(cfg: argparse.Namespace, results: dict[str, Any]) -> None:
    """Changed-asset detection over every asset, on SQLite and on PostgreSQL.

    Setup (untimed, reused while the manifest is unchanged): one real run that materializes every
    asset with its checksum metadata. Then 1% of the models' code checksums are edited.
    """
    import hashlib

    manifest = cfg.project / "target" / "manifest.json"
    setup_key = hashlib.sha256(manifest.read_bytes()).hexdigest()
    out = results.setdefault("changed", {})
    args = {"manifest": str(manifest), "project": str(cfg.project), "setup_key": setup_key}
    sqlite_dir = cfg.out / f"changed_sqlite_{cfg.models}"
    if not _setup_is_current(sqlite_dir, setup_key):
        shutil.rmtree(sqlite_dir, ignore_errors=True)
    sqlite_args = {**args, "storage": "sqlite", "work_dir": str(sqlite_dir)}
    out["sqlite"] = repeat("changed assets: SQLite", "changed", sqlite_args, cfg.reps, cfg.out)
    out["sqlite_batched"] = repeat(
        "changed assets: SQLite, batched-query prototype (benchmarks/bench_ours.py)",
        "changed_batched",
        {**sqlite_args, "check": True},
        cfg.reps,
        cfg.out,
    )
    sys.path.insert(0, str(ROOT))
    try:
        from tests.pg_server import PostgresServer, pg_binaries_available
    except ImportError as exc:
        out["postgres"] = {
            "name": "changed assets: PostgreSQL",
            "skipped": f"no tests/pg_server.py: {exc}",
        }
        return
    reason = pg_binaries_available()
    if reason:
        out["postgres"] = {"name": "changed assets: PostgreSQL", "skipped": reason}
        return
    pg_dir = cfg.out / f"pg_{cfg.models}"
    if _setup_is_current(pg_dir / "work", setup_key) and (pg_dir / "pgdata").exists():
        pg = PostgresServer(pg_dir)
        pg.start()
    else:
        shutil.rmtree(pg_dir, ignore_errors=True)
        pg_dir.mkdir(parents=True)
        pg = PostgresServer.start_new(pg_dir)
        pg.create_database("dagster")
    try:
        _changed_postgres(cfg, pg, args, out)
    finally:
        try:
            pg.stop()
        except RuntimeError as exc:  # measurements are kept; say what is left running
            log(f"could not stop the PostgreSQL server in {pg_dir}: {str(exc)[:300]}")


def _changed_postgres(
    cfg: argparse.Namespace, pg: Any, args: dict[str, Any], out: dict[str, Any]
) -> None:
    pg_args = {
        **args,
        "storage": "postgres",
        "work_dir": str(Path(pg.base_dir) / "work"),
        "dagster_yaml": pg.dagster_yaml("dagster"),
    }
    out["postgres"] = repeat("changed assets: PostgreSQL", "changed", pg_args, cfg.reps, cfg.out)
    out["postgres_batched"] = repeat(
        "changed assets: PostgreSQL, batched-query prototype (benchmarks/bench_ours.py)",
        "changed_batched",
        {**pg_args, "check": True},
        cfg.reps,
        cfg.out,
    )


# --- state file, --state and diff (issue 13) -------------------------------------------------


def _timed(argv: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a whole process; return its wall and CPU (user + system) time, exit code and output."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall_seconds": time.perf_counter() - t0,
        "cpu_seconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "rc": proc.returncode,
        "stdout": proc.stdout,
        "stderr": proc.stderr[-1500:],
    }


def _median_process(
    name: str, argv: list[str], reps: int, *, cwd: Path, env: dict[str, str] | None = None
) -> dict[str, Any]:
    runs = [_timed(argv, cwd=cwd, env=env) for _ in range(reps)]
    walls = [r["wall_seconds"] for r in runs]
    cpus = [r["cpu_seconds"] for r in runs]
    log(f"{name}: {', '.join(f'{w:.2f}s' for w in walls)} wall, {statistics.median(cpus):.2f}s CPU")
    return {
        "name": name,
        "wall_seconds": statistics.median(walls),
        "cpu_seconds": statistics.median(cpus),
        "wall_seconds_all": walls,
        "rc": runs[0]["rc"],
        "stdout": runs[0]["stdout"],
        "stderr": runs[0]["stderr"],
    }


def _bench_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _bench_state(*args: str) -> dict[str, Any]:
    res = _timed([sys.executable, str(HERE / "bench_state.py"), *args], cwd=ROOT, env=_bench_env())
    for line in reversed(res["stdout"].splitlines()):
        if line.startswith("RESULT "):
            return {**json.loads(line[len("RESULT ") :]), "wall_seconds": res["wall_seconds"]}
    raise SystemExit(f"bench_state.py {args[0]} failed: {res['stderr']}")


def section_state(cfg: argparse.Namespace, results: dict[str, Any]) -> None:
    """Snapshot write/load, ``impact --state`` vs ``impact`` on the code location, and ``diff`` of
    two states with 20 edited models vs ``dbt ls --select state:modified+ --state``."""
    from dagster_lineage.state.lineage_state import read_state

    out: dict[str, Any] = results.setdefault("state", {})
    project, manifest = cfg.project, cfg.project / "target" / "manifest.json"
    cache = str(cfg.out / "lineage_cache")
    s_base = cfg.out / f"state_base_{cfg.models}.json"
    s_head = cfg.out / f"state_edited_{cfg.models}.json"
    _bench_state("write", str(manifest), str(project), cache, str(s_base))  # warms the cache
    writes = [
        _bench_state("write", str(manifest), str(project), cache, str(s_base))
        for _ in range(cfg.reps)
    ]
    out["write"] = {
        "seconds": statistics.median(w["seconds"] for w in writes),
        "load_seconds": statistics.median(w["load_seconds"] for w in writes),
        "assets": writes[0]["assets"],
        "bytes": writes[0]["bytes"],
    }
    log(f"state write: {out['write']}")
    loads = [_bench_state("load", str(s_base)) for _ in range(cfg.reps)]
    out["load"] = {
        "seconds": statistics.median(r["seconds"] for r in loads),
        "cpu_seconds": statistics.median(r.get("cpu_seconds", r["seconds"]) for r in loads),
        "wall_seconds": statistics.median(r["wall_seconds"] for r in loads),
    }
    log(f"state load: {out['load']}")
    # impact: the source with the most downstream assets, its most consumed column
    graph = read_state(s_base).graph()
    sources = [k for k in graph.keys if not graph.parents(k) and graph.children(k)]
    root = max(sources, key=lambda k: (len(graph.downstream_keys(k)), k))
    uses: dict[str, int] = {}
    for child in graph.children(root):
        for ref in graph.get(child).referenced_upstream_columns():
            if ref.asset == root:
                uses[ref.column] = uses.get(ref.column, 0) + 1
    column = max(uses, key=lambda c: (uses[c], c))
    rname = "/".join(root)
    change = ["--rename", f"{column}:{column}_renamed", "--format", "json"]
    cli = [sys.executable, "-m", "dagster_lineage.cli"]
    env = _bench_env(
        BENCH_MANIFEST=str(manifest),
        BENCH_PROJECT=str(project),
        BENCH_CACHE_DIR=cache,
        PYTHONPATH=str(HERE),
    )
    by_state = _median_process(
        "impact --state",
        [*cli, "impact", rname, *change, "--state", str(s_base)],
        cfg.reps,
        cwd=ROOT,
        env=env,
    )
    by_location = _median_process(
        "impact (code location)",
        [*cli, "impact", rname, *change, "-f", str(HERE / "defs_ours.py")],
        cfg.reps,
        cwd=ROOT,
        env=env,
    )
    # the same command without `import dagster_lineage` running the package __init__ (which
    # imports the Dagster-facing API eagerly today): what a lazy package __init__ gives
    stub = (
        "import sys, types; pkg = types.ModuleType('dagster_lineage'); "
        f"pkg.__path__ = [{str(ROOT / 'dagster_lineage')!r}]; sys.modules['dagster_lineage'] = pkg; "
        "from dagster_lineage.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    by_state_lazy = _median_process(
        "impact --state, package __init__ bypassed",
        [sys.executable, "-c", stub, "impact", rname, *change, "--state", str(s_base)],
        cfg.reps,
        cwd=ROOT,
        env=env,
    )
    by_state_lazy.pop("stdout")
    out["impact_state_lazy"] = by_state_lazy
    same = by_state["stdout"] == by_location["stdout"] and by_state["rc"] == by_location["rc"]
    affected = json.loads(by_state["stdout"])["summary"]["affected"] if by_state["stdout"] else None
    for r in (by_state, by_location):
        r.pop("stdout")
    out["impact_state"], out["impact_location"] = by_state, by_location
    out["impact_note"] = (
        f"rename {rname}.{column}: {affected} affected assets; "
        f"answers {'identical' if same else 'DIFFER'}"
    )
    # diff: 20 edited models, compiled, snapshotted (untimed), then compared
    edited_project = cfg.out / f"bench_{cfg.models}_edited"
    edited = _bench_state("edit", str(project), str(edited_project), "20")["edited"]
    generate.dbt(edited_project, "compile")
    edited_manifest = edited_project / "target" / "manifest.json"
    _bench_state("write", str(edited_manifest), str(edited_project), cache, str(s_head))
    diff = _median_process(
        "diff of two states",
        [*cli, "diff", "--base", str(s_base), "--head", str(s_head), "--format", "json"],
        cfg.reps,
        cwd=ROOT,
        env=env,
    )
    data = json.loads(diff.pop("stdout"))
    diff["changed"] = len(data["changed_assets"])
    diff["affected"] = len(data["affected_assets"])
    out["diff"] = diff
    base_state_dir = cfg.out / "dbt_state_base"
    base_state_dir.mkdir(exist_ok=True)
    shutil.copy(manifest, base_state_dir / "manifest.json")
    dbt_ls = _median_process(
        "dbt ls --select state:modified+",
        [
            str(Path(sys.executable).parent / "dbt"),
            "ls",
            "--select",
            "state:modified+",
            "--state",
            str(base_state_dir),
            "--resource-type",
            "model",
            "--output",
            "name",
            "--project-dir",
            str(edited_project),
            "--profiles-dir",
            str(edited_project),
            "--quiet",
        ],
        cfg.reps,
        cwd=edited_project,
        env=_bench_env(),
    )
    dbt_ls["selected"] = len([ln for ln in dbt_ls.pop("stdout").splitlines() if ln.strip()])
    out["dbt_ls"] = dbt_ls
    out["edited"] = len(edited)


def render_state(results: dict[str, Any]) -> list[str]:
    """The state section's table (whole-process wall times unless noted)."""
    st = results.get("state")
    if not st:
        return []
    w, ld = st["write"], st["load"]
    i_s, i_l, d, ls = st["impact_state"], st["impact_location"], st["diff"], st["dbt_ls"]
    return [
        "",
        "### State file, `--state` and `diff`",
        "",
        "| measurement | time (wall) | CPU | target | notes |",
        "|---|---|---|---|---|",
        f"| snapshot write (records -> state file) | {fmt_s(w['seconds'])} | - | - | "
        f"{w['assets']} assets, {w['bytes'] / 1e6:.1f} MB; loading the code location first: "
        f"{fmt_s(w['load_seconds'])} |",
        f"| snapshot load (file -> LineageGraph) | {fmt_s(ld['seconds'])} | "
        f"{fmt_s(ld.get('cpu_seconds'))} | < 0.3 s | "
        f"process wall {fmt_s(ld['wall_seconds'])} |",
        f"| `impact --state` (process) | {fmt_s(i_s['wall_seconds'])} | "
        f"{fmt_s(i_s.get('cpu_seconds'))} | < 1 s | "
        f"exit {i_s['rc']}; {st['impact_note']} |",
        f"| `impact --state`, package `__init__` not run (process) | "
        f"{fmt_s(st.get('impact_state_lazy', {}).get('wall_seconds'))} | "
        f"{fmt_s(st.get('impact_state_lazy', {}).get('cpu_seconds'))} "
        f"| < 1 s | what a lazy `dagster_lineage/__init__.py` gives |",
        f"| `impact` loading the code location (process) | {fmt_s(i_l['wall_seconds'])} | "
        f"{fmt_s(i_l.get('cpu_seconds'))} | - | "
        f"exit {i_l['rc']} |",
        f"| `diff` of two states, {st['edited']} edited models (process) | "
        f"{fmt_s(d['wall_seconds'])} | {fmt_s(d.get('cpu_seconds'))} | < 1 s | exit {d['rc']}; {d['changed']} changed, "
        f"{d['affected']} downstream affected (column level) |",
        f"| `dbt ls --select state:modified+ --state` (process) | {fmt_s(ls['wall_seconds'])} "
        f"| {fmt_s(ls.get('cpu_seconds'))} | - | exit {ls['rc']}; {ls['selected']} models selected (model level) |",
        "",
        f"- `impact` code location / `impact --state`: "
        f"{i_l['wall_seconds'] / i_s['wall_seconds']:.1f}x",
        f"- `dbt ls state:modified+` / `diff`: {ls['wall_seconds'] / d['wall_seconds']:.1f}x",
    ]


SECTIONS = {
    "prep": section_prep,
    "load": section_load,
    "graph": section_graph,
    "impact": section_impact,
    "changed": section_changed,
    "state": section_state,
}


# --- report ---------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "load_avg_start": os.getloadavg(),
    }


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in (
        "dagster",
        "dagster-dbt",
        "dbt-core",
        "dbt-duckdb",
        "duckdb",
        "sqlglot",
        "dagster-lineage",
    ):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def fmt_s(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v * 1000:.1f} ms" if v < 1 else f"{v:.2f} s"


def render(results: dict[str, Any]) -> str:
    lines = [
        f"## Results: N = {results['project'].get('models')} models, {results['reps']} repetitions (medians)",
        "",
        f"Command: `{results['command']}`  ",
        f"Machine: {results['machine']['cores']} cores, {results['machine']['memory_gib']} GiB, "
        f"{results['machine']['cpu']}; load average at start {results['machine']['load_avg_start']}, "
        f"at end {results.get('load_avg_end')}  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in results["versions"].items()),
        "",
    ]
    for run in results.get("partial_runs", []):
        lines += [
            f"Partial re-run: `{run['command']}` at {run['started']}, load average at start "
            f"{run['load_avg_start']}",
            "",
        ]
    if "dbt_compile_seconds" in results:
        lines.append(
            f"dbt parse {fmt_s(results.get('dbt_parse_seconds'))}, dbt compile "
            f"{fmt_s(results['dbt_compile_seconds'])} (once, for reference)"
        )
        lines.append("")
    lines += [
        "| measurement | median wall time | median CPU time | extrapolated to all models (wall / CPU) | slowest model | import | peak RSS | reps | notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for section in ("load", "graph", "impact", "changed"):
        for _key, r in (results.get(section) or {}).items():
            if not r:
                continue
            if "skipped" in r or "error" in r:
                lines.append(
                    f"| {r['name']} | - | - | - | - | - | - | - | {r.get('skipped') or 'ERROR: ' + r['error'][:160]} |"
                )
                continue
            notes = []
            if r.get("failures"):
                notes.append(
                    f"{r['failures']} model(s) failed, e.g. {next(iter(r['failure_sample'].items()))}"
                )
            if r.get("models_measured"):
                notes.append(f"{r['models_measured']} models measured")
            for k in ("assets", "affected", "changed_assets", "cache", "note"):
                if k in r:
                    notes.append(f"{k}: {r[k]}")
            lines.append(
                f"| {r['name']} | {fmt_s(r['seconds'])} | {fmt_s(r.get('cpu_seconds'))} | "
                f"{fmt_s(r.get('extrapolated_seconds'))} / {fmt_s(r.get('extrapolated_cpu_seconds'))} | "
                f"{fmt_s(r.get('max_model_seconds')) if 'max_model_seconds' in r else '-'} "
                f"{'(' + r['slowest_model'] + ')' if r.get('slowest_model') else ''} | "
                f"{fmt_s(r.get('import_seconds'))} | {r['peak_rss_mib']:.0f} MiB | {r.get('reps')} | {'; '.join(notes)} |"
            )
    lines += ["", "### Ratios", ""]
    lines += [f"- {k}: {v}" for k, v in ratios(results).items()]
    lines += render_state(results)
    ag = results.get("agreement") or {}
    if ag:
        lines += [
            "",
            "### Edge agreement (output column <- source table.column), ours vs other",
            "",
        ]
        for key, r in ag.items():
            if key == "skipped":
                lines.append(f"- skipped: {r}")
                continue
            lines.append(
                f"- **{key}**: {r['models_compared']} models, {r['edges_agree']} edges agree, "
                f"{r['only_ours']} only in ours {r['only_ours_by_kind']}, "
                f"{r['only_other']} only in {key} {r['only_other_by_kind']}"
            )
            for e in r["sample_only_ours"]:
                lines.append(f"  - only ours: `{e}`")
            for e in r["sample_only_other"]:
                lines.append(f"  - only {key}: `{e}`")
    return "\n".join(lines) + "\n"


def _sec(
    r: dict[str, Any] | None, extrapolated: bool = False, key: str = "seconds"
) -> float | None:
    if not r or key not in r:
        return None
    if extrapolated:
        return r.get(f"extrapolated_{key}", r[key])
    return r[key]


def ratios(results: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    g = results.get("graph") or {}
    for metric in ("seconds", "cpu_seconds"):
        ours = _sec(g.get("ours"), key=metric)
        if not ours:
            continue
        for key, label in (
            ("sqlglot_all", "sqlglot all-columns / ours"),
            ("sqlglot_percol", "per-column sqlglot.lineage / ours"),
            ("sqllineage", "sqllineage / ours"),
        ):
            other = _sec(g.get(key), extrapolated=True, key=metric)
            if other:
                tag = "wall" if metric == "seconds" else "CPU"
                out[f"{label} ({tag})"] = f"{other / ours:.1f}x"
    ld = results.get("load") or {}
    plain = ld.get("plain") or {}
    for key in ("ours_cold", "ours_warm"):
        r = ld.get(key) or {}
        if "seconds" in r and "seconds" in plain:
            out[f"load {key} / plain (definitions only)"] = (
                f"{r['seconds'] / plain['seconds']:.2f}x"
            )
            if "cpu_seconds" in r and "cpu_seconds" in plain:
                out[f"load {key} / plain (definitions only, CPU)"] = (
                    f"{r['cpu_seconds'] / plain['cpu_seconds']:.2f}x"
                )
            out[f"load {key} / plain (whole process)"] = (
                f"{r['wall_seconds'] / plain['wall_seconds']:.2f}x"
            )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="dagster-lineage benchmarks")
    parser.add_argument(
        "--models", type=int, default=None, help="project size (default 2000; 50 with --quick)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--reps", type=int, default=None, help="repetitions (default 3; 1 with --quick)"
    )
    parser.add_argument(
        "--sample", type=int, default=None, help="models for per-column sqlglot (default 200)"
    )
    parser.add_argument(
        "--sample-sqllineage", type=int, default=None, help="models for sqllineage (default 100)"
    )
    parser.add_argument(
        "--sample-all", type=int, default=None, help="models for sqlglot all-columns (default: all)"
    )
    parser.add_argument("--quick", action="store_true", help="N=50, 1 repetition, small samples")
    parser.add_argument(
        "--only", default=None, help="comma-separated sections: " + ",".join(SECTIONS)
    )
    parser.add_argument(
        "--regenerate", action="store_true", help="regenerate and recompile the project"
    )
    parser.add_argument(
        "--slow-reps",
        type=int,
        default=1,
        help="repetitions of a measurement whose process runs > 90 s (default 1)",
    )
    parser.add_argument(
        "--render-only", action="store_true", help="re-render the report from the results JSON"
    )
    parser.add_argument("--no-sqllineage", action="store_true", help="skip the sqllineage baseline")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run each measurement under pyinstrument (installed with pip --target "
        "benchmarks/out/profilers); profiles go to <out>/profile_<task>.txt",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output dir (default benchmarks/out)"
    )
    cfg = parser.parse_args(argv)
    cfg.models = cfg.models or (50 if cfg.quick else 2000)
    cfg.reps = cfg.reps or (1 if cfg.quick else 3)
    cfg.reps_slow = 1 if cfg.quick else max(1, min(cfg.reps, cfg.slow_reps))
    cfg.sample = cfg.sample or (10 if cfg.quick else 200)
    cfg.sample_sqllineage = cfg.sample_sqllineage or (10 if cfg.quick else 100)
    cfg.out = (cfg.out or HERE / "out").resolve()
    cfg.out.mkdir(parents=True, exist_ok=True)
    global SLOW_REPS
    SLOW_REPS = cfg.slow_reps
    if cfg.profile:
        global PROFILE_DIR
        PROFILE_DIR = cfg.out
    cfg.project = cfg.out / f"bench_{cfg.models}"
    cfg.input = cfg.out / f"lineage_input_{cfg.models}.json"
    sections = cfg.only.split(",") if cfg.only else list(SECTIONS)
    if "prep" not in sections and not cfg.input.exists() and not cfg.render_only:
        sections.insert(0, "prep")
    results: dict[str, Any] = {
        "command": " ".join([".venv/bin/python", "benchmarks/run.py", *(argv or sys.argv[1:])]),
        "machine": machine(),
        "versions": versions(),
        "reps": cfg.reps,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    results_path = cfg.out / f"results_{cfg.models}.json"
    if (cfg.only or cfg.render_only) and results_path.exists():
        # a partial run updates the sections it measures and keeps the others
        previous = json.loads(results_path.read_text())
        if not cfg.render_only:
            previous.setdefault("partial_runs", []).append(
                {
                    "command": results["command"],
                    "started": results["started"],
                    "load_avg_start": results["machine"]["load_avg_start"],
                }
            )
        results = previous
    if cfg.render_only:
        sections = []
    for name in sections:
        log(f"== {name}")
        SECTIONS[name](cfg, results)
        results_path.write_text(json.dumps(results, indent=2, default=str))
    if "project" not in results:
        results["project"] = json.loads((cfg.project / "generated.json").read_text())
    if not cfg.render_only:
        results["load_avg_end"] = os.getloadavg()
    results_path.write_text(json.dumps(results, indent=2, default=str))
    md = render(results)
    (cfg.out / f"results_{cfg.models}.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
