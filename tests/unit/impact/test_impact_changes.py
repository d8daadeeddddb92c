from __future__ import annotations

import json

import pytest

from dagster_lineage.errors import ChangeSpecError
from dagster_lineage.impact.schema_changes import (
    ColumnAdded,
    ColumnDropped,
    ColumnRenamed,
    ColumnTypeChanged,
    Severity,
    TableDropped,
    TableRenamed,
    change_from_dict,
    changes_from_flags,
    changes_to_json,
    load_changes_file,
    parse_changes,
)

ALL = [
    {"type": "column_rename", "from": "order_total", "to": "total_amount"},
    {"type": "column_drop", "column": "legacy_discount_code"},
    {"type": "column_type_change", "column": "c", "data_type": "bigint"},
    {"type": "column_add", "column": "c2", "data_type": "varchar"},
    {"type": "table_rename", "to": "new_name"},
    {"type": "table_drop"},
]


def test_every_issue_form_parses_and_round_trips() -> None:
    changes = parse_changes(json.dumps(ALL))
    assert [type(c) for c in changes] == [
        ColumnRenamed,
        ColumnDropped,
        ColumnTypeChanged,
        ColumnAdded,
        TableRenamed,
        TableDropped,
    ]
    assert [c.to_dict() for c in changes] == ALL
    assert parse_changes(changes_to_json(changes)) == changes


def test_destructive_flags() -> None:
    destructive = {c.type: c.destructive for c in parse_changes(json.dumps(ALL))}
    assert destructive == {
        "column_rename": True,
        "column_drop": True,
        "column_type_change": False,
        "column_add": False,
        "table_rename": True,
        "table_drop": True,
    }


def test_yaml_and_wrapped_forms() -> None:
    yaml_text = "asset: raw_orders\nchanges:\n  - {type: column_rename, from: a, to: b}\n  - type: table_drop\n"
    assert parse_changes(yaml_text) == (ColumnRenamed("a", "b"), TableDropped())
    assert parse_changes('{"type": "column_drop", "column": "x"}') == (ColumnDropped("x"),)


def test_changes_file(tmp_path) -> None:
    f = tmp_path / "changes.yaml"
    f.write_text("asset: raw_orders\nchanges:\n  - {type: column_drop, column: x}\n")
    assert load_changes_file(f) == ("raw_orders", (ColumnDropped("x"),))
    g = tmp_path / "plain.json"
    g.write_text(json.dumps(ALL[:1]))
    assert load_changes_file(g) == (None, (ColumnRenamed("order_total", "total_amount"),))
    with pytest.raises(ChangeSpecError, match="does not exist"):
        load_changes_file(tmp_path / "missing.json")


def test_flags() -> None:
    got = changes_from_flags(
        rename=["a:b"],
        drop=["c"],
        type_change=["d:decimal(12,2)"],
        add=["e:varchar", "f"],
        rename_table="t2",
        drop_table=True,
    )
    assert got == (
        ColumnRenamed("a", "b"),
        ColumnDropped("c"),
        ColumnTypeChanged("d", "decimal(12,2)"),
        ColumnAdded("e", "varchar"),
        ColumnAdded("f", None),
        TableRenamed("t2"),
        TableDropped(),
    )


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('[{"type": "column_explode", "column": "x"}]', "unknown change type 'column_explode'"),
        ('[{"type": "column_rename", "from": "a"}]', "needs 'to'"),
        ('[{"type": "column_drop", "column": ""}]', "non-empty string"),
        ('[{"type": "column_drop", "column": "a", "colour": "red"}]', "unexpected field"),
        ('[{"type": "column_rename", "from": "a", "to": "A"}]', "to itself"),
        ("[]", "empty"),
        ('"just a string"', "expected a list"),
        ("[{not json or: yaml", "not valid JSON or YAML"),
        ("[42]", "must be a mapping"),
    ],
)
def test_malformed_specs_raise_clear_errors(text: str, match: str) -> None:
    with pytest.raises(ChangeSpecError, match=match) as info:
        parse_changes(text)
    assert str(info.value).startswith("Invalid change spec")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rename": ["a"]},
        {"rename": ["a:"]},
        {"type_change": ["x"]},
        {"drop": ["a:b"]},
        {"add": [":int"]},
    ],
)
def test_malformed_flags(kwargs) -> None:
    with pytest.raises(ChangeSpecError):
        changes_from_flags(**kwargs)


def test_change_from_dict_rejects_non_mapping() -> None:
    with pytest.raises(ChangeSpecError):
        change_from_dict(["column_drop"])  # type: ignore[arg-type]


def test_severity_order_and_parse() -> None:
    assert Severity.parse("warning") is Severity.WARNING
    assert sorted([Severity.BREAKING, Severity.NONE, Severity.WARNING]) == [
        Severity.NONE,
        Severity.WARNING,
        Severity.BREAKING,
    ]
    with pytest.raises(ChangeSpecError):
        Severity.parse("catastrophic")


# --- issue 16: inputs that gave misleading messages -----------------------------------------


def test_changes_file_folder_empty_and_rename_with_two_colons(tmp_path) -> None:
    with pytest.raises(ChangeSpecError, match="is a folder"):
        load_changes_file(tmp_path)
    empty = tmp_path / "empty.yaml"
    empty.write_text("\n  \n")
    with pytest.raises(ChangeSpecError, match="is empty") as e:
        load_changes_file(empty)
    assert "NoneType" not in str(e.value)
    with pytest.raises(ChangeSpecError, match="one colon"):
        changes_from_flags(rename=["a:b:c"])
    with pytest.raises(ChangeSpecError) as e:
        changes_from_flags(rename=["x" * 100_000])
    assert len(str(e.value)) < 400
