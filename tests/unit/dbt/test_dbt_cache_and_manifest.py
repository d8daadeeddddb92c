"""Cache round trips and key sensitivity; manifest helpers."""

from __future__ import annotations

import json
import logging

from dagster_lineage.core.model import Clause, EdgeKind, Unknown
from dagster_lineage.integrations.dbt.cache import (
    CachedFailure,
    CacheStats,
    LineageCache,
    lineage_cache_key,
)
from dagster_lineage.integrations.dbt.fingerprint import project_fingerprint
from dagster_lineage.integrations.dbt.manifest import (
    catalog_columns,
    relation_parts,
    topological_order,
)
from dagster_lineage.sql.types import OutputColumn, SourceColumn, StatementLineage, TableColumnRead


def test_cache_round_trip_and_corrupt_entry(tmp_path):
    value = StatementLineage(
        columns=(
            OutputColumn("a", (SourceColumn("main.t", "x", EdgeKind.RENAME),), "int"),
            OutputColumn("b"),
        ),
        reads=(TableColumnRead("main.t", "y", Clause.FILTER),),
        tables=("main.t",),
        star_tables=(),
        unknowns=(Unknown("why", "b"),),
    )
    cache = LineageCache(tmp_path)
    cache.put("k1", value)
    cache.put("k2", CachedFailure("bad sql"))
    assert cache.stats().writes == 0  # buffered until flush
    cache.flush()
    assert cache.stats().writes == 2
    assert [p.name for p in tmp_path.iterdir()] == ["lineage_cache.json"]  # one file, no temp
    fresh = LineageCache(tmp_path)
    assert fresh.get("k1") == value
    assert fresh.get("k2") == CachedFailure("bad sql")
    assert fresh.get("k3") is None
    assert fresh.stats() == CacheStats(hits=2, misses=1, writes=0)


def test_corrupt_cache_file_is_ignored_with_a_warning_and_rewritten(tmp_path, caplog):
    cache = LineageCache(tmp_path)
    cache.put("k1", CachedFailure("x"))
    cache.flush()
    path = tmp_path / "lineage_cache.json"
    path.write_text("{not json")
    broken = LineageCache(tmp_path)
    with caplog.at_level(logging.WARNING, logger="dagster_lineage.dbt"):
        assert broken.get("k1") is None
    assert str(path) in caplog.text and "Ignoring the lineage cache" in caplog.text
    assert broken.stats() == CacheStats(hits=0, misses=1, writes=0)
    broken.put("k1", CachedFailure("y"))
    broken.flush()
    assert LineageCache(tmp_path).get("k1") == CachedFailure("y")
    # an entry of the wrong shape is a miss, not an error
    data = json.loads(path.read_text())
    data["entries"]["k1"] = {"columns": 3}
    path.write_text(json.dumps(data))
    odd = LineageCache(tmp_path)
    assert odd.get("k1") is None and odd.stats().misses == 1


def test_two_writers_keep_each_others_entries(tmp_path):
    a, b = LineageCache(tmp_path), LineageCache(tmp_path)
    assert a.get("ka") is None and b.get("kb") is None  # both read the (missing) file first
    a.put("ka", CachedFailure("a"))
    a.flush()
    b.put("kb", CachedFailure("b"))
    b.flush()  # merges what a wrote since b read the file
    fresh = LineageCache(tmp_path)
    assert fresh.get("ka") == CachedFailure("a") and fresh.get("kb") == CachedFailure("b")


def test_cache_keeps_the_most_recently_used_entries(tmp_path):
    cache = LineageCache(tmp_path, max_entries=2)
    for k in ("k1", "k2", "k3"):
        cache.put(k, CachedFailure(k))
    cache.flush()
    used = LineageCache(tmp_path, max_entries=2)
    assert used.get("k1") == CachedFailure("k1")
    used.put("k4", CachedFailure("k4"))
    used.flush()
    fresh = LineageCache(tmp_path)
    assert [fresh.get(k) is not None for k in ("k1", "k2", "k3", "k4")] == [
        True,
        False,
        False,
        True,
    ]


def test_cache_key_depends_on_code_schema_and_dialect():
    base = dict(code_checksum="c", schema={"main.t": {"x": "int"}}, dialect="duckdb")
    keys = {
        lineage_cache_key(**base),
        lineage_cache_key(**{**base, "code_checksum": "d"}),
        lineage_cache_key(**{**base, "schema": {"main.t": {"x": "int", "y": None}}}),
        lineage_cache_key(**{**base, "dialect": "postgres"}),
    }
    assert len(keys) == 4
    assert lineage_cache_key(**base) == lineage_cache_key(**json.loads(json.dumps(base)))


def test_relation_parts_and_topological_order():
    assert relation_parts('"wh"."Main"."T"') == ("wh", "Main", "T")
    assert relation_parts("wh.Main.t") == ("wh", "main", "t")
    nodes = {
        "c": {"depends_on": {"nodes": ["b", "a"]}},
        "b": {"depends_on": {"nodes": ["a", "outside"]}},
        "a": {},
    }
    assert topological_order(nodes) == ["a", "b", "c"]


def test_catalog_columns_in_table_order():
    entry = {
        "columns": {
            "Z": {"name": "Z", "type": "INTEGER", "index": 2},
            "a": {"name": "a", "type": "DECIMAL(10, 2)", "index": 1},
        }
    }
    assert catalog_columns(entry) == [("a", "decimal(10,2)"), ("Z", "integer")]


def test_project_fingerprint_tracks_sources_and_env(tmp_path, monkeypatch):
    (tmp_path / "dbt_project.yml").write_text("name: p\n")
    (tmp_path / "profiles.yml").write_text("path: \"{{ env_var('FP_TEST_PATH') }}\"\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.sql").write_text("select 1")
    monkeypatch.setenv("FP_TEST_PATH", "/a")
    first = project_fingerprint(tmp_path)
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "manifest.json").write_text("{}")
    assert project_fingerprint(tmp_path) == first  # build output is not a source
    monkeypatch.setenv("FP_TEST_PATH", "/b")
    assert project_fingerprint(tmp_path) != first
    monkeypatch.setenv("FP_TEST_PATH", "/a")
    (tmp_path / "models" / "m.sql").write_text("select 2")
    assert project_fingerprint(tmp_path) != first
