"""One SparkSession for every Spark integration test (JVM start-up is slow); stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _stop_jvm(session: Any) -> None:
    """Stop the session, then the py4j gateway's JVM process itself."""
    from pyspark import SparkContext

    session.stop()
    gateway = SparkContext._gateway
    if gateway is not None:
        proc = getattr(gateway, "proc", None)
        gateway.shutdown()
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        SparkContext._gateway = None
        SparkContext._jvm = None


@pytest.fixture(scope="session")
def spark_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spark")


@pytest.fixture(scope="session")
def spark_resource(spark_dir: Path) -> Any:
    from dagster_lineage.defs.spark import SparkSessionResource

    return SparkSessionResource(warehouse_dir=str(spark_dir / "warehouse"))


@pytest.fixture(scope="session")
def spark(spark_resource: Any) -> Iterator[Any]:
    pytest.importorskip("pyspark")
    session = spark_resource.get_session()
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        _stop_jvm(session)
