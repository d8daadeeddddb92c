"""Node checksums: deterministic, sensitive to code and config, blind to absolute paths."""

from __future__ import annotations

import json
from pathlib import Path

from dagster_lineage.integrations.dbt.checksum import code_checksum_for_dbt_node

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dbt"


def fct() -> dict:
    manifest = json.loads((FIXTURES / "mini_manifest.json").read_text())
    return manifest["nodes"]["model.mini.fct"]


def test_same_node_same_checksum_regardless_of_key_order():
    node = fct()
    reordered = dict(reversed(list(node.items())))
    reordered["config"] = dict(reversed(list(node["config"].items())))
    assert code_checksum_for_dbt_node(node) == code_checksum_for_dbt_node(reordered)


def test_sql_and_config_changes_change_it():
    base = code_checksum_for_dbt_node(fct())
    sql = fct()
    sql["compiled_code"] = sql["compiled_code"].replace("* 2", "* 3")
    mat = fct()
    mat["config"]["materialized"] = "view"
    assert len({base, code_checksum_for_dbt_node(sql), code_checksum_for_dbt_node(mat)}) == 3


def test_absolute_paths_meta_and_whitespace_do_not():
    base = code_checksum_for_dbt_node(fct())
    moved = fct()
    moved["config"]["post-hook"][0]["sql"] = moved["config"]["post-hook"][0]["sql"].replace(
        "/home/someone", "/srv/ci/checkout"
    )
    moved["original_file_path"] = "elsewhere/fct.sql"
    moved["config"]["meta"] = {"criticality": "low"}
    moved["compiled_code"] = "\n" + moved["compiled_code"] + "   \n"
    assert code_checksum_for_dbt_node(moved) == base
