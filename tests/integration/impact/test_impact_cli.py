"""``dagster-lineage impact`` on a code location carrying the story (in process; the first test also
through a real subprocess)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runner import CliResult, run_cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "impact"
LOCATION = ["-f", str(FIXTURES / "location" / "story_defs.py")]


def run(*args: str, cwd: Path | None = None, subprocess: bool = False) -> CliResult:
    # in process (fast); test_breaking_change_exits_1_with_the_story also runs the real command
    return run_cli("impact", *args, cwd=cwd, subprocess=subprocess)


@pytest.mark.parametrize("subprocess", [False, True], ids=["in_process", "subprocess"])
def test_breaking_change_exits_1_with_the_story(subprocess: bool) -> None:
    p = run(
        "raw_orders",
        "--rename",
        "order_total:total_amount",
        "--drop",
        "legacy_discount_code",
        *LOCATION,
        subprocess=subprocess,
    )
    assert p.returncode == 1, p.stderr
    assert "Risk level: HIGH" in p.stdout
    assert (
        "stg_orders (dbt_model)  breaking  references: order_total, legacy_discount_code"
        in p.stdout
    )
    assert "Owners to notify: finance-analytics@example.com" in p.stdout


def test_migration_sql_json_output() -> None:
    p = run(
        "--sql",
        str(FIXTURES / "migrations" / "duckdb_story.sql"),
        "--dialect",
        "duckdb",
        "--format",
        "json",
        *LOCATION,
    )
    assert p.returncode == 1, p.stderr
    data = json.loads(p.stdout)
    assert data["asset"] == "raw_orders"  # resolved from main.raw_orders
    assert data["risk_level"] == "high"
    assert {a["asset"]: a["severity"] for a in data["affected_assets"]}[
        "customer_ltv_model"
    ] == "warning"


def test_additive_change_exits_0_and_fail_on_warning(tmp_path: Path) -> None:
    p = run("raw_orders", "--add", "channel:varchar", "--format", "markdown", *LOCATION)
    assert p.returncode == 0, p.stderr
    assert "risk **NONE**" in p.stdout
    changes = tmp_path / "changes.yaml"
    changes.write_text(
        "asset: raw_orders\nchanges:\n  - {type: column_type_change, column: order_total, data_type: double}\n"
    )
    p = run("--changes", str(changes), *LOCATION)
    assert p.returncode == 0, p.stderr
    # warnings only, one on criticality: high fct_orders: LOW per the README's rule, the critical
    # asset named in the reasons (issue 16 item 5 reported the former MEDIUM as a wrong verdict)
    assert "Risk level: LOW" in p.stdout
    assert "warnings on critical asset(s): fct_orders" in p.stdout
    p = run("--changes", str(changes), "--fail-on", "warning", *LOCATION)
    assert p.returncode == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["raw_order", "--drop", "status"], "Unknown asset 'raw_order'"),
        (["raw_orders", "--drop", "order_totl"], "Did you mean: order_total"),
        (["raw_orders", "--rename", "order_total"], "--rename expects OLD:NEW"),
        (
            ["raw_orders", "--sql", str(FIXTURES / "migrations" / "bad_unsupported.sql")],
            "bad_unsupported.sql",
        ),
        (["raw_orders"], "no changes given"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(args: list[str], message: str) -> None:
    p = run(*args, *LOCATION)
    assert p.returncode == 2
    assert message in p.stderr
    assert "Traceback" not in p.stderr
    assert p.stderr.strip().count("\n") == 0, p.stderr


def test_malformed_changes_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[{"type": "column_rename", "from": "order_total"}]')
    p = run("raw_orders", "--changes", str(bad), *LOCATION)
    assert p.returncode == 2
    assert "needs 'to'" in p.stderr and "Traceback" not in p.stderr


def test_every_statement_of_a_migration_counts(tmp_path: Path) -> None:
    """Issue 16 item 3: a statement for another asset than the named one is analysed too."""
    sql = tmp_path / "m.sql"
    sql.write_text(
        "ALTER TABLE main.raw_orders ADD COLUMN channel varchar;\n"
        "ALTER TABLE main.stg_orders DROP COLUMN status;\n"
        "ALTER TABLE main.not_ours DROP COLUMN x;\n"
    )
    p = run("raw_orders", "--sql", str(sql), "--dialect", "duckdb", "--format", "json", *LOCATION)
    assert p.returncode == 1, p.stderr
    data = json.loads(p.stdout)
    assert [(c["asset"], c["type"]) for c in data["changes"]] == [
        ("raw_orders", "column_add"),
        ("stg_orders", "column_drop"),
    ]
    assert {a["asset"] for a in data["affected_assets"] if a["severity"] == "breaking"} >= {
        "fct_orders",
        "daily_revenue_report",
    }
    assert "not_ours" in p.stderr  # said, not silently dropped


def test_migration_that_touches_no_asset_has_its_own_exit_code(tmp_path: Path) -> None:
    sql = tmp_path / "other_team.sql"
    sql.write_text("ALTER TABLE billing.invoices DROP COLUMN legacy;")
    p = run("--sql", str(sql), "--dialect", "postgres", *LOCATION)
    assert p.returncode == 3, (p.stdout, p.stderr)
    assert "touches no asset of this project" in p.stderr and "billing.invoices" in p.stderr
    assert "Traceback" not in p.stderr
    p = run("--sql", str(sql), "--dialect", "postgres", "--format", "json", *LOCATION)
    assert p.returncode == 3
    assert json.loads(p.stdout)["touches_no_asset"] is True


# --- the breaking-change policy: the CLI's exit code and the Dagster check decide alike ---------


def _policy_records(scenario: str) -> list:
    import dataclasses

    from impact_story import story_records

    from dagster_lineage.core.graph import LineageGraph
    from dagster_lineage.impact.analysis import analyze_impact
    from dagster_lineage.impact.schema_changes import ColumnDropped

    records = story_records()
    breaking = {
        a.key
        for a in analyze_impact(
            LineageGraph.from_records(records), "raw_orders", [ColumnDropped("order_total")]
        ).breaking
    }
    assert len(breaking) >= 2  # the story: several assets break, one of them feeds an exposure
    if scenario == "warn_on_every_breaking_asset":
        tag = {"dagster_lineage/on_breaking": "warn"}
        return [
            dataclasses.replace(r, tags={**r.tags, **tag}) if r.key in breaking else r
            for r in records
        ]
    if scenario == "warn_on_the_changed_asset":  # critical assets below still block
        return [
            dataclasses.replace(r, tags={**r.tags, "on_breaking": "warn"})
            if r.key == ("raw_orders",)
            else r
            for r in records
        ]
    return records


@pytest.mark.parametrize(
    ("scenario", "blocks", "decided_by"),
    [
        ("no_policy", True, "default for a critical asset"),
        ("warn_on_every_breaking_asset", False, "set on the breaking asset"),
        ("warn_on_the_changed_asset", True, "default for a critical asset"),
    ],
)
def test_policy_decides_the_cli_exit_code_and_the_dagster_check_alike(
    tmp_path: Path, scenario: str, blocks: bool, decided_by: str
) -> None:
    import dagster as dg

    from dagster_lineage.defs.impact import build_impact_check_job, impact_run_config
    from dagster_lineage.defs.metadata import lineage_metadata
    from dagster_lineage.impact.schema_changes import ColumnDropped
    from dagster_lineage.state.lineage_state import LineageState, write_state

    records = _policy_records(scenario)
    state = tmp_path / "lineage.json"
    write_state(LineageState.from_records(records, project="story"), state)
    p = run("raw_orders", "--drop", "order_total", "--state", str(state), "--format", "json")
    assert p.returncode == (1 if blocks else 0), p.stderr
    policy = json.loads(p.stdout)["policy"]
    assert policy["action"] == ("block" if blocks else "warn")
    assert decided_by in policy["description"]

    specs = [
        dg.AssetSpec(list(r.key), deps=[list(k) for k in r.upstream], metadata=lineage_metadata(r))
        for r in records
    ]
    job = build_impact_check_job(graph=lambda: defs)
    defs = dg.Definitions(assets=specs, jobs=[job])
    result = defs.get_job_def("impact_check_job").execute_in_process(
        run_config=impact_run_config("raw_orders", [ColumnDropped("order_total")])
    )
    (ev,) = result.get_asset_check_evaluations()
    assert not ev.passed
    assert ev.severity == (dg.AssetCheckSeverity.ERROR if blocks else dg.AssetCheckSeverity.WARN)
    assert ev.metadata["policy"].value == policy["description"]


def test_on_breaking_flag_is_the_default_below_the_assets_policy(tmp_path: Path) -> None:
    from dagster_lineage.core.model import AssetLineage, AssetType
    from dagster_lineage.state.lineage_state import LineageState, write_state

    raw = AssetLineage(key=("raw",), asset_type=AssetType.TABLE)
    records = [raw, AssetLineage(key=("b",), upstream=(("raw",),))]
    state = tmp_path / "lineage.json"
    write_state(LineageState.from_records(records, project="p"), state)
    blocked = run("raw", "--drop-table", "--state", str(state))
    assert blocked.returncode == 1 and "Policy: block (on_breaking: block, built-in default)" in (
        blocked.stdout
    )
    warned = run("raw", "--drop-table", "--state", str(state), "--on-breaking", "warn")
    assert warned.returncode == 0, warned.stderr
    assert "Policy: warn (on_breaking: warn, the caller's default)" in warned.stdout
