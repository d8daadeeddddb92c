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
