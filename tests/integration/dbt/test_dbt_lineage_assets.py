"""dbt_lineage_assets on a real compiled dbt-duckdb project: lineage, types, warnings, loading."""

from __future__ import annotations

import json
import logging

import dagster as dg
import duckdb
import pytest
from dagster_dbt import DbtCliResource

from dagster_lineage.core.model import AssetType, Clause, ColumnRef, EdgeKind
from dagster_lineage.defs.dbt import (
    DagsterDbtLineageTranslator,
    DbtLineageSettings,
    build_dbt_lineage_specs,
    dbt_lineage_assets,
    default_dbt_executable,
)
from dagster_lineage.defs.graph import graph_from_definitions
from dagster_lineage.defs.metadata_keys import (
    COLUMN_LINEAGE_KEY,
    COLUMN_LINEAGE_MD_KEY,
    COLUMN_SCHEMA_KEY,
    LINEAGE_WARNING_KEY,
)


def _defs(built, tmp_path, *, catalog=None) -> tuple[dg.Definitions, DagsterDbtLineageTranslator]:
    translator = DagsterDbtLineageTranslator(
        lineage_settings=DbtLineageSettings(cache_dir=tmp_path / "cache")
    )

    @dbt_lineage_assets(manifest=built.manifest_path, translator=translator, catalog=catalog)
    def fixture_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        yield from dbt.cli(["build"], context=context).stream()

    defs = dg.Definitions(
        assets=[fixture_assets],
        resources={
            "dbt": DbtCliResource(
                project_dir=str(built.project_dir), dbt_executable=default_dbt_executable()
            )
        },
    )
    return defs, translator


def _specs(defs: dg.Definitions) -> dict[str, dg.AssetSpec]:
    return {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}


def test_unparsable_model_loads_with_a_warning_and_others_keep_lineage(built, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="dagster_lineage.dbt"):
        defs, _ = _defs(built, tmp_path)
        specs = _specs(defs)
    dg.Definitions.validate_loadable(defs)
    broken = specs["broken_model"]
    assert COLUMN_LINEAGE_KEY not in broken.metadata
    assert "models/broken_model.sql" in str(broken.metadata[LINEAGE_WARNING_KEY])
    assert "models/broken_model.sql" in caplog.text
    # the other models keep theirs, straight from the compiled SQL: on the definition as the
    # record and the Markdown table open-source Dagster shows (``dagster/column_lineage`` goes on
    # each materialization, where Dagster reads it)
    graph = graph_from_definitions(defs)
    assert [
        (d.upstream.asset, d.upstream.column)
        for d in graph.get(("orders_clean",)).column_deps["amount_d"]
    ] == [(("shop", "raw_orders"), "amount")]
    assert COLUMN_LINEAGE_KEY not in specs["orders_clean"].metadata
    table = specs["orders_clean"].metadata[COLUMN_LINEAGE_MD_KEY].value
    assert "| `amount_d` | `shop/raw_orders.amount` (" in table
    assert graph.get(("broken_model",)).unknowns
    seg = graph.get(("orders_by_segment",))
    assert {(d.upstream, d.kind) for d in seg.column_deps["revenue"]} == {
        (ColumnRef(("orders_clean",), "amount_d"), EdgeKind.AGGREGATION)
    }
    assert (ColumnRef(("customers",), "customer_id"), Clause.JOIN) in {
        (r.upstream, r.clause) for r in seg.reads
    }
    # upstream of orders_by_segment.revenue reaches the dbt source through orders_clean
    ends = {p.end for p in graph.column_upstream(ColumnRef(("orders_by_segment",), "revenue"))}
    assert ColumnRef(("shop", "raw_orders"), "amount") in ends
    # every node type is a record: seeds, snapshot, source (as the deps' stub asset)
    assert graph.get(("customers",)).asset_type == AssetType.DBT_SEED
    assert graph.get(("orders_snapshot",)).asset_type == AssetType.DBT_SNAPSHOT
    assert graph.get(("shop", "raw_orders")).asset_type == AssetType.DBT_SOURCE
    snap = graph.get(("orders_snapshot",))
    assert {d.upstream for d in snap.column_deps["status_u"]} == {
        ColumnRef(("orders_clean",), "status_u")
    }


def test_types_come_from_catalog_then_yaml_then_sqlglot(built, tmp_path):
    # without the catalog (moved away): YAML declarations, else sqlglot's inference
    no_catalog = build_dbt_lineage_specs(
        manifest=built.manifest(),
        translator=DagsterDbtLineageTranslator(
            lineage_settings=DbtLineageSettings(use_catalog=False, enable_cache=False)
        ),
    )
    types = {
        s.key.to_user_string(): {c.name: c.type for c in s.metadata[COLUMN_SCHEMA_KEY].columns}
        for s in no_catalog
        if COLUMN_SCHEMA_KEY in s.metadata
    }
    assert types["orders_clean"]["status_u"] == "varchar(20)"  # orders_clean.yml data_type
    assert types["orders_clean"]["amount_d"] == "double"  # cast(... as double), inferred
    # with the catalog next to the manifest: what DuckDB actually built
    with_catalog = build_dbt_lineage_specs(manifest=built.manifest_path)
    cat = json.loads(built.catalog_path.read_text())
    actual = {
        c["name"]: c["type"].lower()
        for c in cat["nodes"]["model.lineage_fixture.orders_clean"]["columns"].values()
    }
    spec = next(s for s in with_catalog if s.key.to_user_string() == "orders_clean")
    assert {c.name: c.type for c in spec.metadata[COLUMN_SCHEMA_KEY].columns} == actual
    # and the catalog agrees with the warehouse itself
    with duckdb.connect(str(built.duckdb_path), read_only=True) as conn:
        rows = conn.execute(
            "select column_name, lower(data_type) from information_schema.columns "
            "where table_name = 'orders_clean' order by ordinal_position"
        ).fetchall()
    assert dict(rows) == actual


def test_code_version_is_the_node_checksum(built):
    specs = build_dbt_lineage_specs(manifest=built.manifest_path)
    by_key = {s.key.to_user_string(): s for s in specs}
    manifest = built.manifest()
    from dagster_lineage.integrations.dbt import code_checksum_for_dbt_node

    node = manifest["nodes"]["model.lineage_fixture.orders_clean"]
    assert by_key["orders_clean"].code_version == code_checksum_for_dbt_node(node)


@pytest.fixture()
def built(built_project):
    return built_project


def test_a_translator_subclass_customises_keys_and_lineage_follows(built):
    class Prefixed(DagsterDbtLineageTranslator):
        def get_asset_key(self, dbt_resource_props):
            key = super().get_asset_key(dbt_resource_props)
            if dbt_resource_props["resource_type"] == "source":
                return key
            return key.with_prefix("analytics")

    translator = Prefixed(lineage_settings=DbtLineageSettings(enable_cache=False))
    specs = build_dbt_lineage_specs(manifest=built.manifest_path, translator=translator)
    keys = {s.key.to_user_string() for s in specs}
    assert {"analytics/orders_clean", "analytics/orders_by_segment"} <= keys
    graph = graph_from_definitions(dg.Definitions(assets=specs))
    seg = graph.get(("analytics", "orders_by_segment"))
    assert {d.upstream for d in seg.column_deps["revenue"]} == {
        ColumnRef(("analytics", "orders_clean"), "amount_d")
    }
    assert graph.get(("analytics", "orders_clean")).upstream == (("shop", "raw_orders"),)
