"""The bridge between lineage records and Dagster: spec to record, and the graph of a code location.

Everything in ``defs/`` that turns Dagster objects into :class:`~dagster_lineage.core.model.AssetLineage`
records, or finds the :class:`~dagster_lineage.core.graph.LineageGraph`, goes through here:

- :func:`record_from_spec` (and :func:`records_from_specs`): one record per asset spec, from the
  lineage metadata on the spec plus its deps and owners;
- :func:`graph_from_definitions`, :func:`graph_from_repository`: the graph of a ``Definitions``
  object or a loaded code location;
- :func:`graph_from_context`: the graph of the code location a run, sensor, asset or check
  context belongs to (the job's own assets, with a warning, when it runs in process without one);
- :data:`GraphSource` and :func:`resolve_graph`: what the jobs, sensors and gates accept as
  ``graph=`` (default: :func:`graph_from_context`).

Examples:
    >>> import dagster as dg
    >>> from dagster_lineage.defs.graph import graph_from_definitions, records_from_definitions
    >>> defs = dg.Definitions(assets=[dg.AssetSpec("a"), dg.AssetSpec("b", deps=["a"])])
    >>> [r.key for r in records_from_definitions(defs)]
    [('a',), ('b',)]
    >>> graph_from_definitions(defs).downstream_keys(("a",))
    [('b',)]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

import dagster as dg

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import AssetKeyPath, AssetLineage
from dagster_lineage.defs.metadata import record_from_metadata
from dagster_lineage.errors import IntegrationError
from dagster_lineage.impact.policy import POLICY_TAG
from dagster_lineage.impact.report import CRITICALITY_TAG

GraphSource = LineageGraph | dg.Definitions | Callable[[], LineageGraph | dg.Definitions]
"""Where an op, check or sensor gets the lineage graph (default: its own code location)."""

SpecSource = dg.AssetSpec | dg.AssetsDefinition
"""An asset spec, or an assets definition (all of its specs)."""


def record_from_spec(spec: dg.AssetSpec) -> AssetLineage:
    """The lineage record of one asset spec: its lineage metadata, deps, owners and policy tags.

    The spec's ``on_breaking`` and ``criticality`` tags (any prefix, e.g.
    ``dagster_lineage/on_breaking: warn``) join the record's tags: that is how the Python API and
    a component's YAML set the breaking-change policy (:mod:`dagster_lineage.impact.policy`).

    Examples:
        >>> import dagster as dg
        >>> rec = record_from_spec(dg.AssetSpec("b", deps=["a"], owners=["team:x"]))
        >>> rec.key, rec.upstream, rec.owners
        (('b',), (('a',),), ('team:x',))
    """
    rec = record_from_metadata(
        tuple(spec.key.path),
        spec.metadata or {},
        deps=tuple(tuple(d.asset_key.path) for d in spec.deps),
        owners=tuple(str(o) for o in (spec.owners or ())),
    )
    # the spec's policy and criticality tags (Python API, component YAML) join the record's
    policy = {
        k: str(v)
        for k, v in (spec.tags or {}).items()
        if k.lower().rsplit("/", 1)[-1] in _RECORD_TAGS
    }
    if policy and any(rec.tags.get(k) != v for k, v in policy.items()):
        rec = dataclasses.replace(rec, tags={**rec.tags, **policy})
    return rec


_RECORD_TAGS = frozenset({POLICY_TAG, CRITICALITY_TAG})


def specs_of(items: Iterable[SpecSource]) -> list[dg.AssetSpec]:
    """Every spec of ``items`` (an assets definition contributes all of its specs), in order.

    Examples:
        >>> import dagster as dg
        >>> [s.key.path for s in specs_of([dg.AssetSpec("a"), dg.AssetSpec("b")])]
        [['a'], ['b']]
    """
    out: list[dg.AssetSpec] = []
    for item in items:
        if isinstance(item, dg.AssetsDefinition):
            out.extend(item.specs)
        else:
            out.append(item)
    return out


def records_from_specs(items: Iterable[SpecSource]) -> list[AssetLineage]:
    """One record per asset key of ``items`` (the last spec of a key wins), sorted by key.

    Examples:
        >>> import dagster as dg
        >>> [r.key for r in records_from_specs([dg.AssetSpec("b"), dg.AssetSpec("a")])]
        [('a',), ('b',)]
    """
    by_key: dict[AssetKeyPath, AssetLineage] = {}
    for spec in specs_of(items):
        rec = record_from_spec(spec)
        by_key[rec.key] = rec
    return [by_key[k] for k in sorted(by_key)]


def records_from_definitions(defs: dg.Definitions) -> list[AssetLineage]:
    """One :class:`AssetLineage` per asset spec of ``defs``, sorted by key.

    Examples:
        >>> import dagster as dg
        >>> [r.key for r in records_from_definitions(dg.Definitions(assets=[dg.AssetSpec("a")]))]
        [('a',)]
    """
    return records_from_specs(defs.resolve_all_asset_specs())


def graph_from_definitions(defs: dg.Definitions) -> LineageGraph:
    """The lineage graph of a ``Definitions`` object's asset specs.

    Examples:
        >>> import dagster as dg
        >>> defs = dg.Definitions(assets=[dg.AssetSpec("a"), dg.AssetSpec("b", deps=["a"])])
        >>> graph_from_definitions(defs).downstream_keys(("a",))
        [('b',)]
    """
    return LineageGraph.from_records(records_from_definitions(defs))


def unique_assets_defs(repository_def: Any) -> list[dg.AssetsDefinition]:
    """The assets definitions of a loaded code location, each once (in definition order)."""
    return list({id(ad): ad for ad in repository_def.assets_defs_by_key.values()}.values())


def graph_from_repository(repository_def: Any) -> LineageGraph:
    """The lineage graph of a loaded code location (``context.repository_def``).

    Examples:
        >>> import dagster as dg
        >>> defs = dg.Definitions(assets=[dg.AssetSpec("a"), dg.AssetSpec("b", deps=["a"])])
        >>> graph_from_repository(defs.get_repository_def()).downstream_keys(("a",))
        [('b',)]
    """
    return LineageGraph.from_records(records_from_specs(unique_assets_defs(repository_def)))


def graph_from_job(job_def: Any) -> LineageGraph | None:
    """The lineage graph of a job's own assets (``None`` when the job has none)."""
    asset_graph = getattr(getattr(job_def, "asset_layer", None), "asset_graph", None)
    nodes = getattr(asset_graph, "asset_nodes", None)
    if not nodes:
        return None
    return LineageGraph.from_records(
        record_from_metadata(
            tuple(node.key.path),
            node.metadata or {},
            deps=tuple(tuple(k.path) for k in node.parent_keys),
            owners=tuple(str(o) for o in (node.owners or ())),
        )
        for node in nodes
    )


def _repository_of(context: Any) -> Any:
    try:
        return context.repository_def
    except Exception:  # noqa: BLE001 - a run without a code location raises Dagster's private CheckError
        return None


def graph_from_context(context: Any) -> LineageGraph:
    """The graph of the code location a run, sensor, asset or check context belongs to.

    In process (``execute_in_process``, ``dg.materialize``) Dagster attaches no code location: the
    graph is then limited to the job's own assets, with a warning.

    Raises:
        IntegrationError: when neither a code location nor job assets are available.

    Examples:
        >>> import dagster as dg
        >>> defs = dg.Definitions(assets=[dg.AssetSpec("a"), dg.AssetSpec("b", deps=["a"])])
        >>> ctx = dg.build_sensor_context(repository_def=defs.get_repository_def())
        >>> graph_from_context(ctx).downstream_keys(("a",))
        [('b',)]
    """
    repo = _repository_of(context)
    if repo is not None:
        return graph_from_repository(repo)
    graph = graph_from_job(getattr(context, "job_def", None))
    if graph is None:
        raise IntegrationError(
            "the run's code location",
            "no lineage graph is available (in-process execution has no repository)",
            fix="Pass graph= (a LineageGraph, Definitions or a callable returning one).",
        )
    context.log.warning(
        "No code location (repository) in this run: the lineage graph is limited to the "
        "job's own assets. Pass graph= to analyse the whole code location."
    )
    return graph


def resolve_graph(source: GraphSource | None, context: Any) -> LineageGraph:
    """The graph of ``source`` (a graph, ``Definitions`` or a callable), else of ``context``.

    Raises:
        IntegrationError: when no graph is available (in-process execution without ``source``).

    Examples:
        >>> import dagster as dg
        >>> defs = dg.Definitions(assets=[dg.AssetSpec("a"), dg.AssetSpec("b", deps=["a"])])
        >>> resolve_graph(lambda: defs, context=None).downstream_keys(("a",))
        [('b',)]
    """
    value: Any = source() if callable(source) and not isinstance(source, LineageGraph) else source
    if isinstance(value, dg.Definitions):
        return graph_from_definitions(value)
    if isinstance(value, LineageGraph):
        return value
    if value is not None:
        raise TypeError(f"graph must be a LineageGraph or Definitions, got {type(value).__name__}")
    return graph_from_context(context)
