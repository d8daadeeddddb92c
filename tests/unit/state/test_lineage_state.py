"""The lineage state file: round trip, determinism, schema, errors, and no Dagster import to read it."""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest

import dagster_lineage
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
from dagster_lineage.state.lineage_state import (
    STATE_JSON_SCHEMA,
    STATE_SCHEMA_VERSION,
    LineageState,
    StateFileError,
    read_state,
    write_state,
)


def _records() -> list[AssetLineage]:
    raw = AssetLineage(
        key=("raw", "orders"),
        asset_type=AssetType.TABLE,
        columns=(ColumnInfo("id", "integer", "Identifier"), ColumnInfo("total", "decimal(10,2)")),
        owners=("b@example.com", "a@example.com"),
        tags={"z": "1", "a": "2"},
        code_checksum="c-raw",
    )
    stg = AssetLineage(
        key=("stg_orders",),
        asset_type=AssetType.DBT_MODEL,
        source_ref="models/stg_orders.sql",
        upstream=(("raw", "orders"),),
        columns=(ColumnInfo("id", "int"), ColumnInfo("amount", "decimal(10,2)")),
        column_deps={
            "amount": (ColumnDep(ColumnRef(("raw", "orders"), "total"), EdgeKind.RENAME),),
            "id": (ColumnDep(ColumnRef(("raw", "orders"), "id")),),
        },
        reads=(ColumnRead(ColumnRef(("raw", "orders"), "total"), Clause.FILTER),),
        indirect_deps={"amount": (ColumnRead(ColumnRef(("raw", "orders"), "id"), Clause.WINDOW),)},
        unknowns=(Unknown("dynamic column", "x"),),
        code_checksum="c-stg",
        contract_enforced=True,
        description="Stage | <b>orders</b> ünïcode",
    )
    return [
        raw,
        stg,
        AssetLineage(key=("dash",), asset_type=AssetType.DBT_EXPOSURE, upstream=(("stg_orders",),)),
    ]


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    state = LineageState.from_records(_records(), project="demo", tool_version="9.9")
    p = tmp_path / "lineage.json"
    write_state(state, p)
    back = read_state(p)
    assert back == state
    assert [r.to_dict() for r in back.records] == [r.to_dict() for r in state.records]
    assert back.project == "demo" and back.tool_version == "9.9"
    assert back.graph().downstream_keys(("raw", "orders")) == [("stg_orders",), ("dash",)]


def test_output_is_byte_identical_whatever_the_record_order(tmp_path: Path) -> None:
    texts = set()
    for seed in range(5):
        recs = _records()
        random.Random(seed).shuffle(recs)
        p = tmp_path / f"s{seed}.json"
        write_state(LineageState.from_records(recs, project="demo", tool_version="1"), p)
        texts.add(p.read_bytes())
    assert len(texts) == 1


def test_column_order_of_the_lineage_is_kept() -> None:
    # traversals (graph --column) follow the order of column_deps: the file keeps it
    (stg,) = [r for r in _records() if r.key == ("stg_orders",)]
    state = LineageState.from_records([stg], project="demo", tool_version="1")
    back = LineageState.from_json(state.to_json()).records[0]
    assert list(back.column_deps) == list(stg.column_deps) == ["amount", "id"]
    flipped = dataclasses.replace(stg, column_deps=dict(reversed(list(stg.column_deps.items()))))
    back = LineageState.from_json(
        LineageState.from_records([flipped], project="demo", tool_version="1").to_json()
    ).records[0]
    assert list(back.column_deps) == ["id", "amount"]


def test_written_file_validates_against_the_documented_schema() -> None:
    state = LineageState.from_records(_records(), project="demo", tool_version="1")
    data = json.loads(state.to_json())
    jsonschema.validate(data, STATE_JSON_SCHEMA)
    assert data["schema_version"] == STATE_SCHEMA_VERSION
    assert data["asset_count"] == 3
    # a record missing its key is rejected by the schema too
    data["assets"][0].pop("key")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, STATE_JSON_SCHEMA)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            '{"format": "dagster-lineage-state", "schema_version": 99, "project": "p", "assets": []}',
            "schema version 99",
        ),
        (
            '{"format": "dagster-lineage-state", "schema_version": 1, "project": "p", "assets": [',
            "corrupt JSON",
        ),
        ('{"assets": []}', "not a dagster-lineage-state file"),
        (
            '{"format": "dagster-lineage-state", "schema_version": 1, "project": "p", "assets": [{"asset_type": "table"}]}',
            "malformed asset record",
        ),
    ],
)
def test_bad_files_raise_one_actionable_error(tmp_path: Path, text: str, needle: str) -> None:
    p = tmp_path / "bad.json"
    p.write_text(text)
    with pytest.raises(StateFileError) as info:
        read_state(p)
    msg = str(info.value)
    assert needle in msg and str(p) in msg and "\n" not in msg


def test_missing_file() -> None:
    with pytest.raises(StateFileError, match="no such file"):
        read_state("/nonexistent/lineage.json")


def test_reading_a_state_needs_no_dagster(tmp_path: Path) -> None:
    p = tmp_path / "lineage.json"
    write_state(LineageState.from_records(_records(), project="demo", tool_version="1"), p)
    code = textwrap.dedent(
        f"""
        import importlib.abc, sys, types
        BLOCKED = ("dagster", "dagster_dbt", "dbt", "airflow", "pyspark")

        class Blocker(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"blocked: {{name}}")
                return None

        sys.meta_path.insert(0, Blocker())
        pkg = types.ModuleType("dagster_lineage")
        pkg.__path__ = [{dagster_lineage.__path__[0]!r}]
        sys.modules["dagster_lineage"] = pkg
        from dagster_lineage.state.lineage_state import read_state
        from dagster_lineage.impact.diff import diff_states
        from dagster_lineage.impact.diff_render import render_diff
        s = read_state({str(p)!r})
        print(len(s.records), s.graph().downstream_keys(("raw", "orders")))
        print(render_diff(diff_states(s, s), "markdown").splitlines()[0])
        assert not any(m.split(".")[0] in BLOCKED for m in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "3 [('stg_orders',), ('dash',)]"
