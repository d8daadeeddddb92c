"""Benchmark: impact analysis of one change on a synthetic 2,000-asset lineage graph.

Builds a LineageGraph in memory (a layered DAG: one root table, 2,000 models with 10-60 columns
each, 1-3 parents, a mix of identity / rename / transformation / aggregation edges, filter / join /
group reads, a few SELECT * consumers, exposures and assets without lineage), then times

- a plain BFS over the graph (``downstream_keys``: the baseline, the least any analysis must do),
- ``analyze_impact`` of a column rename at the root,
- ``analyze_impact`` of a table drop at the root,

each the median of repetitions (the column index is built once, on the first call, and reported
separately as "cold"). Prints a small table; writes nothing.

    .venv/bin/python benchmarks/bench_impact.py [--assets 2000] [--repeat 15] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import (
    AssetLineage,
    AssetType,
    Clause,
    ColumnDep,
    ColumnInfo,
    ColumnRead,
    ColumnRef,
    EdgeKind,
    Unknown,
)
from dagster_lineage.impact.analysis import analyze_impact
from dagster_lineage.impact.schema_changes import ColumnRenamed, TableDropped

KINDS = [EdgeKind.IDENTITY] * 5 + [EdgeKind.RENAME, EdgeKind.TRANSFORMATION, EdgeKind.AGGREGATION]
CLAUSES = [Clause.FILTER, Clause.JOIN, Clause.GROUP]


def build_graph(n_assets: int, seed: int) -> LineageGraph:
    rng = random.Random(seed)
    root_cols = [f"c{i}" for i in range(40)]
    records = [
        AssetLineage(
            key=("raw",),
            asset_type=AssetType.TABLE,
            columns=tuple(ColumnInfo(c, "integer") for c in root_cols),
        )
    ]
    cols_of: dict[tuple[str, ...], list[str]] = {("raw",): root_cols}
    keys: list[tuple[str, ...]] = [("raw",)]
    for i in range(n_assets):
        key = (f"m{i:04d}",)
        # parents from recent layers keep the graph deep (like staging -> marts -> reports)
        window = keys[max(0, len(keys) - 60) :]
        parents = rng.sample(window, k=min(len(window), rng.randint(1, 3)))
        n_cols = rng.randint(10, 60)
        columns: list[str] = []
        deps: dict[str, tuple[ColumnDep, ...]] = {}
        for j in range(n_cols):
            parent = rng.choice(parents)
            up = rng.choice(cols_of[parent])
            kind = rng.choice(KINDS)
            name = up if kind is EdgeKind.IDENTITY and up not in deps else f"x{i}_{j}"
            if name in deps:
                name = f"x{i}_{j}"
            columns.append(name)
            extra = ()
            if kind is EdgeKind.TRANSFORMATION and rng.random() < 0.3:
                p2 = rng.choice(parents)
                extra = (ColumnDep(ColumnRef(p2, rng.choice(cols_of[p2])), kind),)
            deps[name] = (ColumnDep(ColumnRef(parent, up), kind), *extra)
        reads = tuple(
            ColumnRead(ColumnRef(p, rng.choice(cols_of[p])), rng.choice(CLAUSES))
            for p in parents
            for _ in range(rng.randint(0, 2))
        )
        star = (parents[0],) if rng.random() < 0.03 else ()
        unknown = rng.random() < 0.02
        records.append(
            AssetLineage(
                key=key,
                asset_type=AssetType.DBT_MODEL,
                upstream=tuple(parents),
                columns=() if unknown else tuple(ColumnInfo(c) for c in columns),
                column_deps={} if unknown else deps,
                reads=() if unknown else reads,
                star_upstreams=star,
                unknowns=(Unknown("dynamic SQL"),) if unknown else (),
                tags={"criticality": "high"} if rng.random() < 0.01 else {},
            )
        )
        cols_of[key] = columns if not unknown else ["id"]
        keys.append(key)
    for e in range(20):
        parent = rng.choice(keys[len(keys) // 2 :])
        records.append(
            AssetLineage(
                key=(f"dashboard_{e}",),
                asset_type=AssetType.DBT_EXPOSURE,
                upstream=(parent,),
                owners=(f"team{e}@example.com",),
            )
        )
    return LineageGraph.from_records(records)


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    t0 = time.perf_counter()
    graph = build_graph(args.assets, args.seed)
    build_ms = (time.perf_counter() - t0) * 1000
    n_cols = sum(len(r.columns) for r in graph.records())
    n_edges = sum(len(d) for r in graph.records() for d in r.column_deps.values())

    # rename the root column with the most downstream uses (the worst case for a rename)
    busiest = max(
        (c.name for c in graph.get(("raw",)).columns),
        key=lambda c: len(graph.column_downstream(ColumnRef(("raw",), c))),
    )
    rename = [ColumnRenamed(busiest, busiest + "_renamed")]
    drop = [TableDropped()]
    cold_graph = build_graph(args.assets, args.seed)
    t0 = time.perf_counter()
    first = analyze_impact(cold_graph, "raw", rename)  # builds the graph's column index once
    cold_ms = (time.perf_counter() - t0) * 1000

    bfs = median_ms(lambda: graph.downstream_keys(("raw",)), args.repeat)
    ren = median_ms(lambda: analyze_impact(graph, "raw", rename), args.repeat)
    drp = median_ms(lambda: analyze_impact(graph, "raw", drop), max(3, args.repeat // 3))
    dropped = analyze_impact(graph, "raw", drop)

    print(f"renamed column: raw.{busiest}")
    print(
        f"graph: {len(graph)} assets, {n_cols} columns, {n_edges} column edges "
        f"(built in {build_ms:.0f} ms)"
    )
    print(f"{'operation':<40} {'median ms':>10} {'x BFS':>8} {'affected':>9} {'breaking':>9}")
    print(
        f"{'plain BFS downstream of root (baseline)':<40} {bfs:>10.2f} {1.0:>8.1f} {'':>9} {'':>9}"
    )
    print(
        f"{'rename root column (cold, 1st call)':<40} {cold_ms:>10.2f} {cold_ms / bfs:>8.1f} "
        f"{len(first.impacted):>9} {len(first.breaking):>9}"
    )
    print(
        f"{'rename root column':<40} {ren:>10.2f} {ren / bfs:>8.1f} "
        f"{len(first.impacted):>9} {len(first.breaking):>9}"
    )
    print(
        f"{'drop root table':<40} {drp:>10.2f} {drp / bfs:>8.1f} "
        f"{len(dropped.impacted):>9} {len(dropped.breaking):>9}"
    )


if __name__ == "__main__":
    main()
