"""A real git repository made from a copy of the example project, one commit per edit.

``main`` holds the example as is; each edit is one commit on its own branch from ``main``.

Each commit's lineage state is built once (``dagster-lineage snapshot`` in a subprocess at that
commit, two commits at a time in their own worktrees) and reused by every assertion of
``test_diff_git.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

STG_RENAME = ("    order_total,\n", "    order_total as total_amount,\n")


def _edits() -> list[tuple[str, list[tuple[str, str, str]]]]:
    """``(tag, [(file name, old text, new text), ...])`` in commit order."""
    case = (
        "    case\n"
        "        when legacy_discount_code is not null then order_total * 0.9\n"
        "        else order_total\n"
        "    end as net_revenue,\n"
    )
    return [
        ("rename_stg", [("stg_orders.sql", *STG_RENAME)]),
        ("drop_fct", [("fct_orders.sql", "    order_total,\n    case", "    case")]),
        ("expression", [("fct_orders.sql", case, "    order_total * 0.9 as net_revenue,\n")]),
        (
            "add_column",
            [
                (
                    "fct_orders.sql",
                    "    ordered_at,\n",
                    "    ordered_at,\n    order_id * 10 as order_ref,\n",
                )
            ],
        ),
        (
            "where",
            [
                (
                    "stg_orders.sql",
                    "where status is not null",
                    "where status is not null and customer_id is not null",
                )
            ],
        ),
        (
            "join",
            [
                (
                    "fct_orders.sql",
                    "from {{ ref('stg_orders') }}\n",
                    "from {{ ref('stg_orders') }}\n"
                    "inner join (select order_id as paid_order_id from {{ source('raw', 'raw_orders') }}) as paid\n"
                    "    on paid.paid_order_id = order_id\n",
                ),
            ],
        ),
        ("airflow_sql", [("daily_revenue.sql", "sum(order_total)", "sum(net_revenue)")]),
        (
            "spark_job",
            [("customer_ltv.py", '.alias("order_count")', '.alias("orders_placed")')],
        ),
        ("formatting", [("stg_orders.sql", "    customer_id,\n", "    customer_id,   \n")]),
        (
            "mixed",
            [
                ("stg_orders.sql", *STG_RENAME),
                ("fct_orders.sql", "    order_total,\n", "    total_amount as order_total,\n"),
                ("fct_orders.sql", "then order_total * 0.9", "then total_amount * 0.9"),
                ("fct_orders.sql", "else order_total\n", "else total_amount\n"),
                (
                    "daily_revenue.sql",
                    "count(*) as order_count",
                    "count(distinct order_id) as order_count",
                ),
            ],
        ),
    ]


@dataclass(frozen=True)
class DiffRepo:
    """The repository, its commits by tag and one state file per commit."""

    path: Path
    env: dict[str, str]
    commits: dict[str, str]
    states: dict[str, Path]
    tags: list[str]


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=120
    )
    return out.stdout.strip()


def cli(
    cwd: Path, env: dict[str, str], *args: str, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dagster_lineage.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _find(repo: Path, name: str) -> Path:
    hits = [p for p in (repo / "example_project").rglob(name) if ".state" not in p.parts]
    assert len(hits) == 1, (name, hits)
    return hits[0]


def _apply(repo: Path, edits: list[tuple[str, str, str]]) -> None:
    for name, old, new in edits:
        p = _find(repo, name)
        text = p.read_text()
        assert old in text, (name, old)
        p.write_text(text.replace(old, new, 1))


def example_env(state_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAGSTER_LINEAGE_")}
    env.update(DAGSTER_LINEAGE_EXAMPLE_STATE=str(state_dir), DAGSTER_HOME=str(state_dir))
    env.pop("PYTHONPATH", None)
    return env


def build_repo(base: Path) -> DiffRepo:
    repo = base / "repo"
    shutil.copytree(
        ROOT / "example_project",
        repo / "example_project",
        ignore=shutil.ignore_patterns(
            ".state", "__pycache__", "target", "logs", "*.pyc", ".local_defs_state"
        ),
    )
    shutil.copy(ROOT / "workspace.yaml", repo / "workspace.yaml")
    shutil.copy(ROOT / "dg.toml", repo / "dg.toml")  # example_project is a dg project
    (repo / ".gitignore").write_text("__pycache__/\n*.pyc\n.state/\ntarget/\nlogs/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "ci@example.com")
    git(repo, "config", "user.name", "CI")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    state_dir = base / "example_state"
    state_dir.mkdir()
    env = example_env(state_dir)
    commits = {"base": git(repo, "rev-parse", "HEAD")}
    tags = ["base"]
    for tag, edits in _edits():  # one branch per edit, each one commit on top of main
        git(repo, "checkout", "-q", "-b", tag, commits["base"])
        _apply(repo, edits)
        git(repo, "commit", "-q", "-am", tag)
        commits[tag] = git(repo, "rev-parse", "HEAD")
        tags.append(tag)
    git(repo, "checkout", "-q", "main")
    states_dir = base / "states"
    states = {tag: states_dir / f"{tag}.json" for tag in tags}
    # "base" is snapshotted in place (test_diff_git compares it with a state built from a git
    # ref); every edit in its own worktree with its own example state, two at a time (each is a
    # real load of the example: dbt compile, Airflow DagBag, Spark analysis)
    jobs: list[tuple[str, Path, dict[str, str]]] = [("base", repo, env)]
    for tag in tags[1:]:
        wt = base / "checkouts" / tag
        git(repo, "worktree", "add", "-q", "--detach", str(wt), commits[tag])
        tag_state = base / "edit_states" / tag
        tag_state.mkdir(parents=True)
        jobs.append((tag, wt, example_env(tag_state)))

    def snapshot(job: tuple[str, Path, dict[str, str]]) -> str | None:
        tag, folder, job_env = job
        proc = cli(folder, job_env, "snapshot", "-o", str(states[tag]))
        return None if proc.returncode == 0 else f"{tag}: {proc.stderr[-3000:]}"

    try:
        with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
            failed = [f for f in pool.map(snapshot, jobs) if f]
    finally:
        for tag in tags[1:]:
            git(repo, "worktree", "remove", "--force", str(base / "checkouts" / tag))
    assert not failed, "snapshot failed:\n" + "\n".join(failed)
    return DiffRepo(repo, env, commits, states, tags)


def reuse_repo(base: Path) -> DiffRepo:
    """The repository :func:`build_repo` left in ``base`` (to iterate on the tests by hand)."""
    repo = base / "repo"
    tags = ["base"] + [t for t, _ in _edits()]
    commits = {t: git(repo, "rev-parse", "main" if t == "base" else t) for t in tags}
    states = {t: base / "states" / f"{t}.json" for t in tags}
    return DiffRepo(repo, example_env(base / "example_state"), commits, states, tags)


if __name__ == "__main__":  # build once by hand: python tests/integration/cli/diff_repo.py DIR
    r = build_repo(Path(sys.argv[1]))
    print(r.states)
