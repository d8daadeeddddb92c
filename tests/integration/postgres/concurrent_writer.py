"""Run one materialization of a small chain of recording assets (used as a separate process).

Usage: python concurrent_writer.py DAGSTER_HOME PREFIX N SYNC_DIR

Each asset waits until every writer process has reached the same asset (a file barrier in
SYNC_DIR), so the two runs record their materializations at the same moment.
"""

import sys
import time
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext

from dagster_lineage.core.model import AssetLineage
from dagster_lineage.defs.recording import checksum_metadata


def _barrier(sync_dir: Path, prefix: str, step: int, parties: int = 2) -> None:
    (sync_dir / f"{step}.{prefix}").touch()
    deadline = time.monotonic() + 120
    while len(list(sync_dir.glob(f"{step}.*"))) < parties:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the other writer never reached step {step}")
        time.sleep(0.05)


def _asset(name: str, ups: tuple[str, ...], step: int, prefix: str, sync_dir: Path):
    rec = AssetLineage(key=(name,), upstream=tuple((u,) for u in ups), code_checksum=f"c-{name}")

    @dg.asset(name=name, deps=list(ups), code_version=rec.code_checksum)
    def _a(context: AssetExecutionContext) -> dg.MaterializeResult:
        _barrier(sync_dir, prefix, step)
        return dg.MaterializeResult(metadata=checksum_metadata(rec, context=context))

    return _a


def main() -> None:
    home, prefix, n, sync = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    assets = [
        _asset(f"{prefix}{i}", (f"{prefix}{i - 1}",) if i else (), i, prefix, sync)
        for i in range(n)
    ]
    instance = dg.DagsterInstance.from_config(home)
    try:
        result = dg.materialize(assets, instance=instance)
        print(f"RUN_ID={result.run_id} SUCCESS={result.success}")
    finally:
        instance.dispose()


if __name__ == "__main__":
    main()
