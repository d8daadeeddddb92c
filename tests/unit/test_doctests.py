"""Every docstring example in the package runs (the STYLE asks for one on every public name)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import dagster_lineage

MODULES = ["dagster_lineage"] + sorted(
    m.name
    for m in pkgutil.walk_packages(dagster_lineage.__path__, prefix="dagster_lineage.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
