"""Fingerprint of a dbt project's sources, to know when its manifest is stale (pure).

Hashes the content of every file dbt reads (SQL, YAML, CSV seeds, docs, Python models), the
``profiles.yml`` and the values of every ``env_var(...)`` those files mention. Cheap: a few file
reads, no dbt invocation.

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
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster_lineage.core.hashing import stable_hash

SOURCE_SUFFIXES = frozenset({".sql", ".yml", ".yaml", ".csv", ".md", ".py", ".jinja", ".json"})
_SKIP_DIRS = frozenset({"target", "logs", "dbt_packages", "dbt_modules", "__pycache__"})
_ENV_VAR_RE = re.compile(r"""env_var\(\s*['"]([^'"]+)['"]""")


def _source_files(project_dir: Path, skip: set[Path]) -> Iterator[Path]:
    for root, dirs, files in os.walk(project_dir):
        root_path = Path(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _SKIP_DIRS
            and not d.startswith(".")
            and (root_path / d).resolve() not in skip
        )
        for name in sorted(files):
            if Path(name).suffix in SOURCE_SUFFIXES and name != "package-lock.yml":
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
            env_names.update(_ENV_VAR_RE.findall(data.decode("utf-8", errors="replace")))
    env = {name: os.environ.get(name) for name in sorted(env_names)}
    return stable_hash({"files": files, "env": env, "extra": dict(extra or {})})
