"""The disagreements the generated-project oracle (test_impact_oracle_generated.py) found, each
minimised to a small hand-written compiled manifest: DuckDB's verdict (oracle.py) and
``analyze_impact``'s must be the same set, and the expected one.

Every one of them was the oracle's mistake, not the library's (fixed in oracle.py):

- a model reading its source by name (a macro, no ``source()``) was no consumer of it;
- a broken model reading its parent through ``SELECT *`` in a CTE could not be fixed, so it was
  deleted and everything below it "broke";
- removing a broken projection left a positional ``GROUP BY 1, 2`` pointing at an aggregate;
- a model joining a dropped table was deleted whole instead of losing that join's columns (which
  needs a column missing from a CTE to take the fate of that CTE's own output, not the fate of
  any column of that name in any relation).

"A CTE's own output" is no disagreement found: it guards the rename path through a CTE (it
passes with the old oracle too).
"""

from __future__ import annotations

from typing import Any

import pytest
from oracle import Project, engine_catalog, engine_verdict

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.impact.analysis import analyze_impact
from dagster_lineage.impact.schema_changes import (
    ColumnDropped,
    ColumnRenamed,
    SchemaChange,
    TableDropped,
)
from dagster_lineage.integrations.dbt.analysis import analyse_dbt_manifest

DDL = """
create schema if not exists raw;
create table raw.src (id integer, cat varchar, v double);
create table raw.other (id integer, w double);
"""


def _source(name: str, columns: dict[str, str]) -> dict[str, Any]:
    return {
        "unique_id": f"source.p.raw.{name}",
        "resource_type": "source",
        "name": name,
        "identifier": name,
        "source_name": "raw",
        "database": "wh",
        "schema": "raw",
        "relation_name": f'"wh"."raw"."{name}"',
        "columns": {c: {"name": c, "data_type": t} for c, t in columns.items()},
        "config": {},
    }


def _model(name: str, sql: str, deps: list[str]) -> dict[str, Any]:
    return {
        "unique_id": f"model.p.{name}",
        "resource_type": "model",
        "name": name,
        "alias": name,
        "database": "wh",
        "schema": "main",
        "relation_name": f'"wh"."main"."{name}"',
        "config": {"materialized": "view"},
        "depends_on": {"nodes": deps},
        "compiled_code": sql,
        "original_file_path": f"models/{name}.sql",
        "columns": {},
    }


SRC = _source("src", {"id": "integer", "cat": "varchar", "v": "double"})
OTHER = _source("other", {"id": "integer", "w": "double"})


def verdicts(models: list[dict[str, Any]], uid: str, change: SchemaChange) -> tuple[set, set]:
    """(DuckDB's breaking models, the analysis's breaking models), as model names."""
    manifest = {
        "metadata": {"adapter_type": "duckdb"},
        "nodes": {m["unique_id"]: m for m in models},
        "sources": {s["unique_id"]: s for s in (SRC, OTHER)},
        "exposures": {},
    }
    catalog = engine_catalog(manifest, DDL)
    project = Project.from_artifacts(manifest, catalog)
    records = analyse_dbt_manifest(manifest, catalog=catalog).records
    graph = LineageGraph.from_records(records.values())
    report = analyze_impact(graph, records[uid].key, [change])
    ours = {
        u.split(".")[-1]
        for u, rec in records.items()
        if u.startswith("model.")
        and (a := report.get(rec.key)) is not None
        and a.severity.label == "breaking"
    }
    engine = {u.split(".")[-1] for u in engine_verdict(project, uid, change).breaking}
    return engine, ours


CASES = {
    "source read by name through a macro": (
        [
            _model("stg", "select id, v from wh.raw.src", []),  # no source(): read by name
            _model("mart", 'select id, v from "wh"."main"."stg"', ["model.p.stg"]),
        ],
        "source.p.raw.src",
        ColumnRenamed("v", "v_renamed"),
        {"stg", "mart"},
    ),
    "star CTE feeding an aggregate": (
        [
            _model("base", 'select id, cat, v from "wh"."raw"."src"', ["source.p.raw.src"]),
            _model(
                "agg",
                'with s as (select * from "wh"."main"."base") '
                "select id, sum(v) as sum_v, count(*) as n from s group by 1",
                ["model.p.base"],
            ),
            _model("top", 'select id, sum_v, n from "wh"."main"."agg"', ["model.p.agg"]),
        ],
        "model.p.base",
        ColumnDropped("v"),
        {"agg"},  # agg sums NULL once fixed: sum_v stays, top does not break
    ),
    "a CTE's own output, not a rename elsewhere": (
        [
            _model("keyed", 'select id, v from "wh"."raw"."src"', ["source.p.raw.src"]),
            _model(
                "joined",
                'with p1 as (select id, w from "wh"."raw"."other"), '
                'p2 as (select id from "wh"."main"."keyed") '
                "select p1.id, p1.w from p1 left join p2 on p1.id = p2.id",
                ["source.p.raw.other", "model.p.keyed"],
            ),
            _model("top", 'select id, w from "wh"."main"."joined"', ["model.p.joined"]),
        ],
        "source.p.raw.src",
        ColumnRenamed("id", "id_renamed"),
        {"keyed", "joined"},  # joined only reads keyed.id in its join: its outputs stay
    ),
    "positional GROUP BY after a removed projection": (
        [
            _model("base", 'select id, cat, v from "wh"."raw"."src"', ["source.p.raw.src"]),
            _model(
                "agg",
                'with s as (select * from "wh"."main"."base") '
                "select id, cat, count(*) as n from s group by 1, 2",
                ["model.p.base"],
            ),
            _model("by_cat", 'select cat, n from "wh"."main"."agg"', ["model.p.agg"]),
            _model("by_id", 'select id, n from "wh"."main"."agg"', ["model.p.agg"]),
        ],
        "model.p.base",
        ColumnDropped("id"),
        {"agg", "by_id"},
    ),
    "a joined table dropped": (
        [
            _model(
                "joined",
                'with p1 as (select id, v from "wh"."raw"."src"), '
                'p2 as (select id, w from "wh"."raw"."other") '
                "select p1.id, p1.v, p2.w from p1 left join p2 on p1.id = p2.id",
                ["source.p.raw.src", "source.p.raw.other"],
            ),
            _model("uses_v", 'select id, v from "wh"."main"."joined"', ["model.p.joined"]),
            _model("uses_w", 'select id, w from "wh"."main"."joined"', ["model.p.joined"]),
        ],
        "source.p.raw.other",
        TableDropped(),
        {"joined", "uses_w"},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_engine_and_analysis_agree_on_the_minimised_disagreement(case: str) -> None:
    models, uid, change, expected = CASES[case]
    engine, ours = verdicts(models, uid, change)
    assert engine == expected, f"engine: {sorted(engine)}"
    assert ours == expected, f"analysis: {sorted(ours)}"
