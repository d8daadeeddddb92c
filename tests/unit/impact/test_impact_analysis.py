from __future__ import annotations

import dataclasses

import pytest
from impact_story import A, I, R, T, cols, dep, read, story_graph, story_records

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import AssetLineage, AssetType, Clause, EdgeKind, Unknown
from dagster_lineage.errors import ChangeSpecError, UnknownAssetError, UnknownColumnError
from dagster_lineage.impact.analysis import RiskLevel, Usage, analyze_impact
from dagster_lineage.impact.render import render_text
from dagster_lineage.impact.schema_changes import (
    ColumnAdded,
    ColumnDropped,
    ColumnRenamed,
    ColumnTypeChanged,
    Severity,
    TableDropped,
    TableRenamed,
)


def sev(report, name: str) -> str | None:
    a = report.get(name)
    return a.severity.label if a else None


def small(*records: AssetLineage) -> LineageGraph:
    return LineageGraph.from_records(records)


RAW = AssetLineage(
    key=("raw",), asset_type=AssetType.TABLE, columns=cols("a:int", "b:int", "c:int")
)


# --- the story ------------------------------------------------------------------------------


def test_story_rename_and_drop() -> None:
    report = analyze_impact(
        story_graph(),
        "raw_orders",
        [ColumnRenamed("order_total", "total_amount"), ColumnDropped("legacy_discount_code")],
    )
    assert report.risk is RiskLevel.HIGH
    assert {a.key[-1]: a.severity.label for a in report.impacted} == {
        "stg_orders": "breaking",
        "fct_orders": "breaking",
        "daily_revenue_report": "breaking",
        "customer_ltv_model": "warning",
        "revenue_dashboard": "warning",
    }
    assert report.get("stg_orders").referenced_columns == ("order_total", "legacy_discount_code")
    fct = report.get("fct_orders")
    assert set(fct.referenced_columns) == {"order_total", "legacy_discount_code"}
    assert fct.path == (("raw_orders",), ("stg_orders",), ("fct_orders",))
    dag = report.get("daily_revenue_report")
    (ref,) = dag.references
    assert (ref.column.display(), ref.output_column, ref.kind) == (
        "fct_orders.order_total",
        "revenue",
        A,
    )
    assert [s.display() for s in ref.path] == [
        "raw_orders.order_total",
        "stg_orders.order_total",
        "fct_orders.order_total",
        "daily_revenue_report.revenue",
    ]
    spark = report.get("customer_ltv_model")
    assert {r.column.display() for r in spark.references} == {"fct_orders.net_revenue"}
    dash = report.get("revenue_dashboard")
    assert dash.is_exposure and dash.owners == ("finance-analytics@example.com",)
    assert report.owners_to_notify == ("finance-analytics@example.com",)
    assert [k for k, _ in report.unknowns] == [("revenue_dashboard",)]
    assert any("criticality" in r for r in report.risk_reasons)
    assert report.exit_code() == 1


def test_rename_alone_gives_spark_a_warning_only() -> None:
    report = analyze_impact(
        story_graph(), "raw_orders", [ColumnRenamed("order_total", "total_amount")]
    )
    assert sev(report, "customer_ltv_model") == "warning"
    assert sev(report, "daily_revenue_report") == "breaking"


def test_column_nothing_uses_is_risk_none() -> None:
    records = [r for r in story_records() if r.key != ("revenue_dashboard",)]
    raw = dataclasses.replace(records[0], columns=records[0].columns + cols("notes:varchar"))
    g = LineageGraph.from_records([raw, *records[1:]])
    report = analyze_impact(g, "raw_orders", [ColumnDropped("notes")])
    assert report.impacted == ()
    assert report.risk is RiskLevel.NONE
    assert report.exit_code() == 0
    assert report.exit_code(Severity.WARNING) == 0


# --- references only in clauses -------------------------------------------------------------


@pytest.mark.parametrize("clause", [Clause.FILTER, Clause.JOIN, Clause.GROUP, Clause.HAVING])
def test_reference_only_in_a_clause_breaks(clause: Clause) -> None:
    child = AssetLineage(
        key=("child",),
        upstream=(("raw",),),
        columns=cols("a"),
        column_deps={"a": (dep("raw", "a"),)},
        reads=(read("raw", "b", clause),),
    )
    report = analyze_impact(small(RAW, child), "raw", [ColumnDropped("b")])
    (ref,) = report.get("child").references
    assert ref.usage is Usage(clause.value)
    assert ref.severity is Severity.BREAKING
    assert ref.column.display() == "raw.b"
    # a type change of a filtered column is only a warning
    report = analyze_impact(small(RAW, child), "raw", [ColumnTypeChanged("b", "varchar")])
    assert sev(report, "child") == "warning"


# --- pass-through chains --------------------------------------------------------------------


def chain(kind_b_c=I) -> LineageGraph:
    b = AssetLineage(
        key=("b",), upstream=(("raw",),), columns=cols("a"), column_deps={"a": (dep("raw", "a"),)}
    )
    c_col = "a" if kind_b_c is I else "a2"
    c = AssetLineage(
        key=("c",),
        upstream=(("b",),),
        columns=cols(c_col),
        column_deps={c_col: (dep("b", "a", kind_b_c),)},
    )
    d = AssetLineage(
        key=("d",),
        upstream=(("c",),),
        columns=cols("x"),
        column_deps={"x": (dep("c", c_col, T),)},
        reads=(read("c", c_col, Clause.FILTER),),
    )
    e = AssetLineage(
        key=("e",), upstream=(("d",),), columns=cols("y"), column_deps={"y": (dep("d", "x", A),)}
    )
    return small(RAW, b, c, d, e)


def test_identity_chain_carries_the_name_fate() -> None:
    report = analyze_impact(chain(), "raw", [ColumnRenamed("a", "z")])
    assert {a.key[-1]: a.severity.label for a in report.impacted} == {
        "b": "breaking",
        "c": "breaking",
        "d": "breaking",  # refers to c.a (a pass-through of raw.a) by name
        "e": "warning",  # derives from d.x, a transformation
    }
    d_refs = {(r.usage, r.output_column) for r in report.get("d").references}
    assert d_refs == {(Usage.SELECT, "x"), (Usage.FILTER, None)}
    assert report.risk is RiskLevel.HIGH  # 3 breaking


def test_alias_stops_the_name_fate() -> None:
    report = analyze_impact(chain(R), "raw", [ColumnRenamed("a", "z")])
    # c selects b.a by name (breaks) under a new name a2: downstream uses of a2 survive
    assert {a.key[-1]: a.severity.label for a in report.impacted} == {
        "b": "breaking",
        "c": "breaking",
        "d": "warning",
        "e": "warning",
    }
    assert report.risk is RiskLevel.MEDIUM


# --- SELECT * ---------------------------------------------------------------------------------


def test_select_star_with_expanded_lineage() -> None:
    star = AssetLineage(
        key=("star",),
        upstream=(("raw",),),
        columns=cols("a", "b", "c"),
        column_deps={c: (dep("raw", c),) for c in "abc"},
        star_upstreams=(("raw",),),
    )
    user = AssetLineage(
        key=("user",),
        upstream=(("star",),),
        columns=cols("b"),
        column_deps={"b": (dep("star", "b"),)},
    )
    report = analyze_impact(small(RAW, star, user), "raw", [ColumnDropped("b")])
    assert sev(report, "star") == "warning"
    assert report.get("star").references[0].usage is Usage.SELECT_STAR
    assert sev(report, "user") == "breaking"  # b disappears from star's output too
    added = analyze_impact(small(RAW, star, user), "raw", [ColumnAdded("d", "int")])
    assert {a.key[-1]: a.severity.label for a in added.impacted} == {"star": "warning"}
    assert added.risk is RiskLevel.LOW and added.exit_code() == 0
    assert added.exit_code(Severity.WARNING) == 1


def test_select_star_without_column_lineage() -> None:
    star = AssetLineage(key=("star",), upstream=(("raw",),), star_upstreams=(("raw",),))
    star2 = AssetLineage(key=("star2",), upstream=(("star",),), star_upstreams=(("star",),))
    g = small(RAW, star, star2)
    report = analyze_impact(g, "raw", [ColumnRenamed("a", "z")])
    assert sev(report, "star") == "warning"
    assert sev(report, "star2") == "warning"
    added = analyze_impact(g, "raw", [ColumnAdded("d")])
    assert [a.key[-1] for a in added.impacted] == ["star", "star2"]


# --- unknown lineage --------------------------------------------------------------------------


def test_unknown_lineage_is_a_warning_with_the_reason() -> None:
    dyn = AssetLineage(
        key=("dyn",),
        asset_type=AssetType.DAG,
        upstream=(("raw",),),
        unknowns=(Unknown("SQL built at run time"),),
        owners=("ops@example.com",),
    )
    below = AssetLineage(key=("below",), upstream=(("dyn",),))
    full = AssetLineage(
        key=("full",),
        upstream=(("raw",),),
        columns=cols("c"),
        column_deps={"c": (dep("raw", "c"),)},
    )
    report = analyze_impact(small(RAW, dyn, below, full), "raw", [ColumnDropped("a")])
    assert {a.key[-1]: a.severity.label for a in report.impacted} == {
        "dyn": "warning",
        "below": "warning",
    }
    (ref,) = report.get("dyn").references
    assert ref.usage is Usage.UNKNOWN and "SQL built at run time" in ref.reason
    assert report.owners_to_notify == ("ops@example.com",)
    assert dict((k[-1], u) for k, u in report.unknowns)["dyn"] == "SQL built at run time"
    assert report.risk is RiskLevel.LOW
    # an add does not make lineage-incomplete consumers uncertain
    assert analyze_impact(small(RAW, dyn), "raw", [ColumnAdded("z")]).impacted == ()


# --- type changes and contracts ---------------------------------------------------------------


def test_type_change_breaks_only_an_enforced_contract() -> None:
    b = AssetLineage(
        key=("b",), upstream=(("raw",),), columns=cols("a"), column_deps={"a": (dep("raw", "a"),)}
    )
    c = AssetLineage(
        key=("c",),
        upstream=(("b",),),
        columns=cols("a:integer"),
        column_deps={"a": (dep("b", "a"),)},
        contract_enforced=True,
    )
    d = AssetLineage(
        key=("d",), upstream=(("c",),), columns=cols("s"), column_deps={"s": (dep("c", "a", A),)}
    )
    g = small(RAW, b, c, d)
    report = analyze_impact(g, "raw", [ColumnTypeChanged("a", "bigint")])
    # issue 23: a widening is safe for b and d (it was a warning); the contract still breaks c
    assert {a.key[-1]: a.severity.label for a in report.impacted} == {
        "b": "none",
        "c": "breaking",
        "d": "none",
    }
    assert "contract" in report.get("c").references[0].reason
    assert "widening from int to bigint" in report.get("b").references[0].reason
    assert report.changes[0].old_type == "int"  # filled from the asset's schema
    same = analyze_impact(g, "raw", [ColumnTypeChanged("a", "INT4")])  # int4 == integer
    assert sev(same, "c") == "none"  # inside the contract: safe
    # a narrowing warns every consumer, with the reason
    narrow = analyze_impact(g, "raw", [ColumnTypeChanged("a", "smallint")])
    assert sev(narrow, "b") == "warning" and sev(narrow, "c") == "breaking"
    assert "narrowing from int to smallint" in narrow.get("b").references[0].reason


def test_a_consumer_storing_a_narrower_type_is_warned_of_its_cast() -> None:
    price = AssetLineage(
        key=("raw",), asset_type=AssetType.TABLE, columns=cols("amount:decimal(10,2)")
    )
    fct = AssetLineage(
        key=("fct",),
        upstream=(("raw",),),
        columns=cols("amount_eur:decimal(10,2)"),
        column_deps={"amount_eur": (dep("raw", "amount", EdgeKind.TRANSFORMATION),)},
    )
    g = small(price, fct)
    wider = analyze_impact(g, "raw", [ColumnTypeChanged("amount", "decimal(12,2)")])
    (ref,) = wider.get("fct").references
    assert ref.severity is Severity.WARNING
    assert ref.reason.startswith(
        "amount_eur derives from raw.amount, recorded as decimal(10,2): narrowing from "
        "decimal(12,2) to decimal(10,2): values of 9 or more integer digits overflow"
    )
    assert wider.risk is RiskLevel.LOW
    # a narrowing of the source warns; a same-type respelling is safe, and so is the report
    narrower = analyze_impact(g, "raw", [ColumnTypeChanged("amount", "decimal(9,2)")])
    assert sev(narrower, "fct") == "warning"  # decimal(10,2) -> (9,2) narrows the source itself
    safe = analyze_impact(g, "raw", [ColumnTypeChanged("amount", "numeric(10,2)")])
    assert sev(safe, "fct") == "none" and safe.risk is RiskLevel.NONE


# --- table changes ----------------------------------------------------------------------------


def test_table_rename_breaks_direct_consumers_only() -> None:
    report = analyze_impact(chain(), "raw", [TableRenamed("raw_v2")])
    # issue 16 item 4: the assets below a direct consumer are warned (they stop being built until
    # the reference is updated); only the direct consumer breaks (this was {"b": "breaking"})
    assert {a.key[-1]: a.severity.label for a in report.breaking} == {"b": "breaking"}
    assert {a.key[-1] for a in report.warnings} == {"c", "d", "e"}
    assert report.get("b").references[0].usage is Usage.TABLE


def test_table_rename_weighs_like_a_drop_for_exposures_and_owners() -> None:
    rename = analyze_impact(story_graph(), "raw_orders", [TableRenamed("orders_v2")])
    drop = analyze_impact(story_graph(), "raw_orders", [TableDropped()])
    assert rename.risk is drop.risk is RiskLevel.HIGH
    assert {a.key for a in rename.impacted} == {a.key for a in drop.impacted}
    assert rename.owners_to_notify == drop.owners_to_notify == ("finance-analytics@example.com",)
    assert [a.key[-1] for a in rename.exposures] == ["revenue_dashboard"]
    assert "breaks until its reference to raw_orders is updated" in (
        rename.get("revenue_dashboard").references[0].reason
    )


def test_table_drop_breaks_direct_consumers_and_follows_columns() -> None:
    exposure = AssetLineage(
        key=("dash",), asset_type=AssetType.DBT_EXPOSURE, upstream=(("raw",),), owners=("bi@x",)
    )
    g = LineageGraph.from_records([*chain().records(), exposure])
    report = analyze_impact(g, "raw", [TableDropped()])
    assert {a.key[-1]: a.severity.label for a in report.impacted} == {
        "b": "breaking",
        "dash": "breaking",
        "c": "breaking",
        "d": "breaking",
        "e": "warning",
    }
    assert report.risk is RiskLevel.HIGH
    assert any("exposure dash breaks" in r for r in report.risk_reasons)


# --- risk weighting and the caller's predicate -----------------------------------------------


def test_risk_weighs_criticality_and_exposures() -> None:
    b = AssetLineage(
        key=("b",), upstream=(("raw",),), columns=cols("a"), column_deps={"a": (dep("raw", "a"),)}
    )
    assert analyze_impact(small(RAW, b), "raw", [ColumnDropped("a")]).risk is RiskLevel.MEDIUM
    crit = dataclasses.replace(b, tags={"criticality": "high"})
    assert analyze_impact(small(RAW, crit), "raw", [ColumnDropped("a")]).risk is RiskLevel.HIGH
    dash = AssetLineage(key=("dash",), asset_type=AssetType.DBT_EXPOSURE, upstream=(("b",),))
    r = analyze_impact(small(RAW, b, dash), "raw", [ColumnDropped("a")])
    assert r.risk is RiskLevel.HIGH and sev(r, "dash") == "warning"
    # warnings only, even on a critical asset: low (README: "low: warnings only"), the critical
    # asset named in the reasons (issue 16 item 5; this assertion was MEDIUM before)
    crit_t = dataclasses.replace(crit, column_deps={"a": (dep("raw", "a", T),)})
    r = analyze_impact(small(RAW, crit_t), "raw", [ColumnTypeChanged("a", "text")])
    assert r.risk is RiskLevel.LOW
    assert any("critical" in reason for reason in r.risk_reasons)


def test_is_breaking_predicate_overrides() -> None:
    g = story_graph()
    changes = [ColumnRenamed("order_total", "total_amount")]
    lenient = analyze_impact(
        g, "raw_orders", changes, is_breaking=lambda ref: ref.asset == ("stg_orders",)
    )
    assert [a.key[-1] for a in lenient.breaking] == ["stg_orders"]
    # the exposure sits downstream of the (still) breaking stg_orders
    assert lenient.risk is RiskLevel.HIGH
    assert lenient.risk_reasons == (
        "exposure revenue_dashboard depends on breaking asset stg_orders",
    )
    strict = analyze_impact(g, "raw_orders", changes, is_breaking=lambda ref: True)
    assert sev(strict, "customer_ltv_model") == "breaking"


# --- bad input --------------------------------------------------------------------------------


def test_bad_input_errors() -> None:
    g = story_graph()
    with pytest.raises(UnknownAssetError, match="Did you mean: raw_orders"):
        analyze_impact(g, "raw_order", [ColumnDropped("status")])
    with pytest.raises(UnknownColumnError, match="order_totl.*Did you mean: order_total"):
        analyze_impact(g, "raw_orders", [ColumnDropped("order_totl")])
    with pytest.raises(ChangeSpecError, match="already has a column status"):
        analyze_impact(g, "raw_orders", [ColumnRenamed("order_total", "status")])
    with pytest.raises(ChangeSpecError, match="already has it"):
        analyze_impact(g, "raw_orders", [ColumnAdded("status")])
    with pytest.raises(ChangeSpecError, match="changed twice"):
        analyze_impact(g, "raw_orders", [ColumnDropped("status"), ColumnRenamed("STATUS", "s")])
    with pytest.raises(ChangeSpecError, match="no changes"):
        analyze_impact(g, "raw_orders", [])


def test_case_insensitive_column_and_report_helpers() -> None:
    report = analyze_impact(story_graph(), "raw_orders", [ColumnDropped("LEGACY_DISCOUNT_CODE")])
    assert report.changes == (ColumnDropped("legacy_discount_code"),)
    assert {r.asset[-1] for r in report.references_to("legacy_discount_code")} == {
        "stg_orders",
        "fct_orders",
    }
    assert all(a.severity >= Severity.WARNING for a, _ in report.walk())


def test_validate_off_for_a_graph_showing_the_new_schema() -> None:
    # the graph already shows stg's new column; the change is relative to the old schema
    b = AssetLineage(
        key=("b",),
        upstream=(("raw",),),
        columns=cols("z"),
        column_deps={"z": (dep("raw", "a", R),)},
    )
    c = AssetLineage(
        key=("c",), upstream=(("b",),), columns=cols("a"), column_deps={"a": (dep("b", "a"),)}
    )
    g = small(RAW, b, c)
    with pytest.raises(UnknownColumnError):
        analyze_impact(g, "b", [ColumnRenamed("a", "z")])
    report = analyze_impact(g, "b", [ColumnRenamed("a", "z")], validate=False)
    assert sev(report, "c") == "breaking"


def test_tables_that_keep_data_say_what_to_do_after_a_destructive_change() -> None:
    inc = AssetLineage(
        key=("inc",),
        upstream=(("raw",),),
        columns=cols("a"),
        column_deps={"a": (dep("raw", "a"),)},
        tags={"dbt_materialized": "incremental", "dbt_on_schema_change": "sync_all_columns"},
    )
    snap = AssetLineage(
        key=("snap",),
        asset_type=AssetType.DBT_SNAPSHOT,
        upstream=(("raw",),),
        columns=cols("a"),
        column_deps={"a": (dep("raw", "a"),)},
    )
    g = small(RAW, inc, snap)
    report = analyze_impact(g, "raw", [ColumnRenamed("a", "a2")])
    [inc_action] = report.get("inc").actions
    assert "sync_all_columns" in inc_action and "--full-refresh --select inc" in inc_action
    assert "history affected" in report.get("snap").actions[0]
    assert "To do (tables that keep data)" in render_text(report)
    assert report.to_dict()["affected_assets"][0]["actions"]
    # a widening is not destructive: nothing to rebuild
    widen = analyze_impact(g, "raw", [ColumnTypeChanged("a", "bigint")])
    assert widen.actions == ()
