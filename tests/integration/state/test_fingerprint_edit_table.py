"""The edit table: each edit of the fixture dbt project with exactly what ``changed`` must report.

Real dbt-duckdb compiles and a real (SQLite) Dagster instance: the pristine project is compiled and
materialized once through Dagster (checksums recorded on every materialization); then each group of
edits is applied to a restored copy, compiled once, and ``changed_assets`` compares the new code
location with the recorded run. Edits are grouped only where their assets are disjoint (or where
every edit of the group must report nothing), so each asset's expected reasons still come from one
edit; every edit is a case (31 in all, listed in ``CASES``).

Assets: seeds raw_orders, raw_customers; stg_orders (view; nested macros, the inner one from the
local package); int_paid_orders (ephemeral, inlined into fct_orders; not an asset); fct_orders
(macro with a var); rpt_revenue (view); orders_incremental (incremental: ``is_incremental()``);
audit_orders (``run_started_at`` through a macro); web_pages (path-like literals, arithmetic);
region_customers (an env var); pkg_customers (a model of the local package).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_dbt import DbtProject

from dagster_lineage.defs.dbt import prepare_dbt_project
from tests.integration.state.dbt_edits import DUCKDB_ENV, EditableDbtProject

STG_DOWNSTREAM = {
    "fct_orders": {"upstream"},
    "rpt_revenue": {"upstream"},
    "orders_incremental": {"upstream"},
    "audit_orders": {"upstream"},
}

CASES = [
    # group "nothing": formatting, comments, non-result config, recompiles -> nothing changed
    "whitespace-only re-indent of stg_orders",
    "a -- comment added to stg_orders",
    "a Jinja {# comment #} added to fct_orders",
    "fct_orders reformatted (keyword case, line breaks)",
    "whitespace inside the nested macro to_dollars",
    "a comment in the ephemeral model int_paid_orders",
    "meta and tags added to rpt_revenue's config",
    "whitespace and a comment in audit_orders (run-time macro, template basis)",
    "a macro call inlined to the SQL it renders (stg_orders)",
    "a recompile later: run_started_at differs in audit_orders' compiled SQL",
    "a recompile after the incremental table exists (is_incremental() now true)",
    # another folder
    "a checkout of the unchanged project in another folder",
    # arithmetic and literal edits
    "the local package macro: / 100.0 -> / 1000.0 (reaches stg_orders through to_dollars)",
    "web_pages: count(*) /2 -> count(*) /3",
    "env var FP_REGION read by region_customers: eu -> us",
    "apply_discount macro: x * rate -> (x * rate)/100",
    "web_pages: the literal '/signup' -> '/support'",
    "audit_orders: a column added",
    # vars, run-time macro, seeds
    "dbt_project.yml var discount_rate 0.9 -> 0.8",
    "the run-time macro loaded_at: cast as timestamp -> as date",
    "a seed row edited (raw_customers.csv)",
    # ephemeral, incremental config, hooks
    "the ephemeral model's filter 'paid' -> 'refunded' (inlined into fct_orders)",
    "orders_incremental: unique_key id -> [id, status]",
    "web_pages: a post-hook added",
    # materialization, env var default
    "stg_orders: materialized view -> table",
    "region_customers: env_var default eu -> us (not set)",
    # local package model, incremental SQL
    "the local package model pkg_customers: upper(name) -> lower(name)",
    "orders_incremental: a column added to its SQL",
    # failed compile
    "dbt compile fails (the DuckDB file is locked): parse-only manifest",
    # column rename
    "pkg_customers renames region -> area (region_customers follows)",
    # vars given to prepare_dbt_project
    "prepare_dbt_project(vars={'discount_rate': 0.5})",
]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    root = tmp_path_factory.mktemp("fp_edit_table")
    project = EditableDbtProject(root)
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    instance = dg.DagsterInstance.from_config(str(home))
    manifest = project.compile()
    project.materialize(manifest, instance)
    try:
        yield project, instance, json.loads(manifest.read_text())
    finally:
        instance.dispose()


def _compiled(manifest: Path, name: str) -> str:
    nodes = json.loads(manifest.read_text())["nodes"]
    return next(n["compiled_code"] for n in nodes.values() if n["name"] == name)


def test_there_are_at_least_30_cases() -> None:
    assert len(CASES) >= 30


def test_formatting_comments_and_recompiles_change_nothing(baseline) -> None:
    project, instance, base_manifest = baseline
    project.restore()
    project.edit(
        "models/stg_orders.sql", "    id,\n    customer_id,", "  id,\n        customer_id,"
    )
    project.edit("models/stg_orders.sql", "from {{", "-- amounts in dollars\nfrom {{")
    project.edit("models/fct_orders.sql", "select\n", "select {# the paid orders #}\n")
    project.edit(
        "models/fct_orders.sql",
        "join {{ ref('pkg_customers') }} as c on",
        "JOIN\n  {{ ref('pkg_customers') }} AS c\n  ON",
    )
    project.edit(
        "macros/money.sql",
        "{{ local_pkg.cents_to_dollars(col) }}",
        "   {{ local_pkg.cents_to_dollars( col ) }}  ",
    )
    project.edit("models/int_paid_orders.sql", "where status", "-- only paid\nwhere   status")
    project.edit(
        "models/rpt_revenue.sql",
        "config(materialized='view')",
        "config(materialized='view', tags=['finance'], meta={'owner': 'fin'})",
    )
    project.edit("models/audit_orders.sql", "select id,", "-- audit\nselect\n    id,")
    project.edit(
        "models/stg_orders.sql", "{{ to_dollars('amount_cents') }}", "(amount_cents / 100.0)"
    )
    manifest = project.compile()
    # the run-time value really differs, and is_incremental() rendered its filter this time
    base_audit = next(
        n["compiled_code"] for n in base_manifest["nodes"].values() if n["name"] == "audit_orders"
    )
    assert _compiled(manifest, "audit_orders") != base_audit
    base_inc = next(
        n["compiled_code"]
        for n in base_manifest["nodes"].values()
        if n["name"] == "orders_incremental"
    )
    assert "max(id)" in _compiled(manifest, "orders_incremental")
    assert "max(id)" not in base_inc
    assert project.changed(instance, manifest) == {}


def test_checkout_in_another_folder_changes_nothing(baseline, tmp_path: Path) -> None:
    project, instance, _ = baseline
    project.restore()
    elsewhere = tmp_path / "elsewhere" / "checkout"
    shutil.copytree(
        project.project_dir,
        elsewhere,
        symlinks=False,
        ignore=shutil.ignore_patterns("target", "logs"),
    )
    manifest = project.compile(project_dir=elsewhere)
    assert project.changed(instance, manifest) == {}


def test_arithmetic_env_var_and_package_macro_edits(baseline) -> None:
    project, instance, _ = baseline
    project.restore()
    project.edit("local_pkg/macros/cents.sql", "/ 100.0", "/ 1000.0")
    project.edit("models/web_pages.sql", "count(*) /2", "count(*) /3")
    manifest = project.compile(env={"FP_REGION": "us"})
    assert project.changed(instance, manifest) == {
        "stg_orders": {"code"},
        **STG_DOWNSTREAM,
        "web_pages": {"code"},
        "region_customers": {"code"},
    }


def test_macro_arithmetic_path_literal_and_template_edits(baseline) -> None:
    project, instance, _ = baseline
    project.restore()
    project.edit(
        "macros/money.sql",
        "{{ expr }} * {{ var('discount_rate') }}",
        "({{ expr }} * {{ var('discount_rate') }})/100",
    )
    project.edit("models/web_pages.sql", "where page <> '/signup'", "where page <> '/support'")
    project.edit("models/audit_orders.sql", "as loaded_at", "as loaded_at, 1 as version")
    manifest = project.compile()
    assert project.changed(instance, manifest) == {
        "fct_orders": {"code"},
        "rpt_revenue": {"upstream"},
        "web_pages": {"code"},
        "audit_orders": {"code", "schema"},
    }


def test_var_run_time_macro_and_seed_edits(baseline) -> None:
    project, instance, _ = baseline
    project.restore()
    project.edit("dbt_project.yml", "discount_rate: 0.9", "discount_rate: 0.8")
    project.edit("macros/audit.sql", "as timestamp)", "as date)")
    project.edit("seeds/raw_customers.csv", "2,bob,us", "2,bea,us")
    manifest = project.compile()
    assert project.changed(instance, manifest) == {
        "raw_customers": {"code"},
        "pkg_customers": {"upstream"},
        "fct_orders": {"code", "upstream"},
        "rpt_revenue": {"upstream"},
        "region_customers": {"upstream"},
        # the declared schema carries no types without a catalog (sqlglot does not type the
        # cast here), so the timestamp -> date cast is a code change, not a schema change
        "audit_orders": {"code"},
    }


def test_ephemeral_incremental_config_and_hook_edits(baseline) -> None:
    project, instance, _ = baseline
    project.restore()
    project.edit("models/int_paid_orders.sql", "'paid'", "'refunded'")
    project.edit("models/orders_incremental.sql", "unique_key='id'", "unique_key=['id', 'status']")
    project.write(
        "models/web_pages.sql",
        "{{ config(post_hook='select 1') }}\n"
        + (project.project_dir / "models" / "web_pages.sql").read_text(),
    )
    manifest = project.compile()
    assert project.changed(instance, manifest) == {
        "fct_orders": {"code"},
        "rpt_revenue": {"upstream"},
        "orders_incremental": {"code"},
        "web_pages": {"code"},
    }


def test_materialization_and_env_var_default_edits(baseline) -> None:
    project, instance, _ = baseline
    project.restore()
    project.edit("models/stg_orders.sql", "materialized='view'", "materialized='table'")
    project.edit("models/region_customers.sql", '"FP_REGION", "eu"', '"FP_REGION", "us"')
    manifest = project.compile()
    assert project.changed(instance, manifest) == {
        "stg_orders": {"code"},
        **STG_DOWNSTREAM,
        "region_customers": {"code"},
    }


def test_local_package_model_and_incremental_sql_edits(baseline) -> None:
    project, instance, _ = baseline
    project.restore()
    project.edit("local_pkg/models/pkg_customers.sql", "upper(name)", "lower(name)")
    project.edit(
        "models/orders_incremental.sql", "select id, amount", "select id, customer_id, amount"
    )
    manifest = project.compile()
    assert project.changed(instance, manifest) == {
        "pkg_customers": {"code"},
        "fct_orders": {"upstream"},
        "rpt_revenue": {"upstream"},
        "region_customers": {"upstream"},
        "orders_incremental": {"code", "schema"},
    }


def test_failed_compile_reports_unknown_not_changes(baseline, tmp_path: Path) -> None:
    project, instance, _ = baseline
    project.restore()
    dbt_project = DbtProject(
        project_dir=project.project_dir, target_path=tmp_path / "target_locked"
    )
    import os

    with duckdb.connect(os.environ[DUCKDB_ENV]):  # holds the write lock: dbt compile fails
        manifest = prepare_dbt_project(dbt_project)
    nodes = json.loads(manifest.read_text())["nodes"]
    assert not any(n.get("compiled_code") for n in nodes.values())  # really only parsed
    changes = project.changed(instance, manifest)
    # compiled-basis models cannot be fingerprinted: unknown, not changed, nothing downstream;
    # the run-time ones are fingerprinted from their Jinja, and seeds from their files
    assert changes == {
        name: {"unknown"}
        for name in (
            "stg_orders",
            "pkg_customers",
            "fct_orders",
            "rpt_revenue",
            "web_pages",
            "region_customers",
        )
    }


def test_column_rename_in_the_local_package(baseline) -> None:
    project, instance, _ = baseline
    project.restore()
    project.edit("local_pkg/models/pkg_customers.sql", "region\n", "region as area\n")
    project.edit("models/region_customers.sql", "where region =", "where area =")
    manifest = project.compile()
    assert project.changed(instance, manifest) == {
        "pkg_customers": {"code", "schema"},
        "fct_orders": {"upstream"},
        "rpt_revenue": {"upstream"},
        "region_customers": {"code", "upstream"},
    }


def test_vars_given_to_prepare_dbt_project(baseline, tmp_path: Path) -> None:
    project, instance, _ = baseline
    project.restore()
    dbt_project = DbtProject(project_dir=project.project_dir, target_path=tmp_path / "t_vars")
    manifest = prepare_dbt_project(dbt_project, vars={"discount_rate": 0.5})
    assert "0.5" in _compiled(manifest, "fct_orders")
    assert project.changed(instance, manifest) == {
        "fct_orders": {"code"},
        "rpt_revenue": {"upstream"},
    }


LOCATION = """
import os

import dagster as dg

from dagster_lineage.defs.dbt import (
    DagsterDbtLineageTranslator,
    DbtLineageSettings,
    dbt_lineage_assets,
)

translator = DagsterDbtLineageTranslator(
    lineage_settings=DbtLineageSettings(cache_dir=os.environ["FP_EXPLAIN_CACHE"])
)


@dbt_lineage_assets(manifest=os.environ["FP_EXPLAIN_MANIFEST"], translator=translator)
def fp_assets(context):
    yield from ()


defs = dg.Definitions(assets=[fp_assets])
"""


def test_explain_names_the_macro_the_diff_the_columns_and_the_parent(
    baseline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from dagster_lineage.cli import main

    project, instance, _ = baseline
    project.restore()
    project.edit(
        "macros/money.sql",
        "{{ expr }} * {{ var('discount_rate') }}",
        "({{ expr }} * {{ var('discount_rate') }})/100",
    )
    project.edit("models/audit_orders.sql", "as loaded_at", "as loaded_at, 1 as version")
    manifest = project.compile()
    location = tmp_path / "location.py"
    location.write_text(LOCATION)
    monkeypatch.setenv("FP_EXPLAIN_MANIFEST", str(manifest))
    monkeypatch.setenv("FP_EXPLAIN_CACHE", str(project.cache_dir))
    home = str(project.root / "dagster_home")

    def explain(asset: str) -> tuple[int, str, str]:
        code = main(["changed", "-f", str(location), "--dagster-home", home, "--explain", asset])
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, _ = explain("fct_orders")
    assert code == 0
    assert out.splitlines()[0] == "fct_orders: code"
    # which macro changed (the model file did not), and the diff of the normalised compiled SQL
    assert "changed: macro:macro.fp_fixture.apply_discount, sql" in out
    assert "file:models/fct_orders.sql" not in out.split("---")[0]
    minus = [ln for ln in out.splitlines() if ln.strip().startswith("-") and "0.9" in ln]
    plus = [ln for ln in out.splitlines() if ln.strip().startswith("+") and "/ 100" in ln]
    assert minus and plus, out
    # schema: the column, and the template-basis model's file diff
    code, out, _ = explain("audit_orders")
    assert out.splitlines()[0] == "audit_orders: code, schema"
    assert "columns: added: version" in out
    assert "changed: template" in out
    assert "+SELECT id , {{ loaded_at ( ) }} AS loaded_at , 1 AS version" in out, out
    # upstream: which parent
    code, out, _ = explain("rpt_revenue")
    assert out.splitlines()[:2] == [
        "rpt_revenue: upstream",
        "  - upstream fct_orders changed (code)",
    ]
    # unchanged
    code, out, _ = explain("web_pages")
    assert out.startswith("web_pages: unchanged since its last successful run (run ")
    # CLI errors: one line, exit 2
    for argv in (
        ["--explain", "no_such_model"],
        ["--explain", "fct_orders", "--last-run"],
        ["--explain", " "],
    ):
        code = main(["changed", "-f", str(location), "--dagster-home", home, *argv])
        err = capsys.readouterr().err
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
