"""Static lineage of PySpark snippets against expected lineage written from PySpark semantics.

Each ``tests/fixtures/spark/<name>.py`` has a ``<name>.yaml`` with the expected output columns (in
order) with their source columns and edge kinds, the columns only read, the star sources, the
target and reasons that must be reported as unknown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dagster_lineage.integrations.spark.static import analyze_job_file, schema_lookup
from dagster_lineage.integrations.spark.types import SparkJobLineage, SparkOutput

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "spark"
# snippets that are not valid Python are stored as .py.txt so that linters skip them
SNIPPETS = {p.name.removesuffix(".txt").removesuffix(".py"): p for p in FIXTURES.glob("*.py*")}
CASES = sorted(SNIPPETS)


def _sql_core_ready() -> bool:
    from dagster_lineage.sql.lineage import statement_lineage

    try:
        statement_lineage("select a from t", dialect="spark")
    except NotImplementedError:
        return False
    return True


def _columns(out: SparkOutput) -> dict[str, list[list[str]]]:
    return {
        c.name: sorted([s.table, s.column, s.kind.value] for s in c.sources)
        for c in out.lineage.columns
    }


def _reads(out: SparkOutput) -> list[list[str]]:
    return sorted([r.table, r.column, r.clause.value] for r in out.lineage.reads)


def _expected_cols(spec: dict[str, Any]) -> dict[str, list[list[str]]]:
    return {str(k): sorted([str(x) for x in d] for d in v) for k, v in (spec or {}).items()}


def _all_unknowns(res: SparkJobLineage) -> list[str]:
    reasons = [u.reason for u in res.unknowns]
    for out in (res.output, *res.writes):
        if out is not None:
            reasons.extend(u.reason for u in out.lineage.unknowns)
    return reasons


def test_enough_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("name", CASES)
def test_snippet(name: str) -> None:
    expected = yaml.safe_load((FIXTURES / f"{name}.yaml").read_text())
    if expected.get("requires_sql") and not _sql_core_ready():
        pytest.skip("SQL core (statement_lineage) not available yet")
    res = analyze_job_file(
        SNIPPETS[name],
        entry=expected.get("entry", "run"),
        schema_for=schema_lookup(expected.get("schemas")),
    )

    assert sorted(
        [s.kind, s.name, *([s.format] if s.format else [])] for s in res.sources
    ) == sorted([str(x) for x in s] for s in expected["sources"])
    if expected.get("no_output"):
        assert res.output is None
    else:
        out = res.output
        assert out is not None, _all_unknowns(res)
        target = expected["target"]
        if target is None:
            assert out.target is None
        else:
            assert out.target is not None
            assert (out.target.kind, out.target.name) == (target["kind"], target["name"])
            if "format" in target:
                assert out.target.format == target["format"]
        want = _expected_cols(expected["columns"])
        assert list(out.lineage.column_names) == list(want), "output columns (in order)"
        assert _columns(out) == want
        assert _reads(out) == sorted([str(x) for x in r] for r in expected["reads"])
        assert sorted(out.lineage.star_tables) == sorted(expected.get("star", []))

    for wname, wspec in (expected.get("writes") or {}).items():
        matches = [w for w in res.writes if w.target is not None and w.target.name == wname]
        assert matches, f"no write to {wname}"
        assert _columns(matches[0]) == _expected_cols(wspec["columns"])
        assert list(matches[0].lineage.column_names) == list(_expected_cols(wspec["columns"]))
        assert _reads(matches[0]) == sorted([str(x) for x in r] for r in wspec.get("reads", []))

    reasons = _all_unknowns(res)
    wanted = expected.get("unknowns", [])
    for text in wanted:
        assert any(text in r for r in reasons), f"no unknown mentions {text!r}: {reasons}"
    if not wanted:
        assert reasons == [], reasons
