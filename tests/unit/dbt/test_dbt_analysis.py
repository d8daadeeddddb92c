"""The pure dbt lineage analysis on a small hand-written compiled manifest (no dbt run)."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path

import pytest

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import AssetType, Clause, ColumnRef, EdgeKind
from dagster_lineage.integrations.dbt import (
    DbtLineageSettings,
    LineageCache,
    analyse_dbt_manifest,
    code_checksum_for_dbt_node,
)
from dagster_lineage.integrations.dbt.analysis import default_dbt_asset_key

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dbt"


@pytest.fixture()
def manifest() -> dict:
    return json.loads((FIXTURES / "mini_manifest.json").read_text())


@pytest.fixture()
def catalog() -> dict:
    return json.loads((FIXTURES / "mini_catalog.json").read_text())


def deps_of(rec, column):
    return {(d.upstream.asset, d.upstream.column, d.kind) for d in rec.column_deps[column]}


def test_records_for_every_node_type(manifest):
    a = analyse_dbt_manifest(manifest)
    types = {uid: r.asset_type for uid, r in a.records.items()}
    assert types == {
        "source.mini.shop.orders": AssetType.DBT_SOURCE,
        "model.mini.stg": AssetType.DBT_MODEL,
        "model.mini.fct": AssetType.DBT_MODEL,
        "model.mini.agg": AssetType.DBT_MODEL,
        "model.mini.broken": AssetType.DBT_MODEL,
        "model.mini.after_broken": AssetType.DBT_MODEL,
        "exposure.mini.board": AssetType.DBT_EXPOSURE,
    }
    # the source maps to the asset key set in its meta (a non-dbt asset)
    assert a.records["source.mini.shop.orders"].key == ("raw_orders",)
    assert a.records["model.mini.stg"].upstream == (("raw_orders",),)
    board = a.records["exposure.mini.board"]
    assert board.upstream == (("agg",),)
    assert board.owners == ("finance@example.com",)


def test_column_lineage_through_the_model_chain(manifest):
    recs = analyse_dbt_manifest(manifest).records
    stg, fct, agg = recs["model.mini.stg"], recs["model.mini.fct"], recs["model.mini.agg"]
    assert stg.column_names == ("id", "amount", "status")
    assert deps_of(stg, "id") == {(("raw_orders",), "id", EdgeKind.IDENTITY)}
    assert deps_of(stg, "status") == {(("raw_orders",), "status", EdgeKind.TRANSFORMATION)}
    assert {(r.upstream, r.clause) for r in stg.reads} == {
        (ColumnRef(("raw_orders",), "status"), Clause.FILTER)
    }
    # the unused source column is not a dependency
    assert all(d.upstream.column != "note" for deps in stg.column_deps.values() for d in deps)
    assert deps_of(fct, "double_amount") == {(("stg",), "amount", EdgeKind.TRANSFORMATION)}
    assert deps_of(agg, "total") == {(("fct",), "double_amount", EdgeKind.AGGREGATION)}
    # end to end through the graph: agg.total comes from raw_orders.amount
    graph = LineageGraph.from_records(recs.values())
    ends = {p.end for p in graph.column_upstream(ColumnRef(("agg",), "total"))}
    assert ColumnRef(("raw_orders",), "amount") in ends


def test_types_catalog_then_yaml_then_inferred(manifest, catalog):
    plain = analyse_dbt_manifest(manifest).records
    stg = plain["model.mini.stg"]
    # YAML data_type wins over what sqlglot infers for lower(status)
    assert stg.column("status").data_type == "varchar(16)"
    # no YAML type: inferred from the source's declared decimal through the pass-through
    assert stg.column("amount").data_type == "decimal(10,2)"
    assert stg.column("status").description == "Lower-case status."
    with_catalog = analyse_dbt_manifest(manifest, catalog=catalog).records["model.mini.stg"]
    expected = {
        c["name"].lower(): c["type"].lower()
        for c in catalog["nodes"]["model.mini.stg"]["columns"].values()
    }
    assert {c.name: c.data_type for c in with_catalog.columns} == expected
    # catalog ignored when the settings say so
    off = analyse_dbt_manifest(
        manifest, catalog=catalog, settings=DbtLineageSettings(use_catalog=False)
    ).records["model.mini.stg"]
    assert off.column("status").data_type == "varchar(16)"


def test_unparsable_model_is_partial_and_named(manifest, caplog):
    with caplog.at_level(logging.WARNING, logger="dagster_lineage.dbt"):
        a = analyse_dbt_manifest(manifest)
    broken = a.records["model.mini.broken"]
    assert not broken.column_deps
    assert broken.unknowns and "models/broken.sql" in broken.unknowns[0].reason
    [warning] = a.warnings
    assert warning.unique_id == "model.mini.broken" and warning.file == "models/broken.sql"
    assert "models/broken.sql" in caplog.text
    # the others keep their lineage
    assert a.records["model.mini.fct"].column_deps["double_amount"]


def test_reanalysis_hits_the_cache(manifest, tmp_path):
    cache_dir = tmp_path / "cache"
    first = analyse_dbt_manifest(manifest, cache=LineageCache(cache_dir))
    sql_models = {
        "model.mini.stg",
        "model.mini.fct",
        "model.mini.agg",
        "model.mini.broken",
        "model.mini.after_broken",
    }
    assert set(first.analysed) == sql_models
    assert first.cache_stats.misses == len(sql_models)
    second = analyse_dbt_manifest(copy.deepcopy(manifest), cache=LineageCache(cache_dir))
    assert second.cache_stats.hits == len(sql_models)
    assert second.cache_stats.misses == 0 and second.analysed == ()
    # the failure was cached too, and the records are identical
    assert second.records == first.records
    assert [w.unique_id for w in second.warnings] == ["model.mini.broken"]


def test_changing_one_model_reanalyses_it_and_schema_dependants(manifest, tmp_path):
    cache_dir = tmp_path / "cache"
    analyse_dbt_manifest(manifest, cache=LineageCache(cache_dir))
    # a filter change: same output schema, only the model itself is re-analysed
    filtered = copy.deepcopy(manifest)
    filtered["nodes"]["model.mini.fct"]["compiled_code"] += " and id > 0"
    a = analyse_dbt_manifest(filtered, cache=LineageCache(cache_dir))
    assert a.analysed == ("model.mini.fct",)
    # a new output column changes fct's schema: its child agg is re-analysed too
    widened = copy.deepcopy(manifest)
    widened["nodes"]["model.mini.fct"]["compiled_code"] = widened["nodes"]["model.mini.fct"][
        "compiled_code"
    ].replace("status\n", "status, id * 3 as triple_id\n")
    b = analyse_dbt_manifest(widened, cache=LineageCache(cache_dir))
    assert set(b.analysed) == {"model.mini.fct", "model.mini.agg"}
    assert "triple_id" in b.records["model.mini.fct"].column_names


def test_column_lineage_can_be_switched_off(manifest):
    a = analyse_dbt_manifest(manifest, settings=DbtLineageSettings(enable_column_lineage=False))
    stg = a.records["model.mini.stg"]
    assert not stg.column_deps and a.analysed == ()
    # declared columns remain
    assert stg.column_names == ("status",)


def test_record_checksums_tags_and_sources(manifest):
    recs = analyse_dbt_manifest(manifest).records
    fct = recs["model.mini.fct"]
    assert fct.code_checksum == code_checksum_for_dbt_node(manifest["nodes"]["model.mini.fct"])
    assert fct.tags == {"criticality": "high", "dbt_tags": "finance"}
    assert fct.source_ref == "models/fct.sql"
    assert recs["source.mini.shop.orders"].source_ref == "main.orders"


def test_an_unchanged_reload_reads_the_snapshot_and_any_input_change_misses_it(
    manifest, tmp_path, caplog
):
    """The whole-manifest snapshot answers only for the same manifest, hooks, vars and env."""
    cache_dir = tmp_path / "cache"
    first = analyse_dbt_manifest(manifest, cache=LineageCache(cache_dir))
    assert (cache_dir / "analysis_snapshot.pickle").is_file()
    with caplog.at_level(logging.WARNING, logger="dagster_lineage.dbt"):
        again = analyse_dbt_manifest(copy.deepcopy(manifest), cache=LineageCache(cache_dir))
    assert again.records == first.records and again.fingerprints == first.fingerprints
    assert again.analysed == () and again.cache_stats.misses == 0
    assert "models/broken.sql" in caplog.text  # the broken model still warns on a warm load

    # another key hook: every key differs, nothing stale is returned
    prefixed = analyse_dbt_manifest(
        manifest,
        cache=LineageCache(cache_dir),
        key_fn=lambda props: ("wh", *default_dbt_asset_key(props)),
    )
    assert all(r.key[0] == "wh" for r in prefixed.records.values())
    up = prefixed.records["model.mini.fct"].column_deps["double_amount"][0].upstream
    assert up.asset[0] == "wh"

    # an edited model: the snapshot misses, the per-model cache still answers the others
    edited = copy.deepcopy(manifest)
    node = edited["nodes"]["model.mini.fct"]
    node["compiled_code"] = node["compiled_code"].replace("double_amount", "twice_amount")
    after = analyse_dbt_manifest(edited, cache=LineageCache(cache_dir))
    # fct, and agg whose upstream schema (fct's columns) changed; nothing else is parsed again
    assert set(after.analysed) == {"model.mini.fct", "model.mini.agg"}
    assert "twice_amount" in after.records["model.mini.fct"].column_deps


def test_the_snapshot_is_invalidated_by_an_env_var_a_fingerprint_reads(manifest, tmp_path):
    from dagster_lineage.integrations.dbt.checksum import DbtFingerprinter

    edited = copy.deepcopy(manifest)
    node = edited["nodes"]["model.mini.stg"]
    node["raw_code"] = "select '{{ run_started_at }}' as t, '{{ env_var(\"REGION\") }}' as r"
    cache_dir = tmp_path / "cache"

    def run(env):
        return analyse_dbt_manifest(
            edited,
            cache=LineageCache(cache_dir),
            fingerprinter=DbtFingerprinter(edited, env=env),
        )

    eu = run({"REGION": "eu"})
    assert eu.fingerprints["model.mini.stg"].basis == "template"
    assert run({"REGION": "eu", "OTHER": "x"}).fingerprints == eu.fingerprints  # not read: a hit
    us = run({"REGION": "us"})
    assert us.records["model.mini.stg"].code_checksum != eu.records["model.mini.stg"].code_checksum
    assert not (tmp_path / "cache" / "analysis_snapshot.pickle").read_bytes().count(b"REGION\x00us")
