"""Our code location: ``dbt_lineage_assets`` over the generated project (lineage on every spec).

The manifest, project directory and lineage cache folder come from ``BENCH_MANIFEST``,
``BENCH_PROJECT`` and ``BENCH_CACHE_DIR``.
"""

import os
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from dagster_lineage.defs.dbt import DagsterDbtLineageTranslator, dbt_lineage_assets
from dagster_lineage.integrations.dbt import DbtLineageSettings

MANIFEST = Path(os.environ["BENCH_MANIFEST"])
PROJECT = os.environ["BENCH_PROJECT"]

translator = DagsterDbtLineageTranslator(
    lineage_settings=DbtLineageSettings(cache_dir=os.environ["BENCH_CACHE_DIR"])
)


@dbt_lineage_assets(manifest=MANIFEST, translator=translator)
def bench_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()


defs = dg.Definitions(
    assets=[bench_dbt_assets], resources={"dbt": DbtCliResource(project_dir=PROJECT)}
)


def CACHE_STATS() -> dict:
    """Cache hits/misses of the analyses this translator ran (for the benchmark report)."""
    out = {}
    for _manifest, analysis in getattr(translator, "_analyses", {}).values():
        s = analysis.cache_stats
        out = {"hits": s.hits, "misses": s.misses, "writes": s.writes}
    return out
