"""The pure core never imports Dagster, dbt, Airflow or PySpark (DESIGN.md, "Layers")."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import textwrap

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
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as e:
                if e.name == name:
                    continue  # a module being written in parallel may not exist yet
                raise
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
