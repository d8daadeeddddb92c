r"""``dagster-lineage diff``: what a pull request changes, column by column, and what it breaks.

``--base`` and ``--head`` are state files (``dagster-lineage snapshot -o FILE``) or git refs. For a
ref, the command checks the commit out in a temporary ``git worktree``, runs ``snapshot`` there in
a subprocess with the same code-location options (``-m/-f/-a/-w``, or ``workspace.yaml``), and
caches the state by commit under ``--cache-dir`` (default: ``dagster-lineage/states`` inside the
repository's git folder). ``--head`` defaults to the working tree.

Exit codes (as ``impact``): ``0`` nothing breaking downstream; ``1`` something breaking (or a
warning with ``--fail-on warning``); ``2`` bad input (unknown ref, not a git folder, a corrupt
state file or one of another schema version, base and head of different projects), reported as
one line on stderr.

CI usage (GitHub Actions, see ``examples/github/lineage-diff.yml``)::

    - uses: actions/checkout@v4
      with: {fetch-depth: 0}
    - run: dagster-lineage diff --base origin/${{ github.base_ref }} --format markdown > diff.md

Examples:
    >>> from dagster_lineage.cli import build_parser
    >>> args = build_parser().parse_args(["diff", "--base", "origin/main", "--format", "markdown"])
    >>> args.base, args.head, args.format, args.fail_on
    ('origin/main', None, 'markdown', 'breaking')
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from dagster_lineage.errors import DagsterLineageError

if TYPE_CHECKING:
    from dagster_lineage.state.lineage_state import LineageState

_LOCATION_FLAGS = (("module", "-m"), ("file", "-f"), ("attribute", "-a"), ("workspace", "-w"))


class GitRefError(DagsterLineageError):
    """A git ref that cannot be turned into a lineage state.

    Examples:
        >>> "git fetch" in str(GitRefError("origin/nope", "unknown ref", fix="Run `git fetch`."))
        True
    """

    def __init__(self, ref: str, detail: str, *, fix: str) -> None:
        self.ref = ref
        super().__init__(f"Cannot use '{ref}' as a state: {detail}. {fix}")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``diff`` subcommand."""
    from dagster_lineage.cli import add_command
    from dagster_lineage.cli.loading import add_location_args

    p = add_command(
        sub,
        "diff",
        description="Compare the lineage of BASE and HEAD (state files or git refs; HEAD "
        "defaults to the working tree). Exit 0: nothing breaking; 1: breaking found (or "
        "warnings with --fail-on warning); 2: bad input or error.",
    )
    p.add_argument("--base", required=True, help="state file or git ref (e.g. origin/main)")
    p.add_argument(
        "--head",
        "--state",
        dest="head",
        help="state file or git ref (default: the working tree); --state FILE is the same",
    )
    p.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    p.add_argument(
        "--fail-on",
        choices=["breaking", "warning"],
        default="breaking",
        help="exit 1 at this severity or worse (default: breaking)",
    )
    p.add_argument("--cache-dir", metavar="DIR", help="where states of git refs are cached")
    p.add_argument("--project", metavar="NAME", help="project identity of states built here")
    add_location_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``diff``; returns the exit code."""
    from dagster_lineage.cli.state import gc_paused
    from dagster_lineage.impact.diff import diff_states
    from dagster_lineage.impact.diff_render import render_diff
    from dagster_lineage.impact.schema_changes import Severity

    fail_on = Severity.parse(args.fail_on)
    base, base_label = _resolve(args.base, args)
    head, head_label = _resolve(args.head, args)
    if base.project != head.project:
        raise DagsterLineageError(
            f"base ({base_label}) is a state of project '{base.project}' and head "
            f"({head_label}) of project '{head.project}': compare two states of the same code "
            "location (or write both with the same `snapshot --project NAME`)."
        )
    with gc_paused():  # diff_states decodes the records it compares (see gc_paused)
        result = diff_states(base, head, base_label=base_label, head_label=head_label)
    print(render_diff(result, args.format))
    return result.exit_code(fail_on)


# --- turning a file, a ref or the working tree into a state -------------------------------------


def _resolve(spec: str | None, args: argparse.Namespace) -> tuple[LineageState, str]:
    from dagster_lineage.state.lineage_state import read_state

    if spec is None:
        return _snapshot_in(Path.cwd(), args), "working tree"
    if Path(spec).is_file() or spec.endswith(".json"):
        from dagster_lineage.cli.state import gc_paused

        with gc_paused():
            return read_state(spec), spec
    return _state_of_ref(spec, args)


def _git(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *argv], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
        )
    except FileNotFoundError:
        raise DagsterLineageError(
            "git is not installed: install it, or pass state files to --base/--head."
        ) from None


def _state_of_ref(ref: str, args: argparse.Namespace) -> tuple[LineageState, str]:
    from dagster_lineage.state.lineage_state import read_state, write_state

    cwd = Path.cwd()
    top = _git(cwd, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise GitRefError(
            ref,
            f"{cwd} is not inside a git repository (and no file {ref} exists)",
            fix="Run from the repository's folder, or pass a state file "
            "(`dagster-lineage snapshot -o FILE`).",
        )
    root = Path(top.stdout.strip())
    rev = _git(cwd, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if rev.returncode != 0:
        raise GitRefError(
            ref,
            "unknown git ref (no such branch, tag or commit, and no such file)",
            fix="Check the name, or fetch it (`git fetch origin`; in CI check out with "
            "fetch-depth: 0).",
        )
    commit = rev.stdout.strip()
    label = f"{ref} ({commit[:12]})"
    cache = _cache_file(args, cwd, commit)
    if cache.is_file():
        return read_state(cache), label
    rel = cwd.resolve().relative_to(root.resolve())
    tmp = Path(tempfile.mkdtemp(prefix="dagster-lineage-ref-"))
    wt = tmp / "checkout"
    try:
        add = _git(cwd, "worktree", "add", "--detach", "--force", str(wt), commit)
        if add.returncode != 0:
            raise GitRefError(
                ref,
                f"git worktree add failed: {_last_line(add.stderr)}",
                fix="Check that the repository is writable and `git worktree` works.",
            )
        state = _snapshot_in(wt / rel, args, what=label)
    finally:
        _git(cwd, "worktree", "remove", "--force", str(wt))
        shutil.rmtree(tmp, ignore_errors=True)
        _git(cwd, "worktree", "prune")
    write_state(state, cache)
    return state, label


def _cache_file(args: argparse.Namespace, cwd: Path, commit: str) -> Path:
    from dagster_lineage.state.lineage_state import STATE_SCHEMA_VERSION, installed_version

    if args.cache_dir:
        base = Path(args.cache_dir)
    else:
        common = _git(cwd, "rev-parse", "--git-common-dir").stdout.strip() or ".git"
        base = (cwd / common).resolve() / "dagster-lineage" / "states"
    rel = _git(cwd, "rev-parse", "--show-prefix").stdout.strip()
    key = "|".join(
        [
            commit,
            rel,
            *(f"{flag}={getattr(args, name, None) or ''}" for name, flag in _LOCATION_FLAGS),
            f"project={args.project or ''}",
            f"tool={installed_version()}",
            f"schema={STATE_SCHEMA_VERSION}",
        ]
    )
    return base / f"{commit[:12]}-{hashlib.sha256(key.encode()).hexdigest()[:12]}.json"


def _snapshot_in(
    folder: Path, args: argparse.Namespace, *, what: str = "working tree"
) -> LineageState:
    """Run ``dagster-lineage snapshot`` in ``folder`` (a subprocess) and read its state."""
    from dagster_lineage.state.lineage_state import read_state

    with tempfile.TemporaryDirectory(prefix="dagster-lineage-state-") as tmp:
        out = Path(tmp) / "state.json"
        argv = [sys.executable, "-m", "dagster_lineage.cli", "snapshot", "-o", str(out)]
        for name, flag in _LOCATION_FLAGS:
            value = getattr(args, name, None)
            if value:
                argv += [flag, value]
        if args.project:
            argv += ["--project", args.project]
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.run(
            argv, cwd=folder, capture_output=True, text=True, env=env, check=False
        )
        if proc.returncode != 0 or not out.is_file():
            raise DagsterLineageError(
                f"Could not build the lineage state of the {what}: "
                f"{_last_line(proc.stderr) or f'exit code {proc.returncode}'}. Run "
                "`dagster-lineage snapshot` there to see the full error."
            )
        return read_state(out)


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    if not lines:
        return ""
    last = lines[-1]
    return last.removeprefix("dagster-lineage: error: ").rstrip(".")
