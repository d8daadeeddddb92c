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
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.errors import DagsterLineageError


class CodeLocationError(DagsterLineageError):
    """The code location could not be found or loaded."""


def add_location_args(parser: argparse.ArgumentParser) -> None:
    """Add ``-m/-f/-a/-w`` options to a subcommand parser."""
    g = parser.add_argument_group("code location (default: workspace.yaml in the current folder)")
    g.add_argument("-m", "--module-name", dest="module", help="Python module holding Definitions")
    g.add_argument("-f", "--python-file", dest="file", help="Python file holding Definitions")
    g.add_argument("-a", "--attribute", dest="attribute", help="name of the Definitions object")
    g.add_argument("-w", "--workspace", dest="workspace", help="path to a workspace.yaml")


def _find_defs(module: Any, attribute: str | None, where: str) -> dg.Definitions:
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


def load_graph(args: argparse.Namespace) -> LineageGraph:
    """Load the code location and build its :class:`LineageGraph`."""
    return LineageGraph.from_definitions(load_definitions(args))
