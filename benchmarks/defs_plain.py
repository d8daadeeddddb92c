"""Baseline code location: plain dagster-dbt ``@dbt_assets`` over the generated project.

The manifest and project directory come from ``BENCH_MANIFEST`` / ``BENCH_PROJECT``.
"""

import os
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

MANIFEST = Path(os.environ["BENCH_MANIFEST"])
PROJECT = os.environ["BENCH_PROJECT"]


@dbt_assets(manifest=MANIFEST)
def bench_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()


defs = dg.Definitions(
    assets=[bench_dbt_assets], resources={"dbt": DbtCliResource(project_dir=PROJECT)}
)
