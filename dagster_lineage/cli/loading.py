"""Find and load a code location's ``Definitions`` the way ``dagster`` CLI does.

``-m module`` / ``-f file.py`` (with an optional ``-a attribute``), else ``workspace.yaml`` in the
current folder (its first ``python_module`` or ``python_file`` entry).

Examples:
    >>> import argparse
    >>> from dagster_lineage.cli.loading import add_location_args
    >>> p = argparse.ArgumentParser(); add_location_args(p)
    >>> p.parse_args(["-m", "example_project.definitions"]).module
    'example_project.definitions'
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster_lineage.errors import DagsterLineageError, clip, redact

if TYPE_CHECKING:
    import dagster as dg

    from dagster_lineage.core.graph import LineageGraph


class CodeLocationError(DagsterLineageError):
    """The code location could not be found or loaded."""


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send everything written to stdout (Python and subprocesses, fd 1) to stderr meanwhile.

    A code location may print or log on import (dbt compile, Airflow): stdout stays the report's,
    so ``--format json`` is always valid JSON.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return clip(redact(text[0] if text else type(e).__name__), 300)


@contextlib.contextmanager
def location_errors(where: str) -> Iterator[None]:
    """Turn anything a user's code location raises while loading into one :class:`CodeLocationError`.

    The message names the cause (a syntax error with its file and line, the exception raised on
    import, a resource Dagster could not find) and the fix.
    """
    try:
        yield
    except DagsterLineageError:
        raise
    except SyntaxError as e:
        at = f" at {e.filename}:{e.lineno}" if e.filename else ""
        raise CodeLocationError(
            f"{where} has a syntax error{at}: {e.msg}. Fix it and re-run."
        ) from None
    except Exception as e:  # noqa: BLE001 - a user's code location may raise anything
        # the last frame in the user's code (not Dagster's or ours) says where to look
        frames = [
            f
            for f in traceback.extract_tb(e.__traceback__)
            if "site-packages" not in f.filename
            and os.sep + "dagster_lineage" + os.sep not in f.filename
            and not f.filename.startswith("<")
        ]
        at = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
        kind = type(e).__name__
        detail = _validation_detail(e)
        if detail is not None:  # pydantic: the first line only names the model
            kind = f"invalid {getattr(e, 'title', None) or 'configuration'}"
            fix = "Fix the value named above (a resource's or a component's configuration)."
        elif "Dagster" in kind and "resource with key" in str(e).lower():
            fix = "Fix the Definitions (a missing resource must be passed in resources={...})."
        else:
            fix = (
                "Fix the code location; running `python -c 'import <module>'` shows the traceback."
            )
        raise CodeLocationError(
            f"Loading {where} failed{at}: {kind}: {detail or _first_line(e)}. {fix}"
        ) from None


def _validation_detail(e: BaseException) -> str | None:
    """A pydantic ``ValidationError``'s causes on one line (``field: message; ...``), else ``None``.

    Examples:
        >>> import pydantic
        >>> class R(pydantic.BaseModel):
        ...     port: int
        >>> try:
        ...     R(port="x")
        ... except pydantic.ValidationError as err:
        ...     _validation_detail(err)
        'port: Input should be a valid integer, unable to parse string as an integer'
    """
    errors = getattr(e, "errors", None)
    if type(e).__name__ != "ValidationError" or not callable(errors):
        return None
    try:
        items = errors()
    except Exception:  # noqa: BLE001 - not pydantic's shape after all
        return None
    parts = []
    for item in items:
        loc = ".".join(str(x) for x in item.get("loc") or ())
        msg = " ".join(str(item.get("msg") or "").split())
        parts.append(f"{loc}: {msg}" if loc else msg)
    return clip(redact("; ".join(parts)), 900) if parts else None


def describe_location(args: argparse.Namespace) -> str:
    """A short name of the code location the arguments select (for messages)."""
    if getattr(args, "module", None):
        return f"module {args.module}"
    if getattr(args, "file", None):
        return f"file {args.file}"
    return f"the code location of {getattr(args, 'workspace', None) or 'workspace.yaml'}"


def add_location_args(parser: argparse.ArgumentParser) -> None:
    """Add ``-m/-f/-a/-w`` options to a subcommand parser."""
    g = parser.add_argument_group("code location (default: workspace.yaml in the current folder)")
    g.add_argument("-m", "--module-name", dest="module", help="Python module holding Definitions")
    g.add_argument("-f", "--python-file", dest="file", help="Python file holding Definitions")
    g.add_argument("-a", "--attribute", dest="attribute", help="name of the Definitions object")
    g.add_argument("-w", "--workspace", dest="workspace", help="path to a workspace.yaml")


def _find_defs(module: Any, attribute: str | None, where: str) -> dg.Definitions:
    import dagster as dg  # lazily: `--state` answers never import Dagster

    if attribute:
        obj = getattr(module, attribute, None)
        if obj is None:
            raise CodeLocationError(
                f"{where} has no attribute '{attribute}'. Check -a/--attribute."
            )
    else:
        obj = getattr(module, "defs", None)
        if not isinstance(obj, dg.Definitions) and not callable(obj):  # `@dg.definitions` (dg)
            found = [v for v in vars(module).values() if isinstance(v, dg.Definitions)]
            if len(found) != 1:
                raise CodeLocationError(
                    f"{where} defines {len(found)} Definitions objects; name one with -a/--attribute."
                )
            obj = found[0]
    if callable(obj) and not isinstance(obj, dg.Definitions):
        obj = obj()
    if not isinstance(obj, dg.Definitions):
        raise CodeLocationError(
            f"{where}: '{attribute or 'defs'}' is not a dagster Definitions object."
        )
    return obj


def _import_module(name: str, working_directory: str | None) -> Any:
    wd = os.path.abspath(working_directory or os.getcwd())
    if wd not in sys.path:
        sys.path.insert(0, wd)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name and name.startswith(e.name):
            raise CodeLocationError(
                f"Cannot import module '{name}' from {wd}. Run from the folder that contains it, "
                "or pass -f path/to/definitions.py."
            ) from None
        raise


def _import_file(path: str, working_directory: str | None = None) -> Any:
    p = Path(path)
    if not p.is_file():
        raise CodeLocationError(f"Python file {path} does not exist. Check -f/--python-file.")
    wd = os.path.abspath(working_directory or p.resolve().parent)
    if wd not in sys.path:
        sys.path.insert(0, wd)
    spec = importlib.util.spec_from_file_location(f"_dagster_lineage_loc_{p.stem}", p)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def load_definitions(args: argparse.Namespace) -> dg.Definitions:
    """Load the ``Definitions`` named by the location arguments (or workspace.yaml)."""
    import yaml

    if args.module:
        return _find_defs(
            _import_module(args.module, None), args.attribute, f"module {args.module}"
        )
    if args.file:
        return _find_defs(_import_file(args.file), args.attribute, f"file {args.file}")
    ws = Path(args.workspace or "workspace.yaml")
    if not ws.is_file():
        raise CodeLocationError(
            "No code location given and no workspace.yaml in the current folder. "
            "Pass -m <module> or -f <file.py>, or run from the repository root."
        )
    try:
        data = yaml.safe_load(ws.read_text()) or {}
    except yaml.YAMLError as e:
        raise CodeLocationError(f"{ws} is not valid YAML: {e}") from None
    base = ws.resolve().parent
    for entry in data.get("load_from", []) or []:
        if "python_module" in entry:
            spec = entry["python_module"]
            if isinstance(spec, str):
                spec = {"module_name": spec}
            wd = spec.get("working_directory")
            wd = str(base / wd) if wd else str(base)
            mod = _import_module(spec["module_name"], wd)
            return _find_defs(mod, spec.get("attribute"), f"module {spec['module_name']}")
        if "python_file" in entry:
            spec = entry["python_file"]
            if isinstance(spec, str):
                spec = {"relative_path": spec}
            mod = _import_file(str(base / spec["relative_path"]), spec.get("working_directory"))
            return _find_defs(mod, spec.get("attribute"), f"file {spec['relative_path']}")
    raise CodeLocationError(f"{ws} has no python_module or python_file entry under load_from.")


def load_location(args: argparse.Namespace, build: Any = None) -> Any:
    """Load the code location's ``Definitions`` (and ``build(defs)``, when given) safely.

    Stdout is sent to stderr meanwhile and every error becomes one :class:`CodeLocationError`.
    """
    where = describe_location(args)
    with stdout_to_stderr(), location_errors(where):
        defs = load_definitions(args)
        return build(defs) if build is not None else defs


def load_graph(args: argparse.Namespace) -> LineageGraph:
    """Load the code location and build its :class:`LineageGraph`."""
    from dagster_lineage.defs.graph import graph_from_definitions  # Dagster: only here

    graph: LineageGraph = load_location(args, graph_from_definitions)
    return graph


def warn_cycle(graph: LineageGraph) -> None:
    """Print the lineage cycle, if any, as one warning line on stderr (the output stays usable)."""
    from dagster_lineage.core.model import key_to_str

    cycle = graph.find_cycle()
    if cycle:
        print(
            "dagster-lineage: warning: the lineage graph has a cycle: "
            f"{' -> '.join(clip(key_to_str(k), 80) for k in cycle)}. Traversal stops at the "
            "repeated asset; remove one of these dependencies.",
            file=sys.stderr,
        )
