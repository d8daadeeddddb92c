from __future__ import annotations

import json

from impact_story import story_graph

from dagster_lineage.impact.analysis import REPORT_SCHEMA_VERSION, analyze_impact
from dagster_lineage.impact.render import render_json, render_markdown, render_report, render_text
from dagster_lineage.impact.schema_changes import ColumnDropped, ColumnRenamed


def story_report():
    return analyze_impact(
        story_graph(),
        "raw_orders",
        [ColumnRenamed("order_total", "total_amount"), ColumnDropped("legacy_discount_code")],
    )


def test_text_lists_assets_references_and_owners() -> None:
    text = render_text(story_report())
    lines = text.splitlines()
    assert lines[0] == "IMPACT ANALYSIS REPORT"
    assert "Risk level: HIGH" in lines
    assert "Affected assets: 5 (3 breaking, 2 warning)" in lines
    assert any(
        line.strip().startswith(
            "stg_orders (dbt_model)  breaking  references: order_total, legacy_discount_code"
        )
        for line in lines
    )
    assert "Owners to notify: finance-analytics@example.com" in lines


def test_json_schema_is_stable_and_deterministic() -> None:
    a, b = render_json(story_report()), render_json(story_report())
    assert a == b
    data = json.loads(a)
    assert data["schema_version"] == REPORT_SCHEMA_VERSION == 1
    assert set(data) == {
        "schema_version",
        "asset",
        "asset_type",
        "changes",
        "risk_level",
        "risk_reasons",
        "severity",
        "summary",
        "affected_assets",
        "exposures",
        "owners_to_notify",
        "unknowns",
    }
    assert data["summary"] == {"affected": 5, "breaking": 3, "warning": 2, "exposures": 1}
    dag = next(x for x in data["affected_assets"] if x["asset"] == "daily_revenue_report")
    assert set(dag) == {
        "asset",
        "asset_type",
        "severity",
        "distance",
        "path",
        "is_exposure",
        "criticality",
        "owners",
        "referenced_columns",
        "references",
        "unknowns",
    }
    ref = dag["references"][0]
    assert ref["change"] == 0 and data["changes"][0]["type"] == "column_rename"
    assert ref["path"][-1] == "daily_revenue_report.revenue"
    assert data["exposures"] == ["revenue_dashboard"]


def test_markdown_for_a_pull_request() -> None:
    md = render_markdown(story_report())
    assert md.startswith("## Impact analysis: `raw_orders` — risk **HIGH**")
    assert "| `daily_revenue_report` | dag | :x: breaking | `order_total` | - |" in md
    assert "**Owners to notify:** finance-analytics@example.com" in md
    assert render_report(story_report(), "markdown") == md
