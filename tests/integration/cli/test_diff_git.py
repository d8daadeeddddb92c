"""``dagster-lineage snapshot`` / ``diff`` / ``--state`` on a real git repository of the example.

The repository (``diff_repo.py``) holds the example on ``main`` and one commit per edit on its own
branch; every commit's state is snapshotted once (a real load of the code location: dbt compile,
Airflow DagBag, the Spark job's static analysis) and reused by all the tests below.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from dagster_lineage.cli import main as cli_main
from dagster_lineage.impact.diff import diff_states
from dagster_lineage.state.lineage_state import read_state
from tests.integration.cli.diff_repo import DiffRepo, build_repo, cli, git

# eleven real loads of the example code location (one per commit) take minutes on a busy machine
pytestmark = pytest.mark.timeout(3600)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> DiffRepo:
    return build_repo(tmp_path_factory.mktemp("diff_repo"))


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = cli_main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


# tag -> ({asset: (category, {column change descriptions}, [model-wide change descriptions])},
#         {downstream asset: worst severity}, exit code)
EXPECTED: dict[str, tuple[dict[str, tuple[str, set[str], list[str]]], dict[str, str], int]] = {
    "rename_stg": (
        {"stg_orders": ("breaking", {"renamed order_total -> total_amount"}, [])},
        {
            "fct_orders": "breaking",
            "daily_revenue_report": "breaking",
            "customer_ltv_model": "warning",
            "revenue_dashboard": "warning",
        },
        1,
    ),
    "drop_fct": (
        {"fct_orders": ("breaking", {"removed order_total"}, [])},
        {"daily_revenue_report": "breaking", "revenue_dashboard": "warning"},
        1,
    ),
    "expression": (
        {
            "fct_orders": (
                "values-changed",
                {"values of net_revenue changed (sources - stg_orders.legacy_discount_code)"},
                [],
            )
        },
        {"customer_ltv_model": "warning", "revenue_dashboard": "warning"},
        0,
    ),
    "add_column": ({"fct_orders": ("non-breaking", {"added order_ref int"}, [])}, {}, 0),
    "where": (
        {"stg_orders": ("values-changed", set(), ["filter changed: + raw_orders.customer_id"])},
        {
            "fct_orders": "warning",
            "daily_revenue_report": "warning",
            "customer_ltv_model": "warning",
            "revenue_dashboard": "warning",
        },
        0,
    ),
    "airflow_sql": (
        {
            "daily_revenue_report": (
                "values-changed",
                {
                    "values of revenue changed (sources + fct_orders.net_revenue, "
                    "- fct_orders.order_total)"
                },
                [],
            )
        },
        {},
        0,
    ),
    "spark_job": (
        {"customer_ltv_model": ("breaking", {"renamed order_count -> orders_placed"}, [])},
        {},
        0,
    ),
    "formatting": ({}, {}, 0),
}


def _describe(
    repo: DiffRepo, tag: str
) -> tuple[dict[str, tuple[str, set[str], list[str]]], dict[str, str]]:
    d = diff_states(read_state(repo.states["base"]), read_state(repo.states[tag]))
    assets = {
        a.key_str: (
            a.category.value,
            {c.describe() for c in a.columns},
            [m.describe() for m in a.model_changes],
        )
        for a in d.assets
    }
    return assets, {"/".join(k): s.label for k, s in d.affected.items()}


@pytest.mark.parametrize("tag", list(EXPECTED))
def test_each_edit_column_by_column(
    repo: DiffRepo, tag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    want_assets, want_affected, want_rc = EXPECTED[tag]
    assets, affected = _describe(repo, tag)
    assert assets == want_assets
    assert affected == want_affected
    rc, out, err = _run(
        capsys,
        "diff",
        "--base",
        str(repo.states["base"]),
        "--head",
        str(repo.states[tag]),
        "--format",
        "json",
    )
    assert rc == want_rc, err
    data = json.loads(out)
    assert data["schema_version"] == 1
    assert {a["asset"]: a["category"] for a in data["changed_assets"]} == {
        k: v[0] for k, v in want_assets.items()
    }
    assert data["affected_assets"] == dict(sorted(want_affected.items()))


def test_join_change_is_model_wide(repo: DiffRepo) -> None:
    assets, affected = _describe(repo, "join")
    category, columns, model = assets["fct_orders"]
    assert list(assets) == ["fct_orders"] and category == "values-changed" and not columns
    joined = next(m for m in model if m.startswith("join changed"))
    assert "raw_orders.order_id" in joined
    assert "upstream assets changed: + raw_orders" in model
    assert affected == {
        "customer_ltv_model": "warning",
        "daily_revenue_report": "warning",
        "revenue_dashboard": "warning",
    }


def test_mixed_commit_with_consumers_updated(
    repo: DiffRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    d = diff_states(read_state(repo.states["base"]), read_state(repo.states["mixed"]))
    stg, fct, dag = d.get("stg_orders"), d.get("fct_orders"), d.get("daily_revenue_report")
    assert stg is not None and fct is not None and dag is not None
    assert [c.describe() for c in stg.columns] == ["renamed order_total -> total_amount"]
    assert stg.category.value == "breaking"  # its own column changed names...
    # ...but fct_orders, edited in the same commit, follows the rename: nothing breaks downstream
    assert fct.category.value == "non-breaking" and fct.notes
    assert fct.notes[0].startswith("follows upstream renames: ")
    assert [c.describe() for c in dag.columns] == [
        "values of order_count changed (sources + fct_orders.order_id)"
    ]
    assert all(s.label != "breaking" for s in d.affected.values())
    rc, out, _ = _run(
        capsys,
        "diff",
        "--base",
        str(repo.states["base"]),
        "--head",
        str(repo.states["mixed"]),
        "--format",
        "markdown",
    )
    assert rc == 0
    first = out.splitlines()[0]
    assert first.startswith("## ✖ Lineage diff: 3 changed asset(s)")
    assert "### ✖ `stg_orders` — breaking (dbt\\_model, modified)" in out
    assert "| `order_total` → `total_amount` | renamed |" in out


def test_exit_codes_and_fail_on(repo: DiffRepo, capsys: pytest.CaptureFixture[str]) -> None:
    base = str(repo.states["base"])
    rc, out, _ = _run(capsys, "diff", "--base", base, "--head", str(repo.states["rename_stg"]))
    assert rc == 1 and "stg_orders (dbt_model) modified: BREAKING" in out
    rc, _, _ = _run(capsys, "diff", "--base", base, "--head", str(repo.states["expression"]))
    assert rc == 0
    rc, _, _ = _run(
        capsys,
        "diff",
        "--base",
        base,
        "--head",
        str(repo.states["expression"]),
        "--fail-on",
        "warning",
    )
    assert rc == 1
    rc, out, _ = _run(capsys, "diff", "--base", base, "--head", str(repo.states["formatting"]))
    assert rc == 0 and out.splitlines()[0] == "LINEAGE DIFF: No lineage change."


# code-location answers, printed by one process that loads the example at main
LOCATION_QUERIES = [
    ["graph", "raw_orders"],
    ["graph", "--list", "--format", "json"],
    ["graph", "fct_orders", "--direction", "both", "--format", "json"],
    ["graph", "stg_orders", "--column", "order_total", "--direction", "both", "--format", "json"],
    ["impact", "raw_orders", "--rename", "order_total:total_amount", "--format", "json"],
    ["impact", "fct_orders", "--drop", "status", "--format", "text"],
]
_LOCATION_SCRIPT = r"""
import contextlib, io, json, sys
from dagster_lineage.cli import main
out = []
for argv in json.loads(sys.argv[1]):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(argv)
    out.append([rc, buf.getvalue()])
print("@@OUT@@" + json.dumps(out))
"""


def test_state_answers_equal_code_location_answers(
    repo: DiffRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    import subprocess

    git(repo.path, "checkout", "-q", "main")
    proc = subprocess.run(
        [sys.executable, "-c", _LOCATION_SCRIPT, json.dumps(LOCATION_QUERIES)],
        cwd=repo.path,
        env=repo.env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    from_location = json.loads(proc.stdout.split("@@OUT@@", 1)[1])
    for argv, (rc, text) in zip(LOCATION_QUERIES, from_location):
        got_rc, got, err = _run(capsys, *argv, "--state", str(repo.states["base"]))
        assert (got_rc, got) == (rc, text), (argv, err)
    assert from_location[4][0] == 1  # the impact query finds something breaking


def test_git_refs_worktree_cache_and_working_tree(repo: DiffRepo, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    git(repo.path, "checkout", "-q", "rename_stg")
    try:
        by_ref = cli(
            repo.path,
            repo.env,
            "diff",
            "--base",
            "main",
            "--head",
            str(repo.states["rename_stg"]),
            "--format",
            "json",
            "--cache-dir",
            str(cache),
        )
        assert by_ref.returncode == 1, by_ref.stderr[-2000:]
        (cached,) = cache.glob("*.json")
        assert cached.name.startswith(repo.commits["base"][:12])
        # the state built in a temporary worktree is byte-identical to the one built in place
        assert cached.read_bytes() == repo.states["base"].read_bytes()
        data = json.loads(by_ref.stdout)
        assert data["base"] == f"main ({repo.commits['base'][:12]})"
        assert data["affected_assets"]["fct_orders"] == "breaking"
        assert "dagster-lineage-ref-" not in git(repo.path, "worktree", "list")
        # HEAD defaults to the working tree; the base comes from the cache this time
        wt = cli(repo.path, repo.env, "diff", "--base", "main", "--cache-dir", str(cache))
        assert wt.returncode == 1, wt.stderr[-2000:]
        assert wt.stdout.splitlines()[0].startswith("LINEAGE DIFF: 1 changed asset(s) (1 breaking)")
        assert "Head: working tree" in wt.stdout
    finally:
        git(repo.path, "checkout", "-q", "main")


def _state_variant(src: Path, dst: Path, **header: object) -> Path:
    data = json.loads(src.read_text())
    data.update(header)
    dst.write_text(json.dumps(data))
    return dst


def test_bad_input_is_one_line_and_exit_2(
    repo: DiffRepo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = repo.states["base"]
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text(base.read_text()[:500])
    cases = {
        "unknown git ref": (repo.path, ["--base", "origin/no-such-branch", "--head", str(base)]),
        "not inside a git repository": (tmp_path, ["--base", "main", "--head", str(base)]),
        "schema version 2": (
            tmp_path,
            [
                "--base",
                str(_state_variant(base, tmp_path / "v2.json", schema_version=2)),
                "--head",
                str(base),
            ],
        ),
        "corrupt JSON": (tmp_path, ["--base", str(corrupt), "--head", str(base)]),
        "different": (
            tmp_path,
            [
                "--base",
                str(_state_variant(base, tmp_path / "other.json", project="other.defs")),
                "--head",
                str(base),
            ],
        ),
    }
    for needle, (cwd, argv) in cases.items():
        monkeypatch.chdir(cwd)
        rc, out, err = _run(capsys, "diff", *argv)
        lines = err.strip().splitlines()
        assert rc == 2 and out == "", (needle, err)
        assert len(lines) == 1 and lines[0].startswith("dagster-lineage: error: "), (needle, err)
        if needle == "different":
            assert "project 'other.defs'" in lines[0] and "same code location" in lines[0]
        else:
            assert needle in lines[0], (needle, lines[0])
    # --state with a bad file: same one line for graph and impact
    monkeypatch.chdir(tmp_path)
    for argv in (["graph", "--list"], ["impact", "raw_orders", "--drop", "status"]):
        rc, _, err = _run(capsys, *argv, "--state", str(corrupt))
        assert rc == 2 and len(err.strip().splitlines()) == 1 and "corrupt JSON" in err
