"""``dagster-lineage openlineage`` on the example: events posted to a loopback receiver, validated
with the OpenLineage client's own models, carrying ``fct_orders.order_total``'s edges."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.integration.openlineage.receiver import Receiver, to_model

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_LINEAGE_", "OPENLINEAGE"))
    }
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    env.update(
        DAGSTER_LINEAGE_EXAMPLE_STATE=str(tmp_path / "state"),
        DAGSTER_HOME=str(home),
        NO_PROXY="127.0.0.1",
        no_proxy="127.0.0.1",
    )
    return env


def _by_job(events: list[dict]) -> dict[str, dict]:
    return {e["job"]["name"]: e for e in events if "job" in e}


def test_example_export_posts_valid_events_with_order_total_edges(
    tmp_path: Path, receiver: Receiver
) -> None:
    env = _env(tmp_path)
    out = subprocess.run(
        [
            str(BIN / "dagster-lineage"),
            "openlineage",
            "--url",
            receiver.url,
            "-m",
            "example_project.definitions",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert receiver.paths and set(receiver.paths) == {"/api/v1/lineage"}
    assert f"sent {len(receiver.events)} OpenLineage events" in out.stdout
    models = [to_model(e) for e in receiver.events]  # every event is a valid client model
    kinds = {type(m).__name__ for m in models}
    assert kinds == {"DatasetEvent", "JobEvent"}

    # Tables are named as the dbt OpenLineage integration names them for dbt-duckdb.
    namespace = f"duckdb://{tmp_path / 'state' / 'warehouse.duckdb'}"
    datasets = {
        (e["dataset"]["namespace"], e["dataset"]["name"]) for e in receiver.events if "dataset" in e
    }
    for table in ("raw_orders", "stg_orders", "fct_orders"):
        assert (namespace, f"warehouse.main.{table}") in datasets

    jobs = _by_job(receiver.events)
    fct = jobs["fct_orders"]
    assert [(d["namespace"], d["name"]) for d in fct["inputs"]] == [
        (namespace, "warehouse.main.stg_orders")
    ]
    [output] = fct["outputs"]
    assert (output["namespace"], output["name"]) == (namespace, "warehouse.main.fct_orders")
    schema = {f["name"] for f in output["facets"]["schema"]["fields"]}
    assert {"order_total", "net_revenue", "status"} <= schema
    lineage = output["facets"]["columnLineage"]
    [order_total] = lineage["fields"]["order_total"]["inputFields"]
    assert (order_total["name"], order_total["field"]) == (
        "warehouse.main.stg_orders",
        "order_total",
    )
    assert [(t["type"], t["subtype"]) for t in order_total["transformations"]] == [
        ("DIRECT", "IDENTITY")
    ]
    net = {
        i["field"]: i["transformations"] for i in lineage["fields"]["net_revenue"]["inputFields"]
    }
    assert net["order_total"][0]["subtype"] == "TRANSFORMATION"
    # fct_orders filters on status: an INDIRECT FILTER edge on the whole dataset
    filters = {
        (i["field"], t["subtype"])
        for i in lineage["dataset"]
        for t in i["transformations"]
        if t["type"] == "INDIRECT"
    }
    assert ("status", "FILTER") in filters

    # downstream: the Airflow DAG sums fct_orders.order_total (AGGREGATION), groups by date
    report = jobs["daily_revenue_report"]
    assert (namespace, "warehouse.main.fct_orders") in {
        (d["namespace"], d["name"]) for d in report["inputs"]
    }
    report_lineage = report["outputs"][0]["facets"]["columnLineage"]
    revenue = {
        (i["name"], i["field"]): [(t["type"], t["subtype"]) for t in i["transformations"]]
        for i in report_lineage["fields"]["revenue"]["inputFields"]
    }
    assert revenue[("warehouse.main.fct_orders", "order_total")] == [("DIRECT", "AGGREGATION")]
    indirect = {
        (i["field"], t["subtype"]) for i in report_lineage["dataset"] for t in i["transformations"]
    }
    assert ("status", "FILTER") in indirect


def _tiny_location(tmp_path: Path) -> Path:
    path = tmp_path / "tiny_defs.py"
    path.write_text(
        "import dagster as dg\n"
        "from dagster_lineage.core.model import *\n"
        "from dagster_lineage.defs.metadata import lineage_metadata\n"
        "raw = AssetLineage(key=('raw',), asset_type=AssetType.TABLE, source_ref='raw',\n"
        "    columns=(ColumnInfo('a', 'integer'), ColumnInfo('k', 'varchar')))\n"
        "out = AssetLineage(key=('out',), upstream=(('raw',),), code_checksum='c1',\n"
        "    columns=(ColumnInfo('b', 'integer'),),\n"
        "    column_deps={'b': (ColumnDep(ColumnRef(('raw',), 'a'), EdgeKind.RENAME),)},\n"
        "    indirect_deps={'b': (ColumnRead(ColumnRef(('raw',), 'k'), Clause.WINDOW),)},\n"
        "    reads=(ColumnRead(ColumnRef(('raw',), 'k'), Clause.ORDER),))\n"
        "defs = dg.Definitions(assets=[\n"
        "    dg.AssetSpec('raw', metadata=lineage_metadata(raw)),\n"
        "    dg.AssetSpec('out', deps=['raw'], metadata={**lineage_metadata(out),\n"
        "        'dagster/table_name': 'shop.public.out'}),\n"
        "])\n"
    )
    return path


def test_export_to_folder_and_indirect_edges(tmp_path: Path) -> None:
    from dagster_lineage.cli import main

    location = _tiny_location(tmp_path)
    folder = tmp_path / "events"
    rc = main(
        [
            "openlineage",
            "-o",
            str(folder),
            "-f",
            str(location),
            "--dataset-namespace",
            "postgres://db.internal:5432",
            "--database",
            "shop",
            "--schema",
            "public",
        ]
    )
    assert rc == 0
    files = sorted(folder.glob("*.json"))
    events = [json.loads(f.read_text()) for f in files]
    assert [to_model(e) is not None for e in events] == [True] * 3  # 2 datasets, 1 job
    job = _by_job(events)["out"]
    assert [(d["namespace"], d["name"]) for d in job["inputs"]] == [
        ("postgres://db.internal:5432", "shop.public.raw")
    ]
    output = job["outputs"][0]
    assert output["name"] == "shop.public.out"
    fields = {
        i["field"]: [
            (t["type"], t.get("subtype"), t.get("description")) for t in i["transformations"]
        ]
        for i in output["facets"]["columnLineage"]["fields"]["b"]["inputFields"]
    }
    assert fields == {
        "a": [("DIRECT", "IDENTITY", "rename a -> b")],
        "k": [("INDIRECT", "WINDOW", None)],
    }
    assert [
        (i["field"], [(t["type"], t["subtype"]) for t in i["transformations"]])
        for i in output["facets"]["columnLineage"]["dataset"]
    ] == [("k", [("INDIRECT", "SORT")])]
    # re-running replaces the previous export instead of mixing two
    assert main(["openlineage", "-o", str(folder), "-f", str(location)]) == 0
    assert len(list(folder.glob("*.json"))) == 3


def test_bad_input_is_one_line_exit_2(tmp_path: Path, capsys) -> None:
    from dagster_lineage.cli import main

    location = _tiny_location(tmp_path)
    assert main(["openlineage", "-f", str(location)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "-o DIR" in err[0] and "--url" in err[0]
    assert main(["openlineage", "--url", "ftp://x", "-f", str(location)]) == 2
    assert "http(s)" in capsys.readouterr().err
    # nothing listens on this loopback port: one line naming the URL, no traceback
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["openlineage", "--url", f"http://127.0.0.1:{port}", "-f", str(location)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"127.0.0.1:{port}" in err[0] and "Traceback" not in err[0]


def test_export_from_a_state_file(tmp_path: Path) -> None:
    """`--state FILE` (a `dagster-lineage snapshot`): the same graph, no code location loaded."""
    from dagster_lineage.cli import main

    location = _tiny_location(tmp_path)
    state = tmp_path / "lineage.json"
    assert main(["snapshot", "-o", str(state), "-f", str(location)]) == 0
    from_code, from_state = tmp_path / "code", tmp_path / "state"
    common = [
        "--dataset-namespace",
        "postgres://db:5432",
        "--database",
        "shop",
        "--schema",
        "public",
    ]
    assert main(["openlineage", "-o", str(from_code), "-f", str(location), *common]) == 0
    assert main(["openlineage", "-o", str(from_state), "--state", str(state), *common]) == 0
    code_events = [json.loads(f.read_text()) for f in sorted(from_code.glob("*.json"))]
    state_events = [json.loads(f.read_text()) for f in sorted(from_state.glob("*.json"))]
    for e in state_events:
        to_model(e)
    code_job, state_job = _by_job(code_events)["out"], _by_job(state_events)["out"]
    # the column lineage is the same; the state file has no `dagster/table_name`, so `out` is
    # named by its asset key there (a source table keeps its warehouse name in both)
    assert code_job["inputs"] == state_job["inputs"]
    assert [i["name"] for i in state_job["inputs"]] == ["shop.public.raw"]
    assert (
        code_job["outputs"][0]["facets"]["columnLineage"]["fields"]
        == state_job["outputs"][0]["facets"]["columnLineage"]["fields"]
    )
    assert code_job["outputs"][0]["name"] == "shop.public.out"
    assert (state_job["outputs"][0]["namespace"], state_job["outputs"][0]["name"]) == (
        "dagster",
        "out",
    )
