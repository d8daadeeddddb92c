"""Benchmark tasks that measure dagster-lineage's own pieces (run by ``worker.py``).

Each task returns ``{"skip": reason}`` when the piece it measures is not available yet, so the
runner works at every stage of the project.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from pathlib import Path
from typing import Any


def _missing(what: str, exc: BaseException) -> dict[str, Any]:
    return {"skip": f"{what} not available: {type(exc).__name__}: {str(exc)[:200]}"}


def _records(args: dict[str, Any], cache_dir: str | None) -> tuple[list[Any], float]:
    """All lineage records of the generated project (through our dbt analysis)."""
    from dagster_lineage.integrations.dbt import LineageCache, analyse_dbt_manifest

    manifest = json.loads(Path(args["manifest"]).read_text())
    t0 = time.perf_counter()
    analysis = analyse_dbt_manifest(manifest, cache=LineageCache(cache_dir))
    return list(analysis.records.values()), time.perf_counter() - t0


# --- definitions load ------------------------------------------------------------------------


def task_load_ours(args: dict[str, Any]) -> dict[str, Any]:
    """Our factory in a code location (``defs_ours.py``), cold (cache cleared) or warm."""
    import importlib.util

    if importlib.util.find_spec("dagster_lineage.defs.dbt") is None:
        return {"skip": "dagster_lineage.defs.dbt not available"}
    from worker import load_module_defs  # type: ignore[import-not-found]

    cache_dir = Path(args["cache_dir"])
    if args.get("clear_cache") and cache_dir.exists():
        shutil.rmtree(cache_dir)
    out = load_module_defs("defs_ours", {**args, "env": {"BENCH_CACHE_DIR": str(cache_dir)}})
    return out


# --- full graph, end to end ------------------------------------------------------------------


def task_graph_ours_e2e(args: dict[str, Any]) -> dict[str, Any]:
    """manifest.json -> records of every node (no cache) -> LineageGraph."""
    t0 = time.perf_counter()
    try:
        from dagster_lineage.core.graph import LineageGraph
        from dagster_lineage.integrations.dbt import LineageCache, analyse_dbt_manifest
    except ImportError as exc:
        return _missing("dagster_lineage.integrations.dbt", exc)
    import_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    cpu1 = time.process_time()
    manifest = json.loads(Path(args["manifest"]).read_text())
    analysis = analyse_dbt_manifest(manifest, cache=LineageCache(None))
    t_analyse = time.perf_counter() - t1
    graph = LineageGraph.from_records(analysis.records.values())
    seconds = time.perf_counter() - t1
    cpu = time.process_time() - cpu1
    edges = sum(len(d) for r in graph.records() for d in r.column_deps.values())
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "import_seconds": import_s,
        "analyse_seconds": t_analyse,
        "graph_seconds": seconds - t_analyse,
        "assets": len(graph),
        "note": f"{edges} column edges, {len(analysis.warnings)} warnings",
    }


# --- impact ------------------------------------------------------------------------------------


def _root_choice(graph: Any) -> tuple[Any, str]:
    """The source asset with the most downstream assets, and its most-consumed column."""
    from dagster_lineage.core.model import AssetType, ColumnRef

    sources = [r for r in graph.records() if r.asset_type == AssetType.DBT_SOURCE and r.columns]
    root = max(sources, key=lambda r: (len(graph.downstream_keys(r.key)), r.key))
    col = max(
        root.column_names,
        key=lambda c: (len(graph.column_downstream(ColumnRef(root.key, c))), c),
    )
    return root, col


def task_impact(args: dict[str, Any]) -> dict[str, Any]:
    """``analyze_impact`` of one source-column rename / a table drop at the graph's root."""
    try:
        from dagster_lineage.core.graph import LineageGraph
        from dagster_lineage.impact import ColumnRenamed, TableDropped, analyze_impact
    except ImportError as exc:
        return _missing("dagster_lineage.impact", exc)
    records, _ = _records(args, str(Path(args["manifest"]).parent / "bench_records_cache"))
    t0 = time.perf_counter()
    graph = LineageGraph.from_records(records)
    graph_s = time.perf_counter() - t0
    root, col = _root_choice(graph)
    changes = (
        [ColumnRenamed(col, f"{col}_renamed")] if args["change"] == "rename" else [TableDropped()]
    )
    times = []
    report = None
    for _ in range(5):
        t = time.perf_counter()
        report = analyze_impact(graph, root.key, changes)
        times.append(time.perf_counter() - t)
    assert report is not None
    return {
        "seconds": statistics.median(times),
        "first_call_seconds": times[0],
        "graph_build_seconds": graph_s,
        "affected": len(report.impacted),
        "note": f"root {'/'.join(root.key)} ({len(graph.downstream_keys(root.key))} downstream"
        f" assets), change {changes[0].describe()}, risk {report.risk.value};"
        f" first call {times[0] * 1000:.1f} ms",
    }


# --- changed assets ----------------------------------------------------------------------------


def _instance(args: dict[str, Any]) -> Any:
    import dagster as dg

    home = Path(args["work_dir"]) / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    if args["storage"] == "postgres":
        (home / "dagster.yaml").write_text(args["dagster_yaml"])
    os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()


def _materialize_all(instance: Any, records: list[Any]) -> int:
    """One real run that materializes every asset with its checksum metadata (setup, untimed)."""
    import dagster as dg

    from dagster_lineage.defs.recording import checksum_metadata

    recs = [r for r in records if r.code_checksum]
    specs = [dg.AssetSpec(dg.AssetKey(list(r.key))) for r in recs]

    @dg.multi_asset(specs=specs, name="bench_all")
    def bench_all():  # type: ignore[no-untyped-def]
        for r in recs:
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey(list(r.key)),
                metadata=checksum_metadata(r, parent_states={p: None for p in r.upstream}),
            )

    result = dg.materialize([bench_all], instance=instance)
    assert result.success
    return len(recs)


def _recording_format(records: list[Any]) -> str:
    """The metadata keys ``checksum_metadata`` writes today (changes when the recording changes)."""
    from dagster_lineage.defs.recording import checksum_metadata

    sample = next(r for r in records if r.code_checksum and r.columns and r.upstream)
    md = checksum_metadata(sample, parent_states={p: None for p in sample.upstream})
    return ",".join(sorted(md))


def _ensure_materialized(args: dict[str, Any], instance: Any, records: list[Any]) -> float:
    """Materialize everything once per manifest and recording format.

    The ``materialized`` marker holds the manifest's digest (``run.py`` rebuilds the instance when
    it changes); ``recording_format`` holds the recorded metadata keys: when the recording changed,
    one more run on top records every asset's latest materialization in the new format.
    """
    work = Path(args["work_dir"])
    marker, fmt_marker = work / "materialized", work / "recording_format"
    fmt = _recording_format(records)
    if (
        marker.exists()
        and marker.read_text() == args.get("setup_key", "ok")
        and fmt_marker.exists()
        and fmt_marker.read_text() == fmt
    ):
        return 0.0
    t = time.perf_counter()
    _materialize_all(instance, records)
    marker.write_text(args.get("setup_key", "ok"))
    fmt_marker.write_text(fmt)
    return time.perf_counter() - t


def task_changed(args: dict[str, Any]) -> dict[str, Any]:
    """``changed_assets`` over every asset, after one full materialization and 1% code edits."""
    try:
        from dagster_lineage.defs.changed_assets import changed_assets
    except ImportError as exc:
        return _missing("dagster_lineage.defs.changed_assets", exc)
    if args["storage"] == "postgres" and not args.get("dagster_yaml"):
        return {"skip": args.get("pg_skip") or "no PostgreSQL server"}
    import dataclasses

    from dagster_lineage.core.graph import LineageGraph

    records, _ = _records(args, str(Path(args["manifest"]).parent / "bench_records_cache"))
    instance = _instance(args)
    setup_s = _ensure_materialized(args, instance, records)
    # edit 1% of the models' code: those and everything downstream must be reported
    models = sorted((r for r in records if r.code_checksum), key=lambda r: r.key)
    edited = {r.key for r in models[:: max(1, len(models) // max(1, len(models) // 100))]}
    records = [
        dataclasses.replace(r, code_checksum="edited-" + r.code_checksum) if r.key in edited else r
        for r in records
    ]
    graph = LineageGraph.from_records(records)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    changes = changed_assets(graph, instance)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    reasons: dict[str, int] = {}
    for c in changes:
        for reason in c.reasons:
            reasons[reason.value] = reasons.get(reason.value, 0) + 1
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "setup_seconds": setup_s,
        "assets": len(graph),
        "changed_assets": len(changes),
        "note": f"{len(edited)} models edited; reasons {reasons}",
    }


def task_changed_batched(args: dict[str, Any]) -> dict[str, Any]:
    """Retired: the batched-query prototype is now what ``changed_assets`` itself does."""
    return {
        "skip": "the batched queries are in dagster_lineage.defs.changed_assets (see 'changed assets')"
    }
