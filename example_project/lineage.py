"""The example's whole lineage graph, built lazily from the merged definitions."""

import importlib

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.defs.graph import graph_from_definitions


def example_graph() -> LineageGraph:
    """The lineage graph of the whole example code location (resolved at run time)."""
    return graph_from_definitions(
        importlib.import_module("example_project.definitions").defs
    )
