"""Cache round trips and key sensitivity; manifest helpers."""

from __future__ import annotations

import json

from dagster_lineage.core.model import Clause, EdgeKind, Unknown
from dagster_lineage.integrations.dbt.cache import (
    CachedFailure,
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
    fresh = LineageCache(tmp_path)
    assert fresh.get("k1") == value
    assert fresh.get("k2") == CachedFailure("bad sql")
    (tmp_path / "k1.json").write_text("{not json")
    assert fresh.get("k1") is None
    assert fresh.stats().hits == 2 and fresh.stats().misses == 1


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
