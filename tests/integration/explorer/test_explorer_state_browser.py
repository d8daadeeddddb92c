"""``serve --state HEAD --base BASE``: the explorer of a state file, with the diff view, in a browser.

The judge is ``dagster-lineage diff --format json`` run for real on the same two state files.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path

from dagster_lineage.core.model import (
    AssetLineage,
    AssetType,
    ColumnDep,
    ColumnInfo,
    ColumnRef,
    EdgeKind,
)
from dagster_lineage.state.lineage_state import LineageState, write_state
from tests.browser import chromium

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def _states(tmp: Path) -> tuple[Path, Path]:
    raw = AssetLineage(
        key=("raw",),
        asset_type=AssetType.TABLE,
        columns=(ColumnInfo("amount", "decimal(10,2)"), ColumnInfo("id", "int")),
    )

    def stg(name: str) -> AssetLineage:
        return AssetLineage(
            key=("stg",),
            asset_type=AssetType.DBT_MODEL,
            upstream=(("raw",),),
            columns=(ColumnInfo(name, "decimal(10,2)"), ColumnInfo("id", "int")),
            column_deps={
                name: (ColumnDep(ColumnRef(("raw",), "amount"), EdgeKind.RENAME),),
                "id": (ColumnDep(ColumnRef(("raw",), "id")),),
            },
            code_checksum=f"c-{name}",
        )

    report = AssetLineage(
        key=("report",),
        asset_type=AssetType.DAG,
        upstream=(("stg",),),
        columns=(ColumnInfo("total"),),
        column_deps={"total": (ColumnDep(ColumnRef(("stg",), "total"), EdgeKind.AGGREGATION),)},
    )
    base, head = tmp / "base.json", tmp / "head.json"
    write_state(LineageState.from_records([raw, stg("total"), report], project="p"), base)
    write_state(LineageState.from_records([raw, stg("total_amount"), report], project="p"), head)
    return base, head


def test_state_file_and_diff_view(tmp_path: Path) -> None:
    base, head = _states(tmp_path)
    cli = subprocess.run(
        [str(BIN / "dagster-lineage"), "diff", "--base", str(base), "--head", str(head)]
        + ["--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cli.returncode in (0, 1), cli.stderr
    expected = [[a["asset"], a["status"]] for a in json.loads(cli.stdout)["changed_assets"]]
    assert ["stg", "modified"] in expected
    serve = subprocess.Popen(
        [str(BIN / "dagster-lineage"), "serve", "--state", str(head), "--base", str(base)]
        + ["--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    out = serve.stdout
    assert out is not None
    threading.Thread(target=lambda: [lines.put(x) for x in out], daemon=True).start()
    try:
        first = lines.get(timeout=300)
        url = first.split("at ", 1)[1].split()[0]
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1500, "height": 850})
            page.goto(url + "#asset=stg")
            page.wait_for_selector("body[data-ready='1']", timeout=30_000)
            page.wait_for_selector("#diff-table", timeout=30_000)
            shown = page.eval_on_selector_all(
                "#diff-table tbody tr", "els => els.map(e => [e.dataset.asset, e.dataset.status])"
            )
            assert shown == expected
            assert "diff-modified" in (page.get_attribute(".node[data-key='stg']", "class") or "")
            # the head state's lineage: the renamed column is traced from the state file
            page.click("[data-col='stg.total_amount']")
            page.wait_for_selector(".col.hl-up[data-col='raw.amount']", timeout=15_000)
    finally:
        serve.terminate()
        serve.wait(timeout=30)


def test_base_without_state_is_one_line_exit_2(tmp_path: Path) -> None:
    base, _ = _states(tmp_path)
    proc = subprocess.run(
        [str(BIN / "dagster-lineage"), "serve", "--base", str(base), "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "--state" in proc.stderr
