"""The explorer's answers (neighbourhoods, column paths, impact) and its HTTP surface, in-process."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import (
    AssetLineage,
    AssetType,
    Clause,
    ColumnDep,
    ColumnInfo,
    ColumnRead,
    ColumnRef,
    EdgeKind,
)
from dagster_lineage.explorer.api import ApiError, Explorer
from dagster_lineage.explorer.server import ExplorerServer, make_server, static_files
from dagster_lineage.explorer.site import write_site
from dagster_lineage.impact.analysis import analyze_impact
from dagster_lineage.impact.render import render_json
from dagster_lineage.impact.schema_changes import ColumnRenamed


def ref(asset: str, column: str) -> ColumnRef:
    return ColumnRef((asset,), column)


def _graph() -> LineageGraph:
    """raw -> stg (rename, filter) -> daily (aggregation grouped by day, window rank) -> report."""
    raw = AssetLineage(
        key=("raw",),
        asset_type=AssetType.TABLE,
        columns=(ColumnInfo("amount", "decimal(10,2)"), ColumnInfo("day"), ColumnInfo("status")),
        owners=("platform@example.com",),
    )
    stg = AssetLineage(
        key=("stg",),
        asset_type=AssetType.DBT_MODEL,
        upstream=(("raw",),),
        columns=(ColumnInfo("total"), ColumnInfo("day")),
        column_deps={
            "total": (ColumnDep(ref("raw", "amount"), EdgeKind.RENAME),),
            "day": (ColumnDep(ref("raw", "day")),),
        },
        reads=(ColumnRead(ref("raw", "status"), Clause.FILTER),),
        indirect_deps={
            "total": (ColumnRead(ref("raw", "status"), Clause.FILTER),),
            "day": (ColumnRead(ref("raw", "status"), Clause.FILTER),),
        },
    )
    daily = AssetLineage(
        key=("daily",),
        asset_type=AssetType.DBT_MODEL,
        upstream=(("stg",),),
        columns=(ColumnInfo("day"), ColumnInfo("revenue"), ColumnInfo("rank")),
        column_deps={
            "day": (ColumnDep(ref("stg", "day")),),
            "revenue": (ColumnDep(ref("stg", "total"), EdgeKind.AGGREGATION),),
            "rank": (ColumnDep(ref("stg", "total"), EdgeKind.TRANSFORMATION),),
        },
        indirect_deps={
            "revenue": (ColumnRead(ref("stg", "day"), Clause.GROUP),),
            "rank": (ColumnRead(ref("stg", "day"), Clause.WINDOW),),
        },
        owners=("finance@example.com",),
    )
    report = AssetLineage(
        key=("report",),
        asset_type=AssetType.DAG,
        upstream=(("daily",),),
        columns=(ColumnInfo("revenue"),),
        column_deps={"revenue": (ColumnDep(ref("daily", "revenue")),)},
        reads=(ColumnRead(ref("daily", "day"), Clause.JOIN),),
    )
    return LineageGraph.from_records([raw, stg, daily, report])


@pytest.fixture
def explorer() -> Explorer:
    return Explorer(_graph(), kinds={("stg",): ("dbt", "duckdb")}, dagster_url="http://dg:3000/")


def _edges(answer: dict) -> set[tuple[str, str, str, bool]]:
    return {
        (
            f"{e['from']['asset']}.{e['from']['column']}",
            f"{e['to']['asset']}.{e['to']['column']}",
            e["kind"],
            e["indirect"],
        )
        for e in answer["edges"]
    }


def test_column_lineage_direct_and_indirect_edges(explorer: Explorer) -> None:
    answer = explorer.column_lineage("stg", "total")
    assert _edges(answer) == {
        ("raw.amount", "stg.total", "rename", False),
        ("raw.status", "stg.total", "filter", True),
        ("stg.total", "daily.revenue", "aggregation", False),
        ("stg.total", "daily.rank", "transformation", False),
        ("daily.revenue", "report.revenue", "identity", False),
    }
    # the paths agree with the graph's own traversal (the CLI's `graph --column`)
    assert {tuple(p["path"]) for p in answer["downstream"]} == {
        ("stg.total", "daily.revenue"),
        ("stg.total", "daily.rank"),
        ("stg.total", "daily.revenue", "report.revenue"),
    }
    assert sorted((p["path"], p["how"]) for p in answer["upstream"]) == [
        (["stg.total", "raw.amount"], "rename"),
        (["stg.total", "raw.status"], "indirect filter"),
    ]


def test_group_window_and_join_reads_of_a_column(explorer: Explorer) -> None:
    answer = explorer.column_lineage("stg", "day")
    edges = _edges(answer)
    assert ("stg.day", "daily.revenue", "group", True) in edges
    assert ("stg.day", "daily.rank", "window", True) in edges
    # report reads daily.day in a join and has no per-column attribution: it ends at report.*
    assert ("daily.day", "report.*", "join", True) in edges
    assert ("raw.status", "stg.day", "filter", True) in edges


def test_neighbourhood_depth_direction_and_hidden_counts(explorer: Explorer) -> None:
    near = explorer.lineage("stg", direction="both", depth=1)
    assert [a["key"] for a in near["assets"]] == ["daily", "raw", "stg"]
    by_key = {a["key"]: a for a in near["assets"]}
    assert by_key["daily"]["hidden_children"] == 1 and by_key["raw"]["hidden_parents"] == 0
    assert {(e["from"], e["to"]) for e in near["edges"]} == {("raw", "stg"), ("stg", "daily")}
    assert by_key["stg"]["kinds"] == ["dbt", "duckdb"]
    assert by_key["stg"]["dagster_url"] == "http://dg:3000/assets/stg"
    down = explorer.lineage("stg", direction="downstream", depth=None)
    assert [a["key"] for a in down["assets"]] == ["daily", "report", "stg"]
    capped = explorer.lineage("raw", direction="downstream", depth=None, limit=2)
    assert capped["truncated"] and len(capped["assets"]) == 2


def test_lineage_with_a_column_brings_the_path_assets(explorer: Explorer) -> None:
    answer = explorer.lineage("stg", depth=0, column="total")
    assert {a["key"] for a in answer["assets"]} == {"raw", "stg", "daily", "report"}
    assert answer["column"]["column"] == {"asset": "stg", "column": "total"}


def test_impact_is_the_cli_json(explorer: Explorer) -> None:
    body = {"asset": "raw", "changes": [{"type": "column_rename", "from": "amount", "to": "amt"}]}
    expected = render_json(analyze_impact(_graph(), "raw", [ColumnRenamed("amount", "amt")]))
    assert explorer.impact(body) == expected
    migration = {"sql": "ALTER TABLE raw RENAME COLUMN amount TO amt", "dialect": "postgres"}
    assert explorer.impact(migration) == expected


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ([1, 2], 400, "JSON object"),
        ({"asset": "raw"}, 400, "no changes"),
        ({"asset": "nope", "changes": [{"type": "table_drop"}]}, 404, "nope"),
        ({"asset": "raw", "changes": [{"type": "column_drop", "column": "zzz"}]}, 404, "zzz"),
        ({"asset": "raw", "changes": [{"type": "explode"}]}, 400, "unknown change type"),
        ({"asset": "raw", "sql": "ALTER TABLE ((("}, 400, "SQL"),
        ({"asset": "raw", "changes": [], "extra": 1}, 400, "extra"),
    ],
)
def test_bad_impact_requests(explorer: Explorer, body: object, status: int, needle: str) -> None:
    with pytest.raises(ApiError) as e:
        explorer.impact(body)
    assert e.value.status == status
    assert needle.lower() in e.value.message.lower()
    assert "\n" not in e.value.message


# --- HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def server(explorer: Explorer) -> Iterator[str]:
    srv = make_server(explorer, port=0)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def _post(url: str, data: bytes) -> tuple[int, str]:
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_http_api(server: str) -> None:
    status, body = _get(f"{server}/api/lineage/stg?direction=upstream&depth=1")
    assert status == 200
    assert [a["key"] for a in json.loads(body)["assets"]] == ["raw", "stg"]
    status, body = _get(f"{server}/api/lineage/stg?column=total&depth=0")
    assert status == 200 and json.loads(body)["column"]["downstream"]
    status, body = _get(f"{server}/api/assets")
    assert status == 200 and json.loads(body)["n_assets"] == 4
    payload = {"asset": "raw", "changes": [{"type": "column_drop", "column": "amount"}]}
    status, body = _post(f"{server}/api/impact", json.dumps(payload).encode())
    assert status == 200 and json.loads(body)["severity"] == "breaking"
    status, page = _get(f"{server}/")
    assert status == 200 and "static/app.js" in page


@pytest.mark.parametrize(
    ("path", "status", "needle"),
    [
        ("/api/lineage/nope", 404, "nope"),
        ("/api/lineage/stg?depth=deep", 400, "depth"),
        ("/api/lineage/stg?direction=sideways", 400, "direction"),
        ("/api/lineage/stg?colour=red", 400, "colour"),
        ("/api/lineage/stg?column=zzz", 404, "zzz"),
        ("/api/lineage/stg?limit=0", 400, "limit"),
        ("/api/lineage/", 400, "name an asset"),
        ("/api/nothing", 404, "no such endpoint"),
        ("/static/../api.py", 404, "no such file"),
    ],
)
def test_http_bad_requests_are_4xx_with_one_line(
    server: str, path: str, status: int, needle: str
) -> None:
    got, body = _get(server + path)
    assert got == status
    error = json.loads(body)["error"]
    assert needle in error and "\n" not in error and "Traceback" not in error


def test_http_bad_impact_body(server: str) -> None:
    status, body = _post(f"{server}/api/impact", b"{not json")
    assert status == 400 and "not JSON" in json.loads(body)["error"]
    status, body = _post(f"{server}/api/impact", b'{"asset": "raw"}')
    assert status == 400


def test_loopback_by_default_and_warning_elsewhere(
    explorer: Explorer, capsys: pytest.CaptureFixture[str]
) -> None:
    srv = make_server(explorer, port=0)
    assert srv.server_address[0] == "127.0.0.1"
    srv.server_close()
    assert capsys.readouterr().err == ""
    srv = make_server(explorer, host="0.0.0.0", port=0)
    srv.server_close()
    err = capsys.readouterr().err
    assert "warning" in err and "0.0.0.0" in err
    assert isinstance(srv, ExplorerServer)


def test_page_loads_nothing_from_outside() -> None:
    files = static_files()
    assert {"index.html", "app.js", "app.css", "vendor/dagre.min.js"} <= set(files)
    assert {"vendor/VENDORED.md", "vendor/LICENSE-dagre.txt"} <= set(files)
    for name in ("index.html", "app.js", "app.css"):
        text = files[name].decode()
        words = text.replace('"', " ").replace("'", " ").replace("`", " ").split()
        urls = [w for w in words if "://" in w or w.startswith(("src=//", "href=//"))]
        assert urls == ["http://www.w3.org/2000/svg"] * (name == "app.js"), (name, urls)


def test_static_site_holds_every_asset_and_column(explorer: Explorer, tmp_path: Path) -> None:
    counts = write_site(explorer, tmp_path)
    assert counts["assets"] == 4
    assert (tmp_path / "index.html").is_file() and (
        tmp_path / "static/vendor/dagre.min.js"
    ).is_file()
    assert "static" in (tmp_path / "config.js").read_text()
    index = (tmp_path / "data/index.js").read_text()
    prefix = 'window.__lineageData("index",'
    assert index.startswith(prefix)
    keys = [a["key"] for a in json.loads(index[len(prefix) : -3])["assets"]]
    stg = (tmp_path / f"data/a/{keys.index('stg')}.js").read_text()
    payload = json.loads(stg[stg.index(",") + 1 : -3])
    assert payload["detail"] == explorer.detail(("stg",))
    assert payload["consumers"]["total"] == [
        {"asset": "daily", "column": "revenue", "kind": "aggregation", "indirect": False},
        {"asset": "daily", "column": "rank", "kind": "transformation", "indirect": False},
    ]
    # a read with no per-column attribution ends at the consumer's "*"
    daily = (tmp_path / f"data/a/{keys.index('daily')}.js").read_text()
    consumers = json.loads(daily[daily.index(",") + 1 : -3])["consumers"]
    assert {"asset": "report", "column": "*", "kind": "join", "indirect": True} in consumers["day"]
