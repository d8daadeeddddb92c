"""Run ``dagster-lineage`` the way a test needs it: in this process (fast) or as a real subprocess.

Starting ``python -m dagster_lineage.cli`` imports Dagster again (3 s or more per call); a test of
a command's behaviour calls :func:`dagster_lineage.cli.main` in this process instead, with the
same result shape as :func:`subprocess.run` (``returncode``, ``stdout``, ``stderr``). Output is
captured at the file-descriptor level too (a code location's prints, dbt's output), the working
directory and environment are set for the call only, and the modules a call imported from its
working directory (a test's code location) are forgotten afterwards, so the next test's location
of the same name is imported afresh. A few tests keep the real subprocess (``subprocess=True``)
for the console entry point's exit codes and stdout.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import subprocess as sp
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from dagster_lineage.cli import main


@dataclass(frozen=True)
class CliResult:
    """What a run of the CLI returned and printed."""

    returncode: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def _fd_capture() -> Iterator[tuple[io.StringIO, io.StringIO, list[str]]]:
    """Capture fds 1 and 2 and ``sys.stdout``/``sys.stderr``; yields the Python-level buffers and
    a list that receives the fd-level text of stdout and stderr on exit."""
    sys.stdout.flush()
    sys.stderr.flush()
    py_out, py_err = io.StringIO(), io.StringIO()
    fd_text: list[str] = []
    with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
        saved = os.dup(1), os.dup(2)
        os.dup2(out_f.fileno(), 1)
        os.dup2(err_f.fileno(), 2)
        try:
            with contextlib.redirect_stdout(py_out), contextlib.redirect_stderr(py_err):
                yield py_out, py_err, fd_text
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            for f in (out_f, err_f):
                f.seek(0)
                fd_text.append(f.read().decode("utf-8", "replace"))


def _forget_modules_under(folder: Path, before: set[str]) -> None:
    root = str(folder.resolve()) + os.sep
    installed = tuple(
        str(Path(p).resolve()) + os.sep for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}
    )
    for name in set(sys.modules) - before:
        if name.split(".")[0] in ("dagster_lineage", "tests"):
            continue  # ours: one copy per test session
        file = os.path.abspath(getattr(sys.modules.get(name), "__file__", None) or "/")
        if name.startswith("_dagster_lineage_loc_") or (
            file.startswith(root) and not file.startswith(installed)
        ):
            del sys.modules[name]


def run_cli(
    *argv: str,
    cwd: Path | str | None = None,
    env: Mapping[str, str | None] | None = None,
    subprocess: bool = False,
    timeout: int = 600,
) -> CliResult:
    """Run ``dagster-lineage *argv`` in ``cwd`` with ``env`` overrides (``None`` unsets a name).

    Args:
        argv: the command line after ``dagster-lineage``.
        cwd: working directory of the call (default: the current one).
        env: environment variables to set (or, with ``None``, unset) for the call.
        subprocess: run ``python -m dagster_lineage.cli`` in a real child process instead.
        timeout: the subprocess's timeout in seconds.
    """
    folder = Path(cwd) if cwd is not None else Path.cwd()
    if subprocess:
        child_env = dict(os.environ)
        for k, v in (env or {}).items():
            if v is None:
                child_env.pop(k, None)
            else:
                child_env[k] = v
        p = sp.run(
            [sys.executable, "-m", "dagster_lineage.cli", *argv],
            cwd=folder,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return CliResult(p.returncode, p.stdout, p.stderr)
    old_cwd, old_path, old_env = os.getcwd(), list(sys.path), dict(os.environ)
    before = set(sys.modules)
    importlib.invalidate_caches()  # a code location written just now must be found
    try:
        os.chdir(folder)
        for k, v in (env or {}).items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        with _fd_capture() as (py_out, py_err, fd_text):
            try:
                rc = main(list(argv))
            except SystemExit as e:  # argparse: bad usage (2) or --help (0)
                rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path
        os.environ.clear()
        os.environ.update(old_env)
        _forget_modules_under(folder, before)
    fd_out, fd_err = fd_text
    return CliResult(rc, py_out.getvalue() + fd_out, py_err.getvalue() + fd_err)
