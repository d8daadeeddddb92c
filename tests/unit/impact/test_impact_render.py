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
        "policy",
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
        "on_breaking",
        "owners",
        "referenced_columns",
        "references",
        "unknowns",
        "actions",  # added in issue 23 (additive: schema version 1 still reads)
    }
    ref = dag["references"][0]
    assert ref["change"] == 0 and data["changes"][0]["type"] == "column_rename"
    assert ref["path"][-1] == "daily_revenue_report.revenue"
    assert data["exposures"] == ["revenue_dashboard"]
    # fct_orders feeds the exposure: a critical asset, blocked by default
    assert data["policy"]["action"] == "block" and data["policy"]["source"] == "critical"


def test_markdown_for_a_pull_request() -> None:
    md = render_markdown(story_report())
    assert md.startswith("## Impact analysis: `raw_orders` — risk **HIGH**")
    assert "| `daily_revenue_report` | dag | ✖ breaking | `order_total` | - |" in md
    assert "**Owners to notify:** finance-analytics@example.com" in md
    assert render_report(story_report(), "markdown") == md


def test_markdown_makes_hostile_names_inert() -> None:
    """Issue 16: HTML, @mentions, links and code fences in names reach the comment inert (judged by
    a real CommonMark/GFM renderer)."""
    from html.parser import HTMLParser

    from markdown_it import MarkdownIt

    from dagster_lineage.core.graph import LineageGraph
    from dagster_lineage.core.model import AssetLineage, ColumnDep, ColumnInfo, ColumnRef
    from dagster_lineage.impact.analysis import analyze_impact
    from dagster_lineage.impact.schema_changes import ColumnDropped

    hostile = "x<img src=y onerror=alert(1)>`|``` @team [l](http://evil.example) www.evil.example"
    raw = AssetLineage(key=("raw",), columns=(ColumnInfo(hostile),))
    child = AssetLineage(
        key=("<script>alert(1)</script>",),
        upstream=(("raw",),),
        columns=(ColumnInfo(hostile),),
        column_deps={hostile: (ColumnDep(ColumnRef(("raw",), hostile)),)},
        owners=("@org/everyone", "<b>boss</b>"),
        tags={"criticality": "<i>high</i> @all"},
    )
    md = render_markdown(
        analyze_impact(LineageGraph.from_records([raw, child]), "raw", [ColumnDropped(hostile)])
    )
    html = MarkdownIt("gfm-like", {"linkify": True, "html": True}).render(md)

    class Seen(HTMLParser):
        tags: set[str] = set()
        text_outside_code = ""
        in_code = 0

        def handle_starttag(self, tag: str, attrs: object) -> None:
            self.tags.add(tag)
            self.in_code += tag == "code"

        def handle_endtag(self, tag: str) -> None:
            self.in_code -= tag == "code"

        def handle_data(self, data: str) -> None:
            if not self.in_code:  # GitHub neither mentions nor links inside code
                self.text_outside_code += data

    seen = Seen()
    seen.feed(html)
    assert not seen.tags & {"img", "script", "b", "i", "a", "pre"}, seen.tags
    for mention in ("@team", "@org", "@all"):
        assert mention not in seen.text_outside_code
    # the table keeps its five columns: no | in a name split a cell
    rows = [line for line in html.splitlines() if line.startswith("<tr>")]
    assert rows and all(r.count("<td") in (0, 5) for r in rows)
    assert html.count("<td") == 5
