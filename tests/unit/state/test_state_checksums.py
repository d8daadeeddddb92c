"""Checksums are deterministic: order-, path- and process-independent, and sensitive to content."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_lineage.core.hashing import stable_hash
from dagster_lineage.core.model import ColumnInfo
from dagster_lineage.errors import IntegrationError
from dagster_lineage.state.checksums import (
    ParentState,
    code_checksum,
    data_checksum,
    file_set_checksum,
    file_set_digest,
    match_files,
    schema_checksum,
    upstream_checksum,
)

ROOT = Path(__file__).resolve().parents[3]
PROJECT = ROOT / "tests" / "fixtures" / "state" / "project"


def _reverse_dict(obj):
    if isinstance(obj, dict):
        return {k: _reverse_dict(obj[k]) for k in reversed(list(obj))}
    if isinstance(obj, list):
        return [_reverse_dict(v) for v in obj]
    return obj


CONFIG = {
    "materialized": "table",
    "tags": ["a", "b"],
    "meta": {
        "owner": "finance",
        "criticality": "high",
        "nested": {"z": 1, "a": [1, {"y": 2, "x": 3}]},
    },
    "sql": "select 1",
}


def test_reordered_dict_gives_the_same_hash() -> None:
    reordered = _reverse_dict(CONFIG)
    assert list(reordered) != list(CONFIG)  # really reordered
    assert json.dumps(reordered) != json.dumps(CONFIG)
    assert code_checksum(reordered) == code_checksum(CONFIG)
    assert stable_hash(reordered) == stable_hash(CONFIG)


def test_content_changes_change_the_hash() -> None:
    changed = json.loads(json.dumps(CONFIG))
    changed["meta"]["nested"]["a"][1]["x"] = 4
    assert code_checksum(changed) != code_checksum(CONFIG)
    # list order carries meaning (column order in a SELECT, statement order)
    assert code_checksum({"l": [1, 2]}) != code_checksum({"l": [2, 1]})


def test_schema_checksum_is_order_and_case_independent() -> None:
    a = [ColumnInfo("order_id", "INTEGER"), ColumnInfo("total", "DECIMAL(10, 2)")]
    b = [("TOTAL", "decimal(10,2)"), {"name": "Order_Id", "type": "integer"}]
    assert schema_checksum(a) == schema_checksum(b)
    assert schema_checksum(a) != schema_checksum([*a, ColumnInfo("status", "varchar")])
    assert schema_checksum(a) != schema_checksum([ColumnInfo("order_id", "BIGINT"), a[1]])
    assert schema_checksum(a) != schema_checksum([ColumnInfo("id", "INTEGER"), a[1]])


def test_data_and_upstream_checksums() -> None:
    assert data_checksum(3, "123") == data_checksum(3, "123")
    assert data_checksum(3, "123") != data_checksum(3, "124")
    assert data_checksum(3, "123") != data_checksum(4, "123")
    p1 = {"raw": ParentState(code="c", schema="s", data="d"), "cfg": None}
    p2 = {"cfg": None, "raw": ParentState(code="c", schema="s", data="d")}
    assert upstream_checksum(p1) == upstream_checksum(p2)
    assert upstream_checksum(p1) != upstream_checksum(
        {"raw": ParentState(code="c", schema="s", data="other"), "cfg": None}
    )
    assert upstream_checksum(p1) != upstream_checksum({"raw": p1["raw"]})


def test_file_set_checksum_uses_relative_paths_only(tmp_path: Path) -> None:
    a = tmp_path / "checkout_a" / "deep"
    b = tmp_path / "b"
    shutil.copytree(PROJECT, a)
    shutil.copytree(PROJECT, b)
    patterns = ["configs/*.json", "configs/*.yaml", "models/**/*.sql"]
    assert file_set_checksum(a, patterns) == file_set_checksum(b, patterns)
    digest = file_set_digest(a, patterns)
    assert digest.paths == (
        "configs/orders.json",
        "configs/orders.yaml",
        "models/fct.sql",
        "models/report.sql",
        "models/stg.sql",
    )
    assert not any(str(tmp_path) in p for p in digest.paths)
    before = file_set_checksum(b, patterns)
    # CRLF line endings (a Windows checkout) do not change it
    f = b / "models" / "fct.sql"
    f.write_bytes(f.read_bytes().replace(b"\n", b"\r\n"))
    assert file_set_checksum(b, patterns) == before
    # an edit does
    f.write_text(f.read_text() + " and amount > 0\n")
    assert file_set_checksum(b, patterns) != before
    # so does a new matching file, and a rename
    after_edit = file_set_checksum(b, patterns)
    (b / "configs" / "extra.json").write_text("{}")
    assert file_set_checksum(b, patterns) != after_edit
    with_extra = file_set_checksum(b, patterns)
    (b / "configs" / "extra.json").rename(b / "configs" / "extra2.json")
    assert file_set_checksum(b, patterns) != with_extra


def test_match_files_names_a_missing_base_path(tmp_path: Path) -> None:
    with pytest.raises(IntegrationError, match="not a folder"):
        match_files(tmp_path / "nope", ["*.json"])


_CHILD = """
import json, sys
from dagster_lineage.state.checksums import code_checksum, schema_checksum, file_set_checksum
cfg = json.loads(sys.argv[1])
print(json.dumps([
    code_checksum(cfg),
    schema_checksum([("b", "text"), ("a", "int")]),
    file_set_checksum(sys.argv[2], ["configs/*", "models/*.sql"]),
]))
"""


def test_checksums_are_stable_across_processes_and_locations(tmp_path: Path) -> None:
    elsewhere = tmp_path / "other" / "machine"
    shutil.copytree(PROJECT, elsewhere)
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(_reverse_dict(CONFIG)), str(elsewhere)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env=env,
    )
    child = json.loads(out.stdout)
    here = [
        code_checksum(CONFIG),
        schema_checksum([("a", "int"), ("b", "text")]),
        file_set_checksum(PROJECT, ["configs/*", "models/*.sql"]),
    ]
    assert child == here
