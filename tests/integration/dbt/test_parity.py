"""Parity with plain dagster-dbt: the judge of "drop-in" (issue 19).

The same dbt project (``tests/fixtures/dbt/parity_project``: seeds, views, tables, an incremental
model, a snapshot, a model in a local package, passing/warning/failing tests, a model that fails
on demand) runs through the same scenarios once with plain ``@dbt_assets`` (or
``DbtProjectComponent``) and once with ours (``@dbt_lineage_assets``, ``@dbt_assets`` with
``with_lineage``, ``DbtLineageProjectComponent``), each on a fresh copy of a seeded DuckDB and a
fresh Dagster instance. Ours must record every materialization, asset check evaluation,
observation and step failure that plain dagster-dbt records, with the same asset keys, check names,
statuses, severities and order, and every metadata entry plain records with the same value;
the only difference allowed is extra metadata (our checksums, ``dagster/column_schema``,
``dagster/row_count``).

Differences we keep, and why:

- Extra metadata on ours: the checksums, ``dagster/column_schema`` as observed through the dbt
  adapter, ``dagster/row_count``, ``dagster/column_lineage`` and the parents' checksums.
- ``Execution Duration`` and ``invocation_id`` (dagster-dbt's metadata) are compared by key only:
  they differ between any two runs of the same build, plain against plain too.
- On DuckDB ours yields a step's events when the dbt process ends (dbt holds the file lock, and
  the data checksum and observed columns read the file), exactly as dagster-dbt's own
  ``fetch_row_counts()`` / ``fetch_column_metadata()`` do; plain ``stream()`` yields them as dbt
  emits them. The recorded events and their order are the same; only when they reach the
  instance differs. On PostgreSQL ours streams (tests/integration/dbt/test_postgres_dbt.py).
- Ours then releases the DuckDB file (dbt-duckdb keeps it open by default), which the harness
  checks: the next writer in the same process can open it.
"""

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest
from dagster_dbt import DbtCliResource, DbtProject, DbtProjectComponent, dbt_assets

from dagster_lineage import (
    DagsterDbtLineageTranslator,
    DbtLineageProjectComponent,
    dbt_lineage_assets,
    with_lineage,
)
from dagster_lineage.defs.components.dbt import DbtLineageArgs
from dagster_lineage.defs.dbt import default_dbt_executable
from dagster_lineage.defs.metadata_keys import (
    CODE_CHECKSUM_KEY,
    DATA_CHECKSUM_KEY,
    SCHEMA_CHECKSUM_KEY,
    UPSTREAM_CHECKSUM_KEY,
)

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "dbt" / "parity_project"
OP_NAME = "parity_dbt"
VOLATILE = frozenset({"Execution Duration", "invocation_id"})
RECORDED = (
    "ASSET_MATERIALIZATION",
    "ASSET_CHECK_EVALUATION",
    "ASSET_OBSERVATION",
    "STEP_FAILURE",
)
CHECKSUMS = (CODE_CHECKSUM_KEY, SCHEMA_CHECKSUM_KEY, DATA_CHECKSUM_KEY, UPSTREAM_CHECKSUM_KEY)


def run_dbt(project_dir: Path, target_dir: Path, *args: str) -> None:
    proc = subprocess.run(
        [
            default_dbt_executable(),
            *args,
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project_dir),
            *(["--target-path", str(target_dir)] if args[0] != "deps" else []),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, f"dbt {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"


@dataclass(frozen=True)
class ParityProject:
    project_dir: Path
    target_dir: Path
    seeded_db: Path

    @property
    def manifest_path(self) -> Path:
        return self.target_dir / "manifest.json"

    def project(self) -> DbtProject:
        return DbtProject(project_dir=self.project_dir, target_path=self.target_dir)


@pytest.fixture(scope="session")
def parity(tmp_path_factory: pytest.TempPathFactory) -> ParityProject:
    """The project copied, its package installed, seeded and compiled once per session."""
    root = tmp_path_factory.mktemp("parity")
    project_dir = root / "project"
    shutil.copytree(FIXTURE, project_dir, ignore=shutil.ignore_patterns("target", "logs"))
    target = root / "target"
    seeded = root / "seeded.duckdb"
    old = os.environ.get("PARITY_DUCKDB_PATH")
    os.environ["PARITY_DUCKDB_PATH"] = str(seeded)
    try:
        run_dbt(project_dir, target, "deps")
        run_dbt(project_dir, target, "seed")
        run_dbt(project_dir, target, "compile")
    finally:
        if old is None:
            os.environ.pop("PARITY_DUCKDB_PATH", None)
        else:
            os.environ["PARITY_DUCKDB_PATH"] = old
    return ParityProject(project_dir, target, seeded)


@pytest.fixture
def warehouse(
    parity: ParityProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """``fresh()`` points the profile at a new copy of the seeded DuckDB and returns its path."""
    # the component's own DbtCliResource looks for ``dbt`` on PATH (an un-activated venv here)
    bin_dir = str(Path(default_dbt_executable()).parent)
    monkeypatch.setenv("PATH", bin_dir + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.delenv("PARITY_BREAK_MODEL", raising=False)
    monkeypatch.delenv("PARITY_FAIL_TEST", raising=False)
    counter = iter(range(100))

    def fresh() -> Path:
        path = tmp_path / f"w{next(counter)}.duckdb"
        shutil.copy(parity.seeded_db, path)
        monkeypatch.setenv("PARITY_DUCKDB_PATH", str(path))
        return path

    yield fresh


# --- the two sides ------------------------------------------------------------------------------


def plain_assets(parity: ParityProject, args: list[str]) -> dg.AssetsDefinition:
    @dbt_assets(manifest=parity.manifest_path, project=parity.project(), name=OP_NAME)
    def parity_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        yield from dbt.cli(args, context=context).stream()

    return parity_dbt


def lineage_assets(parity: ParityProject, args: list[str]) -> dg.AssetsDefinition:
    @dbt_lineage_assets(manifest=parity.manifest_path, project=parity.project(), name=OP_NAME)
    def parity_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        yield from dbt.cli(args, context=context).stream()

    return parity_dbt


def with_lineage_assets(parity: ParityProject, args: list[str]) -> dg.AssetsDefinition:
    """Plain ``@dbt_assets`` with our translator and the one streaming call."""

    @dbt_assets(
        manifest=parity.manifest_path,
        project=parity.project(),
        name=OP_NAME,
        dagster_dbt_translator=DagsterDbtLineageTranslator(),
    )
    def parity_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        yield from with_lineage(dbt.cli(args, context=context))

    return parity_dbt


OURS = {"dbt_lineage_assets": lineage_assets, "with_lineage": with_lineage_assets}


# --- running and reading the event log ---------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    kind: str
    what: tuple[Any, ...]  # keys, check name, status: what must be equal
    metadata: dict[str, Any]


def recorded(instance: dg.DagsterInstance, run_id: str) -> list[Recorded]:
    out = []
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.event_type_value not in RECORDED:
            continue
        kind = event.event_type_value
        data = event.event_specific_data
        if kind == "ASSET_MATERIALIZATION":
            mat = data.materialization
            out.append(Recorded(kind, (mat.asset_key,), dict(mat.metadata)))
        elif kind == "ASSET_OBSERVATION":
            obs = data.asset_observation
            out.append(Recorded(kind, (obs.asset_key,), dict(obs.metadata)))
        elif kind == "ASSET_CHECK_EVALUATION":
            what = (data.asset_key, data.check_name, data.passed, data.severity)
            out.append(Recorded(kind, what, dict(data.metadata)))
        else:
            error = data.error
            out.append(Recorded(kind, (event.step_key, error.cls_name if error else None), {}))
    return out


def run(
    assets: dg.AssetsDefinition | list[Any],
    parity: ParityProject,
    *,
    instance: dg.DagsterInstance | None = None,
    selection: Any = None,
) -> tuple[dg.DagsterInstance, str]:
    instance = instance or dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        assets if isinstance(assets, list) else [assets],
        resources={"dbt": DbtCliResource(project_dir=parity.project())},
        instance=instance,
        selection=selection,
        raise_on_error=False,
    )
    return instance, result.run_id


def assert_parity(plain: list[Recorded], ours: list[Recorded]) -> None:
    assert [(r.kind, r.what) for r in ours] == [(r.kind, r.what) for r in plain]
    for p, o in zip(plain, ours):
        missing = set(p.metadata) - set(o.metadata)
        assert not missing, f"{p.what}: ours lacks {sorted(missing)}"
        changed = {k for k in p.metadata if k not in VOLATILE and p.metadata[k] != o.metadata[k]}
        assert not changed, f"{p.what}: ours changes {sorted(changed)}"


def assert_checksums(ours: list[Recorded], *names: str) -> None:
    mats = {r.what[0].path[-1]: r.metadata for r in ours if r.kind == "ASSET_MATERIALIZATION"}
    for name in names:
        assert name in mats, f"{name} was not recorded: {sorted(mats)}"
        lacking = [k for k in CHECKSUMS if k not in mats[name]]
        assert not lacking, f"{name} lacks {lacking}"


_PLAIN: dict[tuple[Any, ...], list[Recorded]] = {}


def compare(
    parity: ParityProject,
    fresh: Any,
    ours: str,
    args: list[str],
    *,
    selection: Any = None,
) -> tuple[list[Recorded], list[Recorded]]:
    scenario = (
        tuple(args),
        repr(selection),
        os.environ.get("PARITY_BREAK_MODEL"),
        os.environ.get("PARITY_FAIL_TEST"),
    )
    if scenario not in _PLAIN:  # plain dagster-dbt runs once per scenario in a session
        fresh()
        _PLAIN[scenario] = recorded(*run(plain_assets(parity, args), parity, selection=selection))
    plain = _PLAIN[scenario]
    path = fresh()
    mine = recorded(*run(OURS[ours](parity, args), parity, selection=selection))
    assert_parity(plain, mine)
    assert_warehouse_released(path)
    return plain, mine


def assert_warehouse_released(path: Path) -> None:
    """The next writer (a later step of this process, the next dbt) can open the DuckDB file."""
    duckdb.connect(str(path)).close()


def kinds(events: list[Recorded]) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in events:
        out[e.kind] = out.get(e.kind, 0) + 1
    return out


# --- scenarios ------------------------------------------------------------------------------------

ALL_BUILT = (
    "raw_orders",
    "raw_customers",
    "stg_orders",
    "stg_customers",
    "fct_orders",
    "rpt_country",
    "orders_incremental",
    "orders_snapshot",
    "pkg_customer_orders",
)


@pytest.mark.parametrize("ours", sorted(OURS))
def test_full_build_seeds_snapshot_package_and_tests(parity, warehouse, ours) -> None:
    plain, mine = compare(parity, warehouse, ours, ["build"])
    assert kinds(plain).get("STEP_FAILURE") is None
    assert_checksums(mine, *ALL_BUILT)
    checks = {(r.what[1], r.what[2], r.what[3].value) for r in plain if r.what[1:]}
    # the accepted_values test warns (a refunded order), the others pass
    assert any(not passed and sev == "WARN" for _, passed, sev in checks), checks
    assert sum(1 for _, passed, _ in checks if passed) >= 4, checks


def test_a_model_fails_mid_build_and_what_was_built_is_recorded(
    parity, warehouse, monkeypatch
) -> None:
    monkeypatch.setenv("PARITY_BREAK_MODEL", "1")
    plain, mine = compare(parity, warehouse, "dbt_lineage_assets", ["build"])
    assert [r.what[0] for r in plain if r.kind == "STEP_FAILURE"] == [OP_NAME]
    built = {r.what[0].path[-1] for r in plain if r.kind == "ASSET_MATERIALIZATION"}
    assert {"stg_orders", "stg_customers"} <= built and "fct_orders" not in built
    assert_checksums(mine, "stg_orders", "stg_customers", "raw_orders")


def test_a_failing_test_and_a_warning_test(parity, warehouse, monkeypatch) -> None:
    monkeypatch.setenv("PARITY_FAIL_TEST", "1")
    plain, mine = compare(parity, warehouse, "with_lineage", ["build"])
    checks = [r.what for r in plain if r.kind == "ASSET_CHECK_EVALUATION"]
    assert any(not c[2] and c[3].value == "ERROR" for c in checks), checks
    assert any(not c[2] and c[3].value == "WARN" for c in checks), checks
    assert_checksums(mine, "fct_orders")


def test_a_subset_selection(parity, warehouse) -> None:
    # the seeded warehouse holds the seeds only: fct_orders needs both staging views
    selection = [dg.AssetKey(n) for n in ("stg_orders", "stg_customers", "fct_orders")]
    plain, mine = compare(parity, warehouse, "dbt_lineage_assets", ["build"], selection=selection)
    built = {r.what[0].path[-1] for r in plain if r.kind == "ASSET_MATERIALIZATION"}
    assert built == {"stg_orders", "stg_customers", "fct_orders"}
    assert_checksums(mine, "stg_orders", "stg_customers", "fct_orders")


def test_dbt_run(parity, warehouse) -> None:
    plain, mine = compare(parity, warehouse, "dbt_lineage_assets", ["run"])
    assert "ASSET_CHECK_EVALUATION" not in kinds(plain)
    assert_checksums(mine, "stg_orders", "fct_orders", "orders_incremental", "pkg_customer_orders")


def test_the_incremental_model_on_its_second_run(parity, warehouse) -> None:
    sides = []
    for make in (plain_assets, lineage_assets):
        warehouse()
        instance = dg.DagsterInstance.ephemeral()
        assets = make(parity, ["build"])
        run(assets, parity, instance=instance)
        sides.append(recorded(*run(assets, parity, instance=instance)))
    assert_parity(*sides)
    assert_checksums(sides[1], "orders_incremental", "orders_snapshot")


def test_the_component_path(parity, warehouse) -> None:
    sides = []
    for component in (
        DbtProjectComponent(project=parity.project(), cli_args=["build"]),
        DbtLineageProjectComponent(
            project=parity.project(),
            cli_args=["build"],
            lineage=DbtLineageArgs(compile_manifest=False, enable_exposures=False),
        ),
    ):
        warehouse()
        # the state-backed machinery (dg project, state storage) is not the subject here: build
        # from the project as it is, as `dg` does once the state is there
        context = dg.ComponentTree.for_test().load_context
        defs = component.build_defs_from_state(context, state_path=None)
        assets = list(defs.assets or [])
        sides.append(recorded(*run(assets, parity)))
    assert_parity(*sides)
    assert_checksums(sides[1], *ALL_BUILT)


# --- re-execution from failure (needs a reconstructable job and a persistent instance) ----------


def _parity_job(make: Any) -> dg.JobDefinition:
    parity = ParityProject(
        Path(os.environ["PARITY_PROJECT_DIR"]), Path(os.environ["PARITY_TARGET_DIR"]), Path()
    )
    defs = dg.Definitions(
        assets=[make(parity, ["build"])],
        resources={"dbt": DbtCliResource(project_dir=parity.project())},
        jobs=[dg.define_asset_job("parity_job", executor_def=dg.in_process_executor)],
    )
    return defs.resolve_job_def("parity_job")


def plain_parity_job() -> dg.JobDefinition:
    """Plain side's job, reconstructable by module and name (Dagster caches it by that pointer)."""
    return _parity_job(plain_assets)


def lineage_parity_job() -> dg.JobDefinition:
    """Our side's job, reconstructable by module and name."""
    return _parity_job(lineage_assets)


def test_reexecution_from_failure(parity, warehouse, monkeypatch) -> None:
    monkeypatch.setenv("PARITY_PROJECT_DIR", str(parity.project_dir))
    monkeypatch.setenv("PARITY_TARGET_DIR", str(parity.target_dir))
    sides = []
    for make_job in (plain_parity_job, lineage_parity_job):
        warehouse()
        with dg.instance_for_test() as instance:
            job = dg.reconstructable(make_job)
            monkeypatch.setenv("PARITY_BREAK_MODEL", "1")
            with dg.execute_job(job, instance=instance, raise_on_error=False) as first:
                assert not first.success
            monkeypatch.delenv("PARITY_BREAK_MODEL")
            options = dg.ReexecutionOptions.from_failure(first.run_id, instance)
            with dg.execute_job(
                job, instance=instance, reexecution_options=options, raise_on_error=False
            ) as second:
                assert second.success
            sides.append(recorded(instance, first.run_id) + recorded(instance, second.run_id))
    assert_parity(*sides)
    assert_checksums(sides[1], "fct_orders", "rpt_country")
