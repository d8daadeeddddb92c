"""Fingerprint of a dbt project's sources, to know when its manifest is stale (pure).

Hashes the content of every file dbt reads (SQL, YAML, CSV seeds, docs, Python models, the
installed packages under ``dbt_packages/`` -- local packages are symlinks there, followed --,
``packages.yml``, ``package-lock.yml``, ``selectors.yml``), the ``profiles.yml`` and the values of
every ``env_var(...)`` those files mention, by project-relative path. Cheap: file reads, no dbt
invocation.

Examples:
    >>> import pathlib, tempfile
    >>> from dagster_lineage.integrations.dbt.fingerprint import project_fingerprint
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "dbt_project.yml").write_text("name: p")
    >>> a = project_fingerprint(d)
    >>> _ = (d / "m.sql").write_text("select 1")
    >>> a != project_fingerprint(d)
    True
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster_lineage.core.hashing import stable_hash
from dagster_lineage.integrations.dbt.checksum import jinja_env_vars

PREPARED_STAMP_FILE = "dagster_lineage_prepared.json"
"""Written by ``prepare_dbt_project`` next to the manifest: the fingerprint and the vars given."""

SOURCE_SUFFIXES = frozenset({".sql", ".yml", ".yaml", ".csv", ".md", ".py", ".jinja", ".json"})
# build output, not sources; installed packages (dbt_packages/) ARE read by dbt, so they are walked
_SKIP_DIRS = frozenset({"target", "logs", "dbt_modules", "__pycache__"})


def _source_files(project_dir: Path, skip: set[Path]) -> Iterator[Path]:
    """Every file dbt may read, following symlinks (``dbt deps`` links local packages) once."""
    seen: set[Path] = set()
    for root, dirs, files in os.walk(project_dir, followlinks=True):
        root_path = Path(root)
        real = root_path.resolve()
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _SKIP_DIRS
            and not d.startswith(".")
            and (root_path / d).resolve() not in skip
        )
        for name in sorted(files):
            if Path(name).suffix in SOURCE_SUFFIXES:
                yield root_path / name


def project_fingerprint(
    project_dir: str | Path,
    *,
    profiles_dir: str | Path | None = None,
    exclude_dirs: tuple[str | Path, ...] = (),
    extra: Mapping[str, Any] | None = None,
) -> str:
    """sha256 over a dbt project's source files, its profiles.yml and the env vars they read.

    Args:
        project_dir: the folder holding ``dbt_project.yml``.
        profiles_dir: the folder holding ``profiles.yml`` (default: ``project_dir``).
        exclude_dirs: more folders to skip (e.g. a target folder inside the project).
        extra: anything else the manifest depends on (dbt version, target name, command).

    Examples:
        >>> import pathlib, tempfile
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> project_fingerprint(d) == project_fingerprint(d, extra=None)
        True
    """
    root = Path(project_dir).resolve()
    skip = {Path(p).resolve() for p in exclude_dirs}
    files: dict[str, str] = {}
    env_names: set[str] = set()
    candidates = list(_source_files(root, skip))
    profiles = Path(profiles_dir or root).resolve() / "profiles.yml"
    if profiles.is_file() and profiles not in candidates:
        candidates.append(profiles)
    for path in candidates:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        files[rel] = hashlib.sha256(data).hexdigest()
        if path.suffix in (".sql", ".yml", ".yaml", ".jinja", ".py"):
            env_names.update(jinja_env_vars(data.decode("utf-8", errors="replace")))
    env = {name: os.environ.get(name) for name in sorted(env_names)}
    return stable_hash({"files": files, "env": env, "extra": dict(extra or {})})


def project_vars(
    project_dir: str | Path | None,
    *,
    given: Mapping[str, Any] | None = None,
    stamp_dir: str | Path | None = None,
) -> dict[str, Any]:
    r"""The vars a compile of the project saw, by name.

    ``dbt_project.yml``'s ``vars``, overlaid with the vars given on the command line (``given``,
    else those ``prepare_dbt_project`` recorded in its stamp file in ``stamp_dir``).

    Package-scoped vars (``vars: {package: {...}}``) are kept under the package's name.

    Examples:
        >>> import pathlib, tempfile
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "dbt_project.yml").write_text("name: p\nvars:\n  rate: 0.9\n  n: 1\n")
        >>> project_vars(d, given={"n": 2})
        {'rate': 0.9, 'n': 2}
    """
    out: dict[str, Any] = {}
    if project_dir is not None:
        path = Path(project_dir) / "dbt_project.yml"
        try:
            import yaml

            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, ValueError, ImportError):
            data = {}
        except Exception:  # noqa: BLE001 - yaml.YAMLError: dbt reports it on compile
            data = {}
        if isinstance(data, Mapping) and isinstance(data.get("vars"), Mapping):
            out.update({str(k): v for k, v in data["vars"].items()})
    if given is None and stamp_dir is not None:
        import json

        try:
            stamp = json.loads((Path(stamp_dir) / PREPARED_STAMP_FILE).read_text())
            given = stamp.get("vars") if isinstance(stamp, Mapping) else None
        except (OSError, ValueError):
            given = None
    out.update(dict(given or {}))
    return out
