r"""Code checksum of a PySpark job: its file plus the project-local modules it imports (transitively).

A module is project-local when it resolves to a ``.py`` file under the job's project root: the folder
above the job file's outermost package (the first folder without ``__init__.py``), or the job file's
own folder for a loose script. Installed libraries (pyspark, dagster...) are not part of the
checksum. Paths are hashed relative to the project root, so the checksum is the same on every machine.

Examples:
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "helpers.py").write_text("X = 1\n")
    >>> _ = (root / "job.py").write_text("import helpers\nimport json\n")
    >>> sorted(job_code_files(root / "job.py"))
    ['helpers.py', 'job.py']
    >>> before = job_code_checksum(root / "job.py")
    >>> _ = (root / "helpers.py").write_text("X = 2\n")
    >>> job_code_checksum(root / "job.py") != before
    True
"""

from __future__ import annotations

import ast
from pathlib import Path

from dagster_lineage.state.checksums import code_checksum, python_file_digest


def project_root(job_file: str | Path) -> Path:
    """The folder imports of ``job_file`` are resolved from (above its outermost package).

    Examples:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> project_root(d / "job.py") == d.resolve()
        True
    """
    folder = Path(job_file).resolve().parent
    while (folder / "__init__.py").exists() and folder.parent != folder:
        folder = folder.parent
    return folder


def module_name(job_file: str | Path) -> str | None:
    r"""The dotted module name of ``job_file`` relative to :func:`project_root` (``None`` if loose).

    Examples:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> (d / "pkg").mkdir(); _ = (d / "pkg" / "__init__.py").write_text("")
        >>> module_name(d / "pkg" / "job.py")
        'pkg.job'
    """
    path = Path(job_file).resolve()
    root = project_root(path)
    if root == path.parent:
        return None
    return ".".join(path.relative_to(root).with_suffix("").parts)


def _resolve(name: str, roots: list[Path]) -> Path | None:
    parts = name.split(".")
    for root in roots:
        base = root.joinpath(*parts)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate.resolve()
    return None


def _imported_modules(path: Path, root: Path) -> list[Path]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, OSError, UnicodeDecodeError):
        return []
    roots = [root, path.parent]
    found: list[Path] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                pkg = path.parent
                for _ in range(node.level - 1):
                    pkg = pkg.parent
                base = ".".join(pkg.relative_to(root).parts) if pkg.is_relative_to(root) else ""
                mod = ".".join(p for p in (base, node.module or "") if p)
            else:
                mod = node.module or ""
            names = [mod] + [f"{mod}.{a.name}" if mod else a.name for a in node.names]
        for n in names:
            if not n:
                continue
            # every package on the way is imported too (its __init__.py runs)
            parts = n.split(".")
            for i in range(1, len(parts) + 1):
                hit = _resolve(".".join(parts[:i]), roots)
                if hit is not None and hit.is_relative_to(root):
                    found.append(hit)
    return found


def job_code_files(job_file: str | Path) -> dict[str, Path]:
    r"""The job file and every project-local module it imports, by path relative to the root.

    Examples:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "job.py").write_text("import os\n")
        >>> list(job_code_files(d / "job.py"))
        ['job.py']
    """
    path = Path(job_file).resolve()
    root = project_root(path)
    seen: dict[Path, None] = {path: None}
    # importing the job runs its own packages' __init__.py files
    folder = path.parent
    while folder != root and (folder / "__init__.py").is_file():
        seen[(folder / "__init__.py").resolve()] = None
        folder = folder.parent
    todo = list(seen)
    while todo:
        current = todo.pop()
        for dep in _imported_modules(current, root):
            if dep not in seen and ".venv" not in dep.parts and "site-packages" not in dep.parts:
                seen[dep] = None
                todo.append(dep)
    return {p.relative_to(root).as_posix(): p for p in sorted(seen)}


def job_code_checksum(job_file: str | Path, *, entry: str | None = None) -> str:
    r"""Checksum of the job file, its project-local imports and the entry function's name.

    Each file enters through its normalised code (the Python AST: comments and formatting do not
    count; a file that does not parse enters exactly), by its path relative to the project root.

    Examples:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "job.py").write_text("def run(spark): ...\n")
        >>> job_code_checksum(d / "job.py", entry="run") == job_code_checksum(d / "job.py", entry="run")
        True
    """
    files = job_code_files(job_file)
    return code_checksum(
        {
            "spark_job": Path(job_file).name,
            "entry": entry,
            "scheme": "spark/2",
            "files": {rel: python_file_digest(p) for rel, p in files.items()},
        }
    )
