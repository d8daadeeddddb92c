"""Keep a dbt project's COMPILED manifest up to date, cheaply (``DbtLineageProjectPreparer``).

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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster_dbt import DbtProjectPreparer

from dagster_lineage.core.hashing import canonical_json
from dagster_lineage.errors import IntegrationError
from dagster_lineage.integrations.dbt.fingerprint import PREPARED_STAMP_FILE, project_fingerprint

if TYPE_CHECKING:
    from dagster_dbt import DbtProject

logger = logging.getLogger("dagster_lineage.dbt")

STAMP_FILE = PREPARED_STAMP_FILE


@dataclass(frozen=True)
class _Invocation:
    """What one compile is given besides the project files: vars, target, profiles folder."""

    vars: Mapping[str, Any] = field(default_factory=dict)
    target: str | None = None
    profiles_dir: str | None = None

    @classmethod
    def of(
        cls,
        project: DbtProject,
        vars: Mapping[str, Any] | None,
        target: str | None,
        profiles_dir: str | os.PathLike[str] | None,
    ) -> _Invocation:
        prof = profiles_dir if profiles_dir is not None else project.profiles_dir
        return cls(
            dict(vars or {}),
            target if target is not None else project.target,
            str(Path(prof).resolve()) if prof is not None else None,
        )

    def args(self, project: DbtProject) -> list[str]:
        out = ["--profiles-dir", str(self.profiles_dir or project.project_dir)]
        if self.target:
            out += ["--target", self.target]
        if self.vars:
            out += ["--vars", canonical_json(self.vars)]
        return out


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


def _fingerprint(
    project: DbtProject, command: Sequence[str], invocation: _Invocation | None = None
) -> str:
    from dagster_dbt.version import __version__ as dagster_dbt_version

    try:
        from dbt.version import __version__ as dbt_version
    except ImportError:  # pragma: no cover
        dbt_version = "unknown"
    inv = invocation or _Invocation.of(project, None, None, None)
    target_dir = Path(project.manifest_path).parent
    return project_fingerprint(
        project.project_dir,
        profiles_dir=inv.profiles_dir or project.profiles_dir,
        exclude_dirs=(target_dir,),
        extra={
            "command": list(command),
            "target": inv.target,
            "profile": project.profile,
            "vars": canonical_json(inv.vars),
            "target_dir": target_dir.as_posix(),
            "dbt": str(dbt_version),
            "dagster_dbt": dagster_dbt_version,
        },
    )


def manifest_is_current(
    project: DbtProject,
    *,
    command: Sequence[str] = ("compile",),
    vars: Mapping[str, Any] | None = None,
    target: str | None = None,
    profiles_dir: str | os.PathLike[str] | None = None,
) -> bool:
    """Whether ``project``'s manifest exists and was written from its current sources.

    Current means: the same project files (``dbt_packages/``, ``packages.yml``,
    ``package-lock.yml``, ``selectors.yml`` included), profiles, env vars read, and the same
    ``vars``, ``target`` and profiles folder as this call.

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
    inv = _Invocation.of(project, vars, target, profiles_dir)
    return saved.get("fingerprint") == _fingerprint(project, command, inv)


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


def _run_dbt(
    project: DbtProject, args: Sequence[str], invocation: _Invocation | None = None
) -> None:
    """Run one dbt command for ``project`` in a subprocess (no in-process adapter: fast)."""
    import subprocess

    inv = invocation or _Invocation.of(project, None, None, None)
    target_dir = Path(project.manifest_path).parent
    cmd = [
        default_dbt_executable(),
        "--no-use-colors",
        *args,
        "--quiet",
        "--project-dir",
        str(project.project_dir),
        *inv.args(project),
        "--target-path",
        str(target_dir),
        "--log-path",
        str(target_dir / "logs"),
    ]
    if project.profile:
        cmd += ["--profile", project.profile]
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(
        cmd, cwd=str(project.project_dir), env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip().splitlines()
        raise RuntimeError(" / ".join(output[-8:]) or f"dbt exited with {proc.returncode}")


class DbtLineageProjectPreparer(DbtProjectPreparer):
    """dagster-dbt's ``DbtProjectPreparer`` that compiles (for column lineage) only when needed.

    ``prepare(project)`` installs the project's packages when they are declared but not installed
    (``dbt deps``, as dagster-dbt's preparer does), then runs ``dbt compile`` only when the
    manifest is missing or the project's sources changed since the last compile (a fingerprint
    of the files, ``profiles.yml`` and the env vars they read is kept next to the manifest).
    When ``dbt compile`` fails (e.g. the warehouse is busy) it falls back to ``dbt parse`` with a
    warning: the assets load, without column lineage for that load. ``prepare_if_dev`` is
    dagster-dbt's (prepare under ``dagster dev`` only). dbt runs in a subprocess, with no
    adapter in this process.

    Args:
        compile_sql: run ``dbt compile`` (compiled SQL, for column lineage) rather than
            ``dbt parse``.
        force: re-run even when the manifest is current.
        vars: dbt vars (``--vars``); recorded next to the manifest, where the code fingerprints
            read them (see :func:`~dagster_lineage.integrations.dbt.fingerprint.project_vars`).
        target: the dbt target (``--target``; default: the project's).
        profiles_dir: the folder of ``profiles.yml`` (``--profiles-dir``; default: the
            project's).

    Examples:
        >>> from dagster_dbt.dbt_project import DbtProjectPreparer
        >>> isinstance(DbtLineageProjectPreparer(), DbtProjectPreparer)
        True
    """

    def __init__(
        self,
        *,
        compile_sql: bool = True,
        force: bool = False,
        vars: Mapping[str, Any] | None = None,
        target: str | None = None,
        profiles_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.compile_sql = compile_sql
        self.force = force
        self.vars = dict(vars or {})
        self.target = target
        self.profiles_dir = profiles_dir

    def prepare(self, project: DbtProject) -> None:
        """Make ``project.manifest_path`` a current (compiled) manifest.

        Raises:
            IntegrationError: when dbt cannot even parse the project and no manifest exists.
        """
        self.prepare_manifest(project)

    def prepare_manifest(self, project: DbtProject) -> Path:
        """:meth:`prepare`, returning the manifest's path."""
        command = ("compile",) if self.compile_sql else ("parse",)
        manifest = Path(project.manifest_path)
        target_dir = manifest.parent
        inv = _Invocation.of(project, self.vars, self.target, self.profiles_dir)
        with _lock(target_dir):
            if not self.force and manifest_is_current(
                project,
                command=command,
                vars=inv.vars,
                target=inv.target,
                profiles_dir=inv.profiles_dir,
            ):
                return manifest
            if project.has_uninstalled_deps:
                try:
                    _run_dbt(project, ("deps",), inv)
                except Exception as e:  # noqa: BLE001 - dbt's errors share no base class
                    logger.warning("`dbt deps` failed for %s: %s", project.project_dir, e)
            return self._compile(project, command, inv)

    def _compile(self, project: DbtProject, command: tuple[str, ...], inv: _Invocation) -> Path:
        manifest = Path(project.manifest_path)
        stamp = manifest.parent / STAMP_FILE
        try:
            _run_dbt(project, command, inv)
        except Exception as e:  # noqa: BLE001 - dbt's errors share no base class; logged below
            if not self.compile_sql:
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
                _run_dbt(project, ("parse",), inv)
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
        stamp.write_text(
            json.dumps({"fingerprint": _fingerprint(project, command, inv), "vars": dict(inv.vars)})
        )
        return manifest


def prepare_dbt_project(
    project: DbtProject,
    *,
    compile_sql: bool = True,
    force: bool = False,
    vars: Mapping[str, Any] | None = None,
    target: str | None = None,
    profiles_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Make sure ``project.manifest_path`` is a current (compiled) manifest; return its path.

    :class:`DbtLineageProjectPreparer` (dagster-dbt's preparer interface) run once.

    Args:
        project: the dbt project (its ``target_path`` may be absolute, e.g. a state folder).
        compile_sql: run ``dbt compile`` (compiled SQL, for column lineage) rather than
            ``dbt parse``.
        force: re-run even when the manifest is current.
        vars: dbt vars (``--vars``); recorded next to the manifest, where the code fingerprints
            read them (see :func:`~dagster_lineage.integrations.dbt.fingerprint.project_vars`).
        target: the dbt target (``--target``; default: the project's).
        profiles_dir: the folder of ``profiles.yml`` (``--profiles-dir``; default: the
            project's).

    Raises:
        IntegrationError: when dbt cannot even parse the project and no manifest exists.

    Examples:
        >>> callable(prepare_dbt_project)
        True
    """
    preparer = DbtLineageProjectPreparer(
        compile_sql=compile_sql, force=force, vars=vars, target=target, profiles_dir=profiles_dir
    )
    return preparer.prepare_manifest(project)
