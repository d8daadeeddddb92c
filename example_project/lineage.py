"""The example's whole lineage graph, built lazily from the merged definitions."""

import importlib

from dagster_lineage.core.graph import LineageGraph


def example_graph() -> LineageGraph:
    """The lineage graph of the whole example code location (resolved at run time)."""
    return LineageGraph.from_definitions(
        importlib.import_module("example_project.definitions").defs
    )
