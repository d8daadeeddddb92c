"""Every case under tests/fixtures/sql/*.yaml: expected lineage written from SQL semantics.

A case file holds ``sql``, ``dialect``, ``schema`` and ``expected``:

- ``columns``: output column -> list of ``"table.column kind"`` (order of the keys = output order);
- ``reads``: list of ``"table.column clause"`` (exact set; empty when absent);
- ``tables`` / ``star_tables`` / ``target``: compared when present;
- ``unknowns``: list of substrings; there must be exactly that many unknowns, each matching one;
- ``indirect``: output column -> list of ``"table.column clause"`` (its indirect inputs; columns
  not listed have none), compared when present.

``script: true`` traces the SQL as a script (``script_lineage``: every statement, composed);
``judge: duckdb`` also lets DuckDB bind the statement and compares its output column names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dagster_lineage.sql.lineage import script_lineage, statement_lineage

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sql"
CASES = sorted(FIXTURES.glob("*.yaml"))


def _split(text: str) -> tuple[str, str, str]:
    ref, _, kind = text.strip().rpartition(" ")
    table, _, column = ref.rpartition(".")
    return table, column, kind


def _load(path: Path) -> dict[str, Any]:
    with path.open() as f:
        data = yaml.safe_load(f)
    assert isinstance(data, dict) and "sql" in data and "expected" in data, path.name
    return data


def test_enough_cases() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture(path: Path) -> None:
    case = _load(path)
    expected = case["expected"]
    trace = script_lineage if case.get("script") else statement_lineage
    lin = trace(
        case["sql"], dialect=case.get("dialect"), schema=case.get("schema"), source=path.name
    )
    if case.get("script"):
        lin = lin.lineage

    if "columns" in expected:
        want_cols = expected["columns"] or {}
        assert list(lin.column_names) == [str(k) for k in want_cols], "output columns"
        for col in lin.columns:
            got = {(s.table, s.column, s.kind.value) for s in col.sources}
            want = {_split(e) for e in (want_cols[col.name] or [])}
            assert got == want, f"sources of {col.name}"

    got_reads = {(r.table, r.column, r.clause.value) for r in lin.reads}
    want_reads = {_split(e) for e in (expected.get("reads") or [])}
    assert got_reads == want_reads, "reads"

    for key in ("tables", "star_tables"):
        if key in expected:
            assert set(getattr(lin, key)) == set(expected[key] or []), key
    if "target" in expected:
        assert lin.target == expected["target"], "target"
    if "types" in expected:
        assert {c.name: c.data_type for c in lin.columns} == expected["types"], "types"

    want_unknowns = expected.get("unknowns") or []
    reasons = [u.reason for u in lin.unknowns]
    assert len(reasons) == len(want_unknowns), f"unknowns: {reasons}"
    for sub in want_unknowns:
        assert any(sub in r for r in reasons), f"no unknown matching {sub!r} in {reasons}"

    if "indirect" in expected:
        got_ind = {
            c.name: {(r.table, r.column, r.clause.value) for r in c.indirect}
            for c in lin.columns
            if c.indirect
        }
        want_ind = {
            str(k): {_split(e) for e in v} for k, v in (expected["indirect"] or {}).items() if v
        }
        assert got_ind == want_ind, "indirect"


JUDGED = [p for p in CASES if _load(p).get("judge") == "duckdb"]


@pytest.mark.parametrize("path", JUDGED, ids=[p.stem for p in JUDGED])
def test_duckdb_judges_output_columns(path: Path) -> None:
    """DuckDB binds the statement: its output (or written) column names and order are ours."""
    duckdb = pytest.importorskip("duckdb")
    case = _load(path)
    con = duckdb.connect(":memory:")
    for table, cols in (case.get("schema") or {}).items():
        parts = str(table).split(".")
        if len(parts) > 1:
            con.execute(f"create schema if not exists {parts[-2]}")
        body = ", ".join(f"{c} {t or 'varchar'}" for c, t in cols.items())
        con.execute(f"create table {'.'.join(parts[-2:])} ({body})")
    for stmt in case.get("setup") or []:
        con.execute(stmt)
    lin = statement_lineage(case["sql"], dialect="duckdb", schema=case.get("schema"))
    if lin.target is None:
        names = [row[0] for row in con.execute(f"describe {case['sql']}").fetchall()]
        assert list(lin.column_names) == names
    else:
        con.execute(case["sql"])
        names = [row[0] for row in con.execute(f"describe {lin.target}").fetchall()]
        if "judge_written" in case:  # MERGE/UPDATE: the columns written, each a target column
            assert set(lin.column_names) == set(case["judge_written"]) <= set(names)
        else:
            assert list(lin.column_names) == names
