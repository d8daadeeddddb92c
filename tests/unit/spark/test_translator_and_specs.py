"""Translator hooks, code versions over local imports, and the spec factory (no Spark)."""

from __future__ import annotations

import logging
from pathlib import Path

import dagster as dg
import pytest

from dagster_lineage.defs.metadata_keys import LINEAGE_KEY
from dagster_lineage.defs.spark import build_spark_lineage_specs, spark_job_asset, spark_job_assets
from dagster_lineage.defs.spark.translator import SparkLineageTranslator
from dagster_lineage.errors import DagsterLineageError, IntegrationError
from dagster_lineage.integrations.spark.checksum import job_code_checksum, job_code_files
from dagster_lineage.integrations.spark.translator import SparkJob, SparkLineageSettings
from dagster_lineage.integrations.spark.types import SparkSource

JOB = """\
from pyspark.sql import functions as F
from mypkg.settings import OUT


def run(spark):
    \"\"\"Orders per customer.\"\"\"
    orders = spark.table("warehouse.main.fct_orders")
    return orders.withColumn("order_total_x2", F.col("order_total") * 2)
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    pkg = tmp_path / "mypkg"
    (pkg / "jobs").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "jobs" / "__init__.py").write_text("")
    (pkg / "settings.py").write_text("OUT = '/tmp/out'\n")
    (pkg / "unrelated.py").write_text("X = 1\n")
    (pkg / "jobs" / "orders.py").write_text(JOB)
    return pkg / "jobs" / "orders.py"


def _record(spec: dg.AssetSpec) -> dict:
    return spec.metadata[LINEAGE_KEY].value


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("file:/tmp/state/exports/fct_orders.parquet", "fct_orders"),
        ("s3a://lake/silver/customers/", "customers"),
        ("/data/events/*.json", "events"),
        ("/data/sales/year=2024/", "sales"),
        ("{paths.EXPORT_DIR}/fct_orders.parquet", "fct_orders"),
        ("{EXPORT_DIR}", "EXPORT_DIR"),
        ("hdfs://nn:8020/x/orders.csv.gz", "orders"),
    ],
)
def test_default_path_mapping(path: str, key: str) -> None:
    assert SparkLineageTranslator().get_asset_key_for_path(path) == dg.AssetKey(key)


def test_code_version_covers_local_imports_only(project: Path) -> None:
    root = project.parents[2]
    files = job_code_files(project)
    assert sorted(files) == [
        "mypkg/__init__.py",
        "mypkg/jobs/__init__.py",
        "mypkg/jobs/orders.py",
        "mypkg/settings.py",
    ]
    before = job_code_checksum(project, entry="run")
    (root / "mypkg" / "unrelated.py").write_text("X = 2\n")
    assert job_code_checksum(project, entry="run") == before
    (root / "mypkg" / "settings.py").write_text("OUT = '/tmp/other'\n")
    changed = job_code_checksum(project, entry="run")
    assert changed != before
    assert job_code_checksum(project, entry="main") != changed


def test_spec_with_custom_translator(project: Path) -> None:
    class Custom(SparkLineageTranslator):
        def get_asset_key(self, job: SparkJob) -> dg.AssetKey:
            return dg.AssetKey(["spark", job.asset_name])

        def get_asset_key_for_table(self, table: str) -> dg.AssetKey:
            return dg.AssetKey(["analytics", table.split(".")[-1]])

        def get_schema_for_source(self, source: SparkSource) -> list[str] | None:
            return ["order_id", "order_total"] if source.name.endswith("fct_orders") else None

        def get_owners(self, job: SparkJob) -> list[str]:
            return ["team:analytics"]

    [spec] = build_spark_lineage_specs(jobs=[project], translator=Custom())
    assert spec.key == dg.AssetKey(["spark", "orders"])
    assert [d.asset_key for d in spec.deps] == [dg.AssetKey(["analytics", "fct_orders"])]
    assert spec.owners == ["team:analytics"]
    assert spec.kinds == {"spark"}
    assert spec.description == "Orders per customer."
    rec = _record(spec)
    # the schema hook expands the source: every column known, no star upstream
    assert [c["name"] for c in rec["columns"]] == ["order_id", "order_total", "order_total_x2"]
    assert rec["column_deps"]["order_total_x2"] == [
        {"asset": ["analytics", "fct_orders"], "column": "order_total", "kind": "transformation"}
    ]
    assert rec["star_upstreams"] == []
    assert rec["source_ref"] == "mypkg/jobs/orders.py"
    assert spec.code_version == job_code_checksum(project, entry="run")


def test_default_translator_star_and_settings(project: Path) -> None:
    [spec] = build_spark_lineage_specs(jobs=[SparkJob(job_file=project, name="ords")])
    rec = _record(spec)
    assert spec.key == dg.AssetKey("ords")
    assert rec["star_upstreams"] == [["fct_orders"]]
    assert [c["name"] for c in rec["columns"]] == ["order_total_x2"]

    off = SparkLineageTranslator(SparkLineageSettings(enable_static_lineage=False))
    [spec_off] = build_spark_lineage_specs(jobs=[project], translator=off)
    assert spec_off.deps == []
    assert _record(spec_off)["unknowns"] == [{"column": None, "reason": "static lineage disabled"}]


def test_unparsable_job_warns_and_loads(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = tmp_path / "broken.py"
    bad.write_text("def run(spark)\n    return 1\n")
    with caplog.at_level(logging.WARNING, logger="dagster_lineage"):
        [spec] = build_spark_lineage_specs(jobs=[bad])
    assert "broken.py" in caplog.text
    assert "not valid Python" in _record(spec)["unknowns"][0]["reason"]
    assert spec.code_version  # still checksummed


def test_missing_job_file_is_an_actionable_error(tmp_path: Path) -> None:
    with pytest.raises(IntegrationError, match=r"nope\.py.*does not exist.*job_file"):
        spark_job_asset(job_file=tmp_path / "nope.py")
    with pytest.raises(IntegrationError, match="no job given"):
        spark_job_asset()


def test_asset_from_callable_and_duplicate_names(tmp_path: Path) -> None:
    import importlib.util

    mod_file = tmp_path / "callable_job.py"
    mod_file.write_text(
        "def only_completed(df):\n"
        "    return df.filter(df.status == 'completed')\n\n\n"
        "def run(spark):\n"
        "    orders = only_completed(spark.table('orders'))\n"
        "    return orders.selectExpr('order_id', 'order_total * 0.2 as tax')\n"
    )
    spec_ = importlib.util.spec_from_file_location("callable_job", mod_file)
    assert spec_ is not None and spec_.loader is not None
    module = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(module)

    asset = spark_job_asset(entry=module.run, name="taxed_orders")
    [spec] = asset.specs
    assert spec.key == dg.AssetKey("taxed_orders")
    rec = _record(spec)
    assert rec["column_deps"]["tax"] == [
        {"asset": ["orders"], "column": "order_total", "kind": "transformation"}
    ]
    assert rec["reads"] == [{"asset": ["orders"], "column": "status", "clause": "filter"}]

    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "job.py").write_text("def run(spark):\n    return spark.table('t')\n")
    with pytest.raises(DagsterLineageError, match="Two Spark jobs map to asset job"):
        spark_job_assets(jobs=[tmp_path / "a" / "job.py", tmp_path / "b" / "job.py"])
