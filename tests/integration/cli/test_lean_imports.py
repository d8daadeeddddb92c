"""A ``--state`` answer, ``diff`` of two state files and ``--help`` import no heavy tool (issue 20).

Each command runs as the user runs it (``python -m dagster_lineage.cli ...`` in a fresh process)
under ``python -X importtime``, which lists every module the process imports; none may belong to
Dagster, dagster-dbt, dbt, Airflow, pyspark or DuckDB.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from dagster_lineage.core.model import (
    AssetLineage,
    AssetType,
    ColumnDep,
    ColumnInfo,
    ColumnRef,
    EdgeKind,
)
from dagster_lineage.state.lineage_state import LineageState, write_state

HEAVY = ("dagster", "dagster_dbt", "dbt", "airflow", "pyspark", "duckdb")
_IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$")

RAW = AssetLineage(
    key=("raw_orders",),
    asset_type=AssetType.TABLE,
    columns=(ColumnInfo("order_id", "int"), ColumnInfo("order_total", "double")),
    code_checksum="raw-1",
)
STG = AssetLineage(
    key=("stg_orders",),
    asset_type=AssetType.DBT_MODEL,
    upstream=(("raw_orders",),),
    columns=(ColumnInfo("order_id", "int"), ColumnInfo("amount", "double")),
    column_deps={
        "order_id": (ColumnDep(ColumnRef(("raw_orders",), "order_id")),),
        "amount": (ColumnDep(ColumnRef(("raw_orders",), "order_total"), EdgeKind.RENAME),),
    },
    code_checksum="stg-1",
)
FCT = AssetLineage(
    key=("fct_orders",),
    asset_type=AssetType.DBT_MODEL,
    upstream=(("stg_orders",),),
    columns=(ColumnInfo("amount", "double"),),
    column_deps={"amount": (ColumnDep(ColumnRef(("stg_orders",), "amount")),)},
    code_checksum="fct-1",
)


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A base state and a head state whose ``stg_orders`` renames ``amount`` to ``total``."""
    folder = tmp_path_factory.mktemp("lean")
    base, head = folder / "base.json", folder / "head.json"
    write_state(LineageState.from_records([RAW, STG, FCT], project="demo"), base)
    renamed = dataclasses.replace(
        STG,
        columns=(ColumnInfo("order_id", "int"), ColumnInfo("total", "double")),
        column_deps={"order_id": STG.column_deps["order_id"], "total": STG.column_deps["amount"]},
        code_checksum="stg-2",
    )
    write_state(LineageState.from_records([RAW, renamed, FCT], project="demo"), head)
    return base, head


def imported(stderr: str) -> set[str]:
    """Top-level packages of every module listed by ``-X importtime``."""
    out = set()
    for line in stderr.splitlines():
        m = _IMPORT_LINE.match(line)
        if m:
            out.add(m.group(1).split(".")[0])
    return out


def run_cli(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dagster_lineage.cli", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_lean(stderr: str) -> None:
    mods = imported(stderr)
    assert "dagster_lineage" in mods, "importtime output not parsed"
    assert not mods & set(HEAVY), sorted(mods & set(HEAVY))


@pytest.mark.parametrize(
    ("argv", "rc", "expect"),
    [
        (["--help"], 0, "openlineage"),
        (["graph", "raw_orders", "--state", "{base}"], 0, "[DBT_MODEL] stg_orders"),
        (["graph", "--list", "--format", "json", "--state", "{base}"], 0, '"fct_orders"'),
        (
            ["graph", "raw_orders", "--column", "order_total", "--state", "{base}"],
            0,
            "raw_orders.order_total -> stg_orders.amount  (rename)",
        ),
        (
            ["impact", "stg_orders", "--drop", "amount", "--state", "{base}"],
            1,
            "fct_orders (dbt_model)  breaking",
        ),
        (["diff", "--base", "{base}", "--head", "{head}"], 1, "renamed amount -> total"),
        (["diff", "--base", "{base}", "--head", "{head}", "--format", "json"], 1, '"breaking"'),
        (["openlineage", "-o", "{out}", "--state", "{base}"], 0, "wrote"),
        (["docs", "-o", "{out}", "--state", "{head}", "--base", "{base}"], 0, "3 assets"),
        (["graph", "no_such_asset", "--state", "{base}"], 2, ""),
    ],
)
def test_state_answers_import_no_heavy_tool(
    states: tuple[Path, Path], tmp_path: Path, argv: list[str], rc: int, expect: str
) -> None:
    base, head = states
    args = [a.format(base=base, head=head, out=tmp_path / "out") for a in argv]
    p = run_cli(tmp_path, *args)
    assert p.returncode == rc, p.stderr[-2000:]
    assert expect in p.stdout
    assert "Traceback" not in p.stderr
    assert_lean(p.stderr)


def test_serve_state_imports_no_heavy_tool(states: tuple[Path, Path], tmp_path: Path) -> None:
    base, head = states
    log = tmp_path / "stderr.txt"  # a file, not a pipe: a full pipe would block the server
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "dagster_lineage.cli", "serve"]
            + ["--state", str(head), "--base", str(base), "--port", "0"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        url = re.search(r"http://\S+/", first)
        assert url, first
        with urllib.request.urlopen(url.group(0) + "api/assets", timeout=30) as r:
            keys = {a["key"] for a in json.load(r)["assets"]}
        assert keys == {"raw_orders", "stg_orders", "fct_orders"}
        body = json.dumps(
            {"asset": "raw_orders", "changes": [{"type": "column_drop", "column": "order_total"}]}
        )
        req = urllib.request.Request(
            url.group(0) + "api/impact", data=body.encode(), method="POST"
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert_lean(log.read_text())
