"""The layers of ARCHITECTURE.md hold: the pure core imports no Dagster, dbt, Airflow or PySpark,
nothing imports a layer above it, and ``import dagster_lineage`` loads neither Dagster nor dbt."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster_lineage

PURE = ("core", "sql", "impact", "state", "exports", "explorer")


def _pure_modules() -> list[str]:
    names = []
    for sub in PURE:
        path = [f"{dagster_lineage.__path__[0]}/{sub}"]
        names.append(f"dagster_lineage.{sub}")
        names += [m.name for m in pkgutil.walk_packages(path, prefix=f"dagster_lineage.{sub}.")]
    return names


def test_pure_core_imports_without_heavy_tools() -> None:
    modules = _pure_modules()
    assert "dagster_lineage.core.graph" in modules and "dagster_lineage.sql.lineage" in modules
    code = textwrap.dedent(
        f"""
        import importlib, importlib.abc, sys
        BLOCKED = ("dagster", "dagster_dbt", "dbt", "airflow", "pyspark")

        class Blocker(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"layer violation: {{name}} imported by the pure core")
                return None

        sys.meta_path.insert(0, Blocker())
        # Register the top-level package without running its __init__ (which re-exports the
        # Dagster-facing API) so that only the pure layers themselves are imported.
        import types
        pkg = types.ModuleType("dagster_lineage")
        pkg.__path__ = [{dagster_lineage.__path__[0]!r}]
        sys.modules["dagster_lineage"] = pkg
        for name in {modules!r}:
            importlib.import_module(name)
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


PACKAGE = Path(dagster_lineage.__path__[0])

# ARCHITECTURE.md: the rank of each layer; a module may import its own layer and the ones below.
RANK = {
    "errors": 0,
    "core": 1,
    "sql": 2,
    "state": 3,
    "exports": 3,
    "impact": 4,
    "integrations": 5,
    "explorer": 5,
    "defs": 6,
    "cli": 7,
    "__init__": 8,
}
# Third-party tools a layer must not import (at module level or inside a function).
FORBIDDEN = {
    "core": {"dagster", "dagster_dbt", "dbt", "airflow", "pyspark"},
    "sql": {"dagster", "dagster_dbt", "dbt", "airflow", "pyspark"},
    "impact": {"dagster", "dagster_dbt", "dbt", "airflow", "pyspark"},
    "state": {"dagster", "dagster_dbt", "dbt", "airflow", "pyspark"},
    "exports": {"dagster", "dagster_dbt", "dbt", "airflow", "pyspark"},
    "integrations": {"dagster", "dagster_dbt"},
    "explorer": {"dagster", "dagster_dbt", "dbt", "airflow", "pyspark"},
}


def _layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    if len(rel.parts) == 1:
        return "__init__" if rel.name == "__init__.py" else rel.stem
    return rel.parts[0]


def _imports(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


def test_every_module_belongs_to_a_layer() -> None:
    layers = {_layer(p) for p in PACKAGE.rglob("*.py")}
    assert layers <= set(RANK), layers - set(RANK)


def _violations(path: Path, layer: str) -> list[str]:
    out = []
    for line, name in _imports(path):
        top = name.split(".")[0]
        where = f"{path.name}:{line} ({layer})"
        if top == "dagster_lineage":
            target = name.split(".")[1] if "." in name else "__init__"
            if target in RANK and target != layer and RANK[target] >= RANK[layer]:
                out.append(f"{where} imports {name} ({target})")
        elif top in FORBIDDEN.get(layer, set()):
            out.append(f"{where} imports {name}")
    return out


def test_no_layer_imports_a_layer_above_it_or_a_forbidden_tool() -> None:
    violations = [v for p in sorted(PACKAGE.rglob("*.py")) for v in _violations(p, _layer(p))]
    assert violations == []


def test_the_layer_rule_flags_upward_and_tool_imports(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from dagster_lineage.errors import IntegrationError\n"
        "def f():\n"
        "    from dagster_lineage.defs.graph import graph_from_definitions\n"
        "    import dagster\n"
        "    from dagster_lineage.state import checksums\n"
    )
    assert _violations(bad, "core") == [
        "bad.py:3 (core) imports dagster_lineage.defs.graph (defs)",
        "bad.py:4 (core) imports dagster",
        "bad.py:5 (core) imports dagster_lineage.state (state)",
    ]
    assert _violations(bad, "impact") == [
        "bad.py:3 (impact) imports dagster_lineage.defs.graph (defs)",
        "bad.py:4 (impact) imports dagster",
    ]
    assert _violations(bad, "exports") == [
        "bad.py:3 (exports) imports dagster_lineage.defs.graph (defs)",
        "bad.py:4 (exports) imports dagster",
        "bad.py:5 (exports) imports dagster_lineage.state (state)",
    ]
    assert _violations(bad, "cli") == []


def test_importing_the_package_loads_neither_dagster_nor_dbt() -> None:
    code = (
        "import sys, dagster_lineage\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('dagster', 'dagster_dbt', 'dbt'))\n"
        "assert not heavy, heavy[:5]\n"
        "assert dagster_lineage.statement_lineage and dagster_lineage.analyze_impact\n"
        "dagster_lineage.dbt_lineage_assets\n"
        "assert 'dagster' in sys.modules\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
