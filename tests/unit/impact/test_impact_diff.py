"""``diff_states``: per-column changes, categories and the downstream impact, on hand-built records."""

from __future__ import annotations

import dataclasses
import json

from dagster_lineage.core.model import AssetLineage, AssetType, Clause
from dagster_lineage.impact.diff import Category, ColumnChangeKind, diff_states
from dagster_lineage.impact.diff_render import md_code, md_text, render_diff
from dagster_lineage.impact.schema_changes import (
    ColumnRenamed,
    ColumnValuesChanged,
    RowsChanged,
    Severity,
    TableDropped,
)
from tests.unit.impact.impact_story import A, R, T, cols, dep, read


def base() -> list[AssetLineage]:
    raw = AssetLineage(
        key=("raw",),
        asset_type=AssetType.TABLE,
        columns=cols("id:integer", "total:decimal(10,2)", "code:varchar", "status:varchar"),
        code_checksum="raw",
    )
    stg = AssetLineage(
        key=("stg",),
        asset_type=AssetType.DBT_MODEL,
        upstream=(("raw",),),
        columns=cols("id:integer", "total:decimal(10,2)", "net:decimal(10,2)", "status:varchar"),
        column_deps={
            "id": (dep("raw", "id"),),
            "total": (dep("raw", "total"),),
            "net": (dep("raw", "total", T), dep("raw", "code", T)),
            "status": (dep("raw", "status"),),
        },
        reads=(read("raw", "status", Clause.FILTER),),
        code_checksum="stg-v1",
    )
    fct = AssetLineage(
        key=("fct",),
        asset_type=AssetType.DBT_MODEL,
        upstream=(("stg",),),
        columns=cols("id:integer", "total:decimal(10,2)", "net:decimal(10,2)"),
        column_deps={
            "id": (dep("stg", "id"),),
            "total": (dep("stg", "total"),),
            "net": (dep("stg", "net"),),
        },
        code_checksum="fct-v1",
        owners=("team:marts",),
    )
    dag = AssetLineage(
        key=("report",),
        asset_type=AssetType.DAG,
        upstream=(("fct",),),
        columns=cols("revenue", "n"),
        column_deps={"revenue": (dep("fct", "total", A),), "n": (dep("fct", "id", A),)},
        reads=(read("fct", "id", Clause.GROUP),),
        code_checksum="dag-v1",
        owners=("team:finance",),
    )
    return [raw, stg, fct, dag]


def edit(records: list[AssetLineage], key: str, **changes: object) -> list[AssetLineage]:
    out = []
    for r in records:
        if r.key == (key,):
            r = dataclasses.replace(r, code_checksum=f"{r.code_checksum}*", **changes)  # type: ignore[arg-type]
        out.append(r)
    return out


def _stg(records: list[AssetLineage]) -> AssetLineage:
    return next(r for r in records if r.key == ("stg",))


def test_rename_is_recognised_by_its_sources_and_breaks_consumers_by_name() -> None:
    b = base()
    s = _stg(b)
    deps = {("amount" if k == "total" else k): v for k, v in s.column_deps.items()}
    deps["amount"] = (dep("raw", "total", R),)
    h = edit(
        b,
        "stg",
        columns=cols("id:integer", "amount:decimal(10,2)", "net:decimal(10,2)", "status:varchar"),
        column_deps=deps,
    )
    d = diff_states(b, h)
    (a,) = d.assets
    assert a.category is Category.BREAKING
    assert [(c.kind, c.column, c.new_name) for c in a.columns] == [
        (ColumnChangeKind.RENAMED, "total", "amount")
    ]
    assert a.changes == (ColumnRenamed("total", "amount"),)
    assert d.affected == {("fct",): Severity.BREAKING, ("report",): Severity.BREAKING}
    assert d.exit_code() == 1


def test_drop_retype_add_and_values_change_column_by_column() -> None:
    b = base()
    h = edit(
        b,
        "stg",
        columns=cols("id:bigint", "total:decimal(10,2)", "net:decimal(10,2)", "channel:varchar"),
        column_deps={
            "id": (dep("raw", "id"),),
            "total": (dep("raw", "total"),),
            "net": (dep("raw", "total", T),),  # code no longer used
            "channel": (),
        },
    )
    d = diff_states(b, h)
    (a,) = d.assets
    got = {(c.kind.value, c.column) for c in a.columns}
    assert got == {
        ("removed", "status"),
        ("retyped", "id"),
        ("values_changed", "net"),
        ("added", "channel"),
    }
    retyped = next(c for c in a.columns if c.kind is ColumnChangeKind.RETYPED)
    assert (retyped.old_type, retyped.new_type) == ("integer", "bigint")
    values = next(c for c in a.columns if c.kind is ColumnChangeKind.VALUES_CHANGED)
    assert values.detail == "sources - raw.code"
    assert a.category is Category.BREAKING
    report = d.impact("stg")
    assert report is not None
    fct = report.get("fct")
    assert fct is not None and fct.severity is Severity.WARNING  # id retyped, net values: warnings
    assert {r.column.column for r in fct.references} == {"id", "net"}


def test_values_change_only_is_values_changed_and_warns_downstream() -> None:
    b = base()
    s = _stg(b)
    h = edit(
        b,
        "stg",
        column_deps={**s.column_deps, "net": (dep("raw", "total", A), dep("raw", "code", A))},
    )
    d = diff_states(b, h)
    (a,) = d.assets
    assert a.category is Category.VALUES_CHANGED
    assert a.changes == (
        ColumnValuesChanged("net", "expression kind transformation -> aggregation"),
    )
    assert d.affected == {("fct",): Severity.WARNING}
    assert d.exit_code() == 0 and d.exit_code(Severity.WARNING) == 1


def test_filter_and_upstream_changes_are_model_wide() -> None:
    b = base()
    h = edit(
        b,
        "stg",
        reads=(read("raw", "status", Clause.FILTER), read("raw", "code", Clause.FILTER)),
    )
    d = diff_states(b, h)
    (a,) = d.assets
    assert [m.describe() for m in a.model_changes] == ["filter changed: + raw.code"]
    assert a.category is Category.VALUES_CHANGED
    assert isinstance(a.changes[-1], RowsChanged)
    # every consumer column is warned, two levels down too
    assert d.affected == {("fct",): Severity.WARNING, ("report",): Severity.WARNING}


def test_unattributed_code_change_is_never_nothing() -> None:
    b = base()
    h = edit(b, "fct")  # checksum only: a constant in an expression, say
    d = diff_states(b, h)
    (a,) = d.assets
    assert a.model_changes[0].clause == "unattributed"
    assert a.category is Category.VALUES_CHANGED
    assert d.affected == {("report",): Severity.WARNING}


def test_renamed_computed_column_and_removed_asset() -> None:
    b = base()
    r = next(x for x in b if x.key == ("report",))
    h = edit(
        b,
        "report",
        columns=cols("revenue", "orders"),
        column_deps={"revenue": r.column_deps["revenue"], "orders": r.column_deps["n"]},
    )
    (a,) = diff_states(b, h).assets
    assert [c.describe() for c in a.columns] == ["renamed n -> orders"]
    gone = [x for x in b if x.key != ("fct",)]
    d = diff_states(b, gone)
    (a,) = d.assets
    assert (a.status.value, a.category, a.changes) == (
        "removed",
        Category.BREAKING,
        (TableDropped(),),
    )
    assert d.affected == {("report",): Severity.BREAKING}


def test_consumer_updated_in_the_same_change_does_not_break() -> None:
    b = base()
    s = _stg(b)
    deps = {("amount" if k == "total" else k): v for k, v in s.column_deps.items()}
    deps["amount"] = (dep("raw", "total", R),)
    h = edit(
        b,
        "stg",
        columns=cols("id:integer", "amount:decimal(10,2)", "net:decimal(10,2)", "status:varchar"),
        column_deps=deps,
    )
    f = next(x for x in h if x.key == ("fct",))
    h = edit(h, "fct", column_deps={**f.column_deps, "total": (dep("stg", "amount", R),)})
    d = diff_states(b, h)
    fct = d.get("fct")
    assert fct is not None and fct.category is Category.NON_BREAKING
    assert fct.notes == ("follows upstream renames: total reads stg.amount",)
    assert d.affected == {} and d.exit_code() == 0


def test_unchanged_states_and_renderers() -> None:
    assert diff_states(base(), base()).assets == ()
    b = base()
    h = edit(b, "fct")
    d = diff_states(b, h, base_label="main", head_label="HEAD")
    data = json.loads(render_diff(d, "json"))
    assert data["schema_version"] == 1 and data["changed_assets"][0]["asset"] == "fct"
    assert data["affected_assets"] == {"report": "warning"}
    md = render_diff(d, "markdown")
    assert md.splitlines()[0].startswith("## ⚠ Lineage diff: 1 changed asset(s)")
    assert "```mermaid" in md and 'n0["fct"]:::changed' in md and "n0 --> n1" in md
    assert "| `report` | dag | ⚠ warning | `fct.id`" in md
    text = render_diff(d, "text")
    assert "fct (dbt_model) modified: VALUES-CHANGED" in text


def test_markdown_escapes_names_and_collapses_long_lists() -> None:
    assert md_text("<img src=x>|*a*") == "&lt;img src=x&gt;\\|\\*a\\*"
    assert md_code("a|b") == "`a\\|b`"
    b = [AssetLineage(key=("src",), columns=cols(*[f"c{i}" for i in range(15)]), code_checksum="1")]
    b.append(
        AssetLineage(
            key=("x<script>",),
            upstream=(("src",),),
            code_checksum="2",
            columns=cols(*[f"c{i}" for i in range(15)]),
            column_deps={f"c{i}": (dep("src", f"c{i}"),) for i in range(15)},
        )
    )
    h = [dataclasses.replace(b[0], columns=(), code_checksum="1b"), b[1]]
    md = render_diff(diff_states(b, h), "markdown")
    assert "<script>" not in md.replace("`x<script>`", "")
    assert "<details><summary>15 column changes</summary>" in md
    assert "x#lt;script#gt;" in md  # mermaid label escaped


def _full_analysis_graph(base_state, head_state, changed):  # type: ignore[no-untyped-def]
    """The analysis graph over every asset (what diff_states built before it kept the closure)."""
    from dagster_lineage.core.graph import LineageGraph
    from dagster_lineage.impact.diff import _analysis_record

    keys = sorted(base_state.keys_set() | head_state.keys_set())
    return LineageGraph.from_records(
        _analysis_record(base_state, head_state, k, changed) for k in keys
    )


def test_read_states_and_downstream_closure_give_the_full_answer(
    tmp_path, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    """Comparing undecoded records and analysing only the changed assets' downstream closure
    reports exactly what decoded records on the whole graph report (issue 20)."""
    from dagster_lineage.impact import diff as diff_module
    from dagster_lineage.state.lineage_state import LineageState, read_state, write_state
    from tests.unit.impact.impact_story import story_records

    story = story_records()
    raw = next(r for r in story if r.key == ("raw_orders",))
    renamed_cols = tuple(
        dataclasses.replace(c, name="total_amount") if c.name == "order_total" else c
        for c in raw.columns
    )
    heads = {
        "rename_root": [
            dataclasses.replace(r, columns=renamed_cols, code_checksum="raw-v2")
            if r is raw
            else r
            for r in story
        ],
        "drop_root": [r for r in story if r is not raw],
        "tags_only": [
            dataclasses.replace(r, tags={"criticality": "high"}) if r is raw else r for r in story
        ],
        "added": [*story, AssetLineage(key=("new_asset",), upstream=(("raw_orders",),))],
    }
    write_state(LineageState.from_records(story, project="p"), tmp_path / "base.json")
    for name, records in heads.items():
        write_state(LineageState.from_records(records, project="p"), tmp_path / f"{name}.json")
        fast = diff_states(read_state(tmp_path / "base.json"), read_state(tmp_path / f"{name}.json"))
        with monkeypatch.context() as m:
            m.setattr(diff_module, "_analysis_graph", _full_analysis_graph)
            full = diff_states(
                LineageState.from_records(story, project="p"),
                LineageState.from_records(records, project="p"),
            )
        assert json.dumps(fast.to_dict()) == json.dumps(full.to_dict()), name
        if name in ("rename_root", "drop_root"):
            assert fast.affected, name  # the check compares real impact, not two empty answers
