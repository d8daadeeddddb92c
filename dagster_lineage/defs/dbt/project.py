"""Keep a dbt project's COMPILED manifest up to date, cheaply (``prepare_dbt_project``).

Column lineage needs compiled SQL, which ``dbt parse`` does not write. ``prepare_dbt_project``
runs ``dbt compile`` only when the manifest is missing or the project's sources changed since
the last compile (a fingerprint of the files, profiles.yml and the env vars they read is kept
next to the manifest); otherwise it reads a few files and returns. When ``dbt compile`` fails
(e.g. the warehouse is busy), it falls back to ``dbt parse`` with a warning: the assets load,
without column lineage for that load.

Examples:
    >>> from dagster_lineage.defs.dbt.project import STAMP_FILE
    >>> STAMP_FILE
    'dagster_lineage_prepared.json'
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dagster_lineage.errors import IntegrationError
from dagster_lineage.integrations.dbt.fingerprint import project_fingerprint

if TYPE_CHECKING:
    from dagster_dbt import DbtProject

logger = logging.getLogger("dagster_lineage.dbt")

STAMP_FILE = "dagster_lineage_prepared.json"


@contextlib.contextmanager
def _lock(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no cross-process guard
        yield
        return
    with (folder / ".dagster_lineage_prepare.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fingerprint(project: DbtProject, command: Sequence[str]) -> str:
    from dagster_dbt.version import __version__ as dagster_dbt_version

    try:
        from dbt.version import __version__ as dbt_version
    except ImportError:  # pragma: no cover
        dbt_version = "unknown"
    target_dir = Path(project.manifest_path).parent
    return project_fingerprint(
        project.project_dir,
        profiles_dir=project.profiles_dir,
        exclude_dirs=(target_dir,),
        extra={
            "command": list(command),
            "target": project.target,
            "profile": project.profile,
            "target_dir": target_dir.as_posix(),
            "dbt": str(dbt_version),
            "dagster_dbt": dagster_dbt_version,
        },
    )


def manifest_is_current(project: DbtProject, *, command: Sequence[str] = ("compile",)) -> bool:
    """Whether ``project``'s manifest exists and was written from its current sources.

    Examples:
        >>> callable(manifest_is_current)
        True
    """
    stamp = Path(project.manifest_path).parent / STAMP_FILE
    if not Path(project.manifest_path).is_file() or not stamp.is_file():
        return False
    try:
        saved = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    return saved.get("fingerprint") == _fingerprint(project, command)


def default_dbt_executable() -> str:
    """The ``dbt`` on PATH, else the one next to this Python (an un-activated virtualenv).

    Examples:
        >>> default_dbt_executable().endswith("dbt")
        True
    """
    found = shutil.which("dbt")
    if found:
        return found
    sibling = Path(sys.executable).parent / ("dbt.exe" if os.name == "nt" else "dbt")
    return str(sibling) if sibling.is_file() else "dbt"


def _run_dbt(project: DbtProject, args: Sequence[str]) -> None:
    """Run one dbt command for ``project`` in a subprocess (no in-process adapter: fast)."""
    import subprocess

    target_dir = Path(project.manifest_path).parent
    cmd = [
        default_dbt_executable(),
        "--no-use-colors",
        *args,
        "--quiet",
        "--project-dir",
        str(project.project_dir),
        "--profiles-dir",
        str(project.profiles_dir),
        "--target-path",
        str(target_dir),
        "--log-path",
        str(target_dir / "logs"),
    ]
    if project.profile:
        cmd += ["--profile", project.profile]
    if project.target:
        cmd += ["--target", project.target]
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(
        cmd, cwd=str(project.project_dir), env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip().splitlines()
        raise RuntimeError(" / ".join(output[-8:]) or f"dbt exited with {proc.returncode}")


def prepare_dbt_project(
    project: DbtProject,
    *,
    compile_sql: bool = True,
    force: bool = False,
) -> Path:
    """Make sure ``project.manifest_path`` is a current (compiled) manifest; return its path.

    Args:
        project: the dbt project (its ``target_path`` may be absolute, e.g. a state folder).
        compile_sql: run ``dbt compile`` (compiled SQL, for column lineage) rather than
            ``dbt parse``.
        force: re-run even when the manifest is current.

    Raises:
        IntegrationError: when dbt cannot even parse the project and no manifest exists.

    Examples:
        >>> callable(prepare_dbt_project)
        True
    """
    command = ("compile",) if compile_sql else ("parse",)
    manifest = Path(project.manifest_path)
    target_dir = manifest.parent
    with _lock(target_dir):
        if not force and manifest_is_current(project, command=command):
            return manifest
        stamp = target_dir / STAMP_FILE
        try:
            _run_dbt(project, command)
        except Exception as e:  # noqa: BLE001 - dbt's errors share no base class; logged below
            if not compile_sql:
                if manifest.is_file():
                    logger.warning("dbt parse failed, using the previous manifest: %s", e)
                    return manifest
                raise IntegrationError(
                    str(project.project_dir), f"`dbt parse` failed: {e}", fix="Fix the project."
                ) from None
            logger.warning(
                "`dbt compile` failed for %s (%s); falling back to `dbt parse`: assets load "
                "without column lineage until the next successful compile.",
                project.project_dir,
                e,
            )
            stamp.unlink(missing_ok=True)
            try:
                _run_dbt(project, ("parse",))
            except Exception as e2:  # noqa: BLE001 - dbt's errors share no base class
                if manifest.is_file():
                    logger.warning("dbt parse failed too, using the previous manifest: %s", e2)
                    return manifest
                raise IntegrationError(
                    str(project.project_dir),
                    f"neither `dbt compile` nor `dbt parse` succeeded: {e2}",
                    fix="Run `dbt parse` in the project folder to see the error.",
                ) from None
            return manifest
        stamp.write_text(json.dumps({"fingerprint": _fingerprint(project, command)}))
        return manifest
