"""Every case under tests/fixtures/sql/*.yaml: expected lineage written from SQL semantics.

A case file holds ``sql``, ``dialect``, ``schema`` and ``expected``:

- ``columns``: output column -> list of ``"table.column kind"`` (order of the keys = output order);
- ``reads``: list of ``"table.column clause"`` (exact set; empty when absent);
- ``tables`` / ``star_tables`` / ``target``: compared when present;
- ``unknowns``: list of substrings; there must be exactly that many unknowns, each matching one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dagster_lineage.sql.lineage import statement_lineage

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
    lin = statement_lineage(
        case["sql"], dialect=case.get("dialect"), schema=case.get("schema"), source=path.name
    )

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
