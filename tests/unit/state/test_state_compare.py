"""The comparison with the last successful materialization, over plain data."""

from __future__ import annotations

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import AssetLineage, ColumnInfo
from dagster_lineage.state.checksums import ParentState, schema_checksum
from dagster_lineage.state.compare import ChangeReason, MaterializationState, compare, schema_diff

R, S, C, D = (
    ChangeReason.NEVER_MATERIALIZED,
    ChangeReason.SCHEMA,
    ChangeReason.CODE,
    ChangeReason.DATA,
)
U = ChangeReason.UPSTREAM

COLS = (ColumnInfo("id", "int"), ColumnInfo("total", "decimal(10,2)"))


def _graph(codes: dict[str, str], columns=COLS) -> LineageGraph:
    # raw -> stg -> fct -> report, and raw -> side
    edges = {"raw": [], "stg": ["raw"], "fct": ["stg"], "report": ["fct"], "side": ["raw"]}
    return LineageGraph.from_records(
        AssetLineage(
            key=(k,),
            upstream=tuple((p,) for p in ups),
            code_checksum=codes[k],
            columns=columns if k == "stg" else (),
        )
        for k, ups in edges.items()
    )


CODES = {"raw": "r1", "stg": "s1", "fct": "f1", "report": "p1", "side": "x1"}


def _state(key: str, sid: int, run: str = "run1", **kw) -> MaterializationState:
    return MaterializationState(key=(key,), run_id=run, timestamp=float(sid), storage_id=sid, **kw)


def _full_run(graph: LineageGraph, run: str = "run1", base: int = 0, data: dict | None = None):
    """States as one run that materialized everything in topological order would record them."""
    data = data or {}
    states: dict = {}
    for i, key in enumerate(graph.topological_order()):
        rec = graph.get(key)
        parents = {"/".join(p): states[p].parent_state for p in graph.parents(key) if p in states}
        states[key] = _state(
            key[0],
            base + i + 1,
            run,
            code=rec.code_checksum,
            schema=schema_checksum(rec.columns) if rec.columns else None,
            declared_schema=schema_checksum(rec.columns) if rec.columns else None,
            data=data.get(key[0], f"data-{key[0]}"),
            parents=parents,
            columns={c.name: c.data_type for c in rec.columns},
        )
    return states


def _summary(changes):
    return {c.key_str: set(c.reasons) for c in changes}


def test_nothing_changed_after_a_full_run() -> None:
    g = _graph(CODES)
    assert compare(g, _full_run(g)) == []


def test_never_materialized_lists_only_that_reason() -> None:
    g = _graph(CODES)
    assert _summary(compare(g, {})) == {k: {R} for k in CODES}


def test_code_change_lists_the_model_and_its_downstream_as_upstream() -> None:
    g = _graph(CODES)
    last = _full_run(g)
    edited = _graph({**CODES, "stg": "s2"})
    changes = compare(edited, last)
    assert _summary(changes) == {"stg": {C}, "fct": {U}, "report": {U}}
    assert [c.key_str for c in changes] == ["stg", "fct", "report"]  # parents first
    stg = changes[0]
    assert stg.changed_itself and stg.last_success is last[("stg",)]
    assert stg.to_dict()["last_success_run_id"] == "run1"
    assert not changes[1].changed_itself
    assert any("stg" in d for d in changes[1].details)


def test_declared_schema_change_is_reported_with_columns() -> None:
    g = _graph(CODES)
    last = _full_run(g)
    new_cols = (ColumnInfo("id", "bigint"), ColumnInfo("amount", "decimal(10,2)"))
    changes = compare(_graph(CODES, columns=new_cols), last)
    assert _summary(changes) == {"stg": {S}, "fct": {U}, "report": {U}}
    detail = changes[0].details[0]
    assert "added: amount" in detail and "removed: total" in detail and "id int -> bigint" in detail


def test_parent_rematerialized_with_other_data_is_data_for_its_children() -> None:
    g = _graph(CODES)
    last = _full_run(g)
    # raw alone re-materialized later in run2 with other data, same code
    raw2 = _state("raw", 100, "run2", code="r1", data="data-raw-2")
    changes = compare(g, {**last, ("raw",): raw2})
    # its children are "data", and what is below them "upstream" (their input will change)
    assert _summary(changes) == {"stg": {D}, "side": {D}, "fct": {U}, "report": {U}}
    # same data again: nothing
    raw3 = _state("raw", 101, "run3", code="r1", data="data-raw")
    assert compare(g, {**last, ("raw",): raw3}) == []


def test_parent_rematerialized_with_other_code_is_upstream() -> None:
    g = _graph({**CODES, "raw": "r2"})
    last = _full_run(_graph(CODES))
    raw2 = _state("raw", 100, "run2", code="r2", data="data-raw")
    changes = compare(g, {**last, ("raw",): raw2})
    assert _summary(changes) == {"stg": {U}, "side": {U}, "fct": {U}, "report": {U}}


def test_parent_from_the_same_run_is_not_a_change() -> None:
    g = _graph(CODES)
    last = _full_run(g)
    # the child recorded nothing for its parent (e.g. multi-asset step) but both come from run1
    stg = last[("stg",)]
    last[("stg",)] = MaterializationState(
        key=stg.key,
        run_id=stg.run_id,
        timestamp=stg.timestamp,
        storage_id=stg.storage_id,
        code=stg.code,
        declared_schema=stg.declared_schema,
        parents={},
    )
    assert compare(g, last) == []


def test_only_materializable_assets_can_be_never_materialized() -> None:
    g = LineageGraph.from_records(
        [
            AssetLineage(key=("fct",), code_checksum="f2"),
            AssetLineage(key=("dashboard",), upstream=(("fct",),)),
        ]
    )
    last = {("fct",): _state("fct", 1, code="f1")}
    assert _summary(compare(g, last, materializable=[("fct",)])) == {"fct": {C}, "dashboard": {U}}
    last_ok = {("fct",): _state("fct", 1, code="f2")}
    assert compare(g, last_ok, materializable=[("fct",)]) == []


def test_schema_diff_reports_added_removed_retyped() -> None:
    d = schema_diff(
        {"id": "INTEGER", "total": "DECIMAL(10,2)", "code": "VARCHAR"},
        [ColumnInfo("ID", "bigint"), ColumnInfo("total", "decimal(10, 2)"), ColumnInfo("x", None)],
    )
    assert d.added == ("x",) and d.removed == ("code",)
    assert d.retyped == (("id", "integer", "bigint"),)
    assert not schema_diff({"a": "int"}, {"A": "INT"})
    assert not schema_diff({"a": None}, {"a": "int"})  # unknown type is not a retype


def test_parent_state_roundtrip() -> None:
    p = ParentState(code="c", schema=None, data="d", upstream="u")
    assert ParentState.from_dict(p.to_dict()) == p
