"""Code fingerprints: normalised SQL/Python/Jinja, dbt bases, unknowns and scheme changes (pure)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import AssetLineage, AssetType
from dagster_lineage.integrations.dbt.checksum import (
    DbtFingerprinter,
    code_checksum_for_dbt_node,
    normalise_jinja_sql,
)
from dagster_lineage.integrations.spark.checksum import job_code_checksum
from dagster_lineage.state.checksums import (
    is_unknown_checksum,
    normalise_python,
    normalise_sql,
)
from dagster_lineage.state.compare import ChangeReason, MaterializationState, compare_report

# (before, after): edits the issue reported as missed, plus others; each changes the result
CHANGING_EDITS = [
    ("select sum(x)/100 as r from t", "select sum(x)/1000 as r from t"),
    ("select price /2 as p from t", "select price /3 as p from t"),
    (
        "select count(*) as n from t where page = '/pricing'",
        "select count(*) as n from t where page = '/signup'",
    ),
    ("select x * 0.9 as v from t", "select (x * 0.9)/100 as v from t"),
    ("select x - 1 as v from t", "select x + 1 as v from t"),
    ("select x as v from t where x > 1", "select x as v from t where x >= 1"),
]
# (before, after): formatting and comments only; same result
NEUTRAL_EDITS = [
    ("select sum(x)/100 as r from t", "SELECT\n    SUM(x) / 100 AS r -- ratio\nFROM t"),
    ("select x as v from t where x > 1", "/* header */ select x as v\n\tfrom t\n  where x > 1"),
    ("select 'a -- not a comment' as s", "select   'a -- not a comment'   as s  -- a comment"),
]


@pytest.fixture
def table() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "create table t as select * from (values (1, 10.0, 7, '/pricing'), (2, 250.0, 3, "
        "'/signup'), (3, 33.0, 9, '/pricing')) v(x, price, y, page)"
    )
    return con


def _run(con: duckdb.DuckDBPyConnection, sql: str) -> list:
    return sorted(con.execute(sql).fetchall())


@pytest.mark.parametrize(("before", "after"), CHANGING_EDITS)
def test_edits_that_change_the_result_change_the_normalised_sql(table, before, after) -> None:
    # DuckDB is the judge: the edit changes the result, and the normalised SQL keeps the meaning
    assert _run(table, before) != _run(table, after)
    a, b = normalise_sql(before, "duckdb"), normalise_sql(after, "duckdb")
    assert a.method == b.method == "sqlglot"
    assert _run(table, a.text) == _run(table, before)
    assert _run(table, b.text) == _run(table, after)
    assert a.digest != b.digest


@pytest.mark.parametrize(("before", "after"), NEUTRAL_EDITS)
def test_formatting_and_comments_do_not(table, before, after) -> None:
    assert _run(table, before) == _run(table, after)
    assert normalise_sql(before, "duckdb").text == normalise_sql(after, "duckdb").text


def test_sql_that_does_not_parse_is_normalised_by_tokens_and_says_so() -> None:
    a = normalise_sql("select from from where -- junk\n x", "duckdb")
    b = normalise_sql("SELECT FROM FROM WHERE x", "duckdb")
    assert a.method == "tokens" and a.text == b.text
    assert normalise_sql("select 1 /2 frm", "duckdb").text != normalise_sql("select 1 /3 frm").text
    exact = normalise_sql("select 'unterminated", "duckdb")
    assert exact.method == "exact" and "exact text" in (exact.note or "")


def test_absolute_paths_are_hashed_project_relative_and_copy_destinations_by_name() -> None:
    a = normalise_sql("select * from read_csv('/home/a/proj/data/x.csv')", root="/home/a/proj")
    b = normalise_sql("select * from read_csv('/srv/ci/proj/data/x.csv')", root="/srv/ci/proj")
    assert a.text == b.text and "<project>/data/x.csv" in a.text
    other = normalise_sql("select * from read_csv('/srv/ci/proj/data/y.csv')", root="/srv/ci/proj")
    assert other.text != b.text
    # a path-like literal that is not under the project stays as written
    assert "'/pricing'" in normalise_sql("select '/pricing' as p", root="/srv/ci/proj").text
    copy_a = normalise_sql("COPY t TO '/home/a/exports/t.parquet'", "duckdb")
    copy_b = normalise_sql("COPY t TO '/srv/b/exports/t.parquet'", "duckdb")
    assert copy_a.text == copy_b.text
    assert copy_a.text != normalise_sql("COPY t TO '/srv/b/exports/u.parquet'", "duckdb").text


def test_python_is_normalised_through_the_ast(tmp_path: Path) -> None:
    a = normalise_python("def run(spark):\n    return spark.range(10)  # ten\n")
    b = normalise_python("def run(spark):\n\n    return spark.range( 10 )\n")
    c = normalise_python("def run(spark):\n    return spark.range(11)\n")
    assert a.method == "ast" and a.text == b.text and a.digest != c.digest
    bad = normalise_python("def run(:\n")
    assert bad.method == "exact" and "does not parse" in (bad.note or "")
    job = tmp_path / "job.py"
    job.write_text("def run(spark):\n    return spark.range(10)\n")
    before = job_code_checksum(job, entry="run")
    job.write_text("# a comment\ndef run(spark):\n    return spark.range(10)  # ten\n")
    assert job_code_checksum(job, entry="run") == before
    job.write_text("def run(spark):\n    return spark.range(12)\n")
    assert job_code_checksum(job, entry="run") != before


def test_jinja_sql_keeps_every_token_but_no_comment() -> None:
    base = normalise_jinja_sql("select {{ ref('a') }}.x / 100 from t")
    assert (
        base.code.text
        == normalise_jinja_sql(
            "SELECT {{ref('a')}}.x/100 {# why #}\n-- sql comment\nFROM t"
        ).code.text
    )
    for edit in (
        "select {{ ref('b') }}.x / 100 from t",
        "select {{ ref('a') }}.x / 1000 from t",
        "select {{ ref('a') }}.x * 100 from t",
    ):
        assert normalise_jinja_sql(edit).code.text != base.code.text
    j = normalise_jinja_sql("{{ var('rate') }} {{ env_var('REGION', 'eu') }} {{ var(name) }}")
    assert j.vars == ("rate",) and j.env_vars == ("REGION",) and j.dynamic


def _manifest(audit_sql: str = "cast('{{ run_started_at }}' as timestamp)", rate: float = 0.9):
    return {
        "metadata": {"adapter_type": "duckdb"},
        "macros": {
            "macro.p.loaded_at": {
                "macro_sql": "{% macro loaded_at() %}" + audit_sql + "{% endmacro %}",
                "depends_on": {"macros": ["macro.p.helper"]},
            },
            "macro.p.helper": {
                "macro_sql": "{% macro helper() %}1{% endmacro %}",
                "depends_on": {},
            },
        },
        "nodes": {
            "model.p.eph": {
                "unique_id": "model.p.eph",
                "resource_type": "model",
                "raw_code": "select 1 as id",
                "compiled_code": "select 1 as id",
                "config": {"materialized": "ephemeral"},
                "depends_on": {"nodes": [], "macros": []},
            },
            "model.p.audit": {
                "unique_id": "model.p.audit",
                "resource_type": "model",
                "raw_code": "select id, {{ loaded_at() }} as at, {{ var('rate') }} as r "
                "from {{ ref('eph') }}",
                "compiled_code": "select id, cast('2026-01-01 10:00:00' as timestamp) as at, "
                f"{rate} as r from __dbt__cte__eph",
                "config": {"materialized": "table"},
                "depends_on": {"nodes": ["model.p.eph"], "macros": ["macro.p.loaded_at"]},
                "relation_name": '"w"."main"."audit"',
            },
        },
    }


def _audit_fp(manifest, **kwargs):
    return DbtFingerprinter(manifest, **kwargs).fingerprint(manifest["nodes"]["model.p.audit"])


def test_run_time_values_never_enter_the_fingerprint() -> None:
    m = _manifest()
    fp = _audit_fp(m, vars={"rate": 0.9})
    assert fp.basis == "template" and "run_started_at" in fp.notes[0]
    assert {"macro:macro.p.loaded_at", "macro:macro.p.helper", "ephemeral:model.p.eph"} <= set(
        fp.parts
    )
    # a recompile an hour later: another rendered timestamp, the same fingerprint
    later = _manifest()
    later["nodes"]["model.p.audit"]["compiled_code"] = later["nodes"]["model.p.audit"][
        "compiled_code"
    ].replace("10:00:00", "11:00:00")
    assert _audit_fp(later, vars={"rate": 0.9}).checksum == fp.checksum
    # the macro, the nested macro, the ephemeral model and the var still count
    assert (
        _audit_fp(_manifest("cast('{{ run_started_at }}' as date)"), vars={"rate": 0.9}).checksum
        != fp.checksum
    )
    nested = _manifest()
    nested["macros"]["macro.p.helper"]["macro_sql"] = "{% macro helper() %}2{% endmacro %}"
    assert _audit_fp(nested, vars={"rate": 0.9}).checksum != fp.checksum
    eph = _manifest()
    eph["nodes"]["model.p.eph"]["compiled_code"] = "select 2 as id"
    assert _audit_fp(eph, vars={"rate": 0.9}).checksum != fp.checksum
    assert _audit_fp(m, vars={"rate": 0.8}).checksum != fp.checksum


def test_no_compiled_sql_is_unknown_never_a_normal_checksum() -> None:
    node = {"resource_type": "model", "raw_code": "select 1", "config": {}}
    checksum = code_checksum_for_dbt_node(node)
    assert is_unknown_checksum(checksum) and "dbt compile failed" in checksum


def _graph(checksum: str) -> LineageGraph:
    return LineageGraph.from_records(
        [
            AssetLineage(key=("a",), asset_type=AssetType.DBT_MODEL, code_checksum=checksum),
            AssetLineage(
                key=("b",), asset_type=AssetType.DBT_MODEL, upstream=(("a",),), code_checksum="b1"
            ),
        ]
    )


def _state(key: str, code: str, scheme: str | None, storage_id: int) -> MaterializationState:
    return MaterializationState(
        key=(key,), run_id="r1", timestamp=0.0, storage_id=storage_id, code=code, code_scheme=scheme
    )


def test_scheme_change_is_one_notice_not_every_asset_changed() -> None:
    last = {("a",): _state("a", "old-a", None, 1), ("b",): _state("b", "old-b", None, 2)}
    report = compare_report(_graph("a1"), last)
    assert report.changes == ()
    assert len(report.notices) == 1
    assert report.notices[0].startswith("fingerprint scheme changed (1 -> dbt/2) for 2 assets")
    # same scheme: compared as usual
    same = {("a",): _state("a", "a0", "dbt/2", 1), ("b",): _state("b", "b1", "dbt/2", 2)}
    report = compare_report(_graph("a1"), same)
    assert {c.key_str: [r.value for r in c.reasons] for c in report.changes} == {
        "a": ["code"],
        "b": ["upstream"],
    }
    assert report.notices == ()


def test_unknown_fingerprints_are_reported_as_unknown_and_not_propagated() -> None:
    same = {("a",): _state("a", "a0", "dbt/2", 1), ("b",): _state("b", "b1", "dbt/2", 2)}
    unknown = code_checksum_for_dbt_node({"resource_type": "model"})
    report = compare_report(_graph(unknown), same)
    assert [(c.key_str, c.reasons) for c in report.changes] == [("a", (ChangeReason.UNKNOWN,))]
    assert "compile" in report.changes[0].details[0]
    # recorded unknown, now normal: unknown too (never compared)
    recorded = {("a",): _state("a", unknown, "dbt/2", 1), ("b",): _state("b", "b1", "dbt/2", 2)}
    report = compare_report(_graph("a1"), recorded)
    assert [(c.key_str, c.reasons) for c in report.changes] == [("a", (ChangeReason.UNKNOWN,))]
