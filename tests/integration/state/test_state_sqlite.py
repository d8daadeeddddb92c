"""Change detection on the default SQLite instance storage, with real runs on DuckDB."""

from __future__ import annotations

import dagster as dg

from dagster_lineage.defs.changed_assets import LineageSnapshot, changed_assets, last_successful_run
from dagster_lineage.defs.recording import recorded_schema
from dagster_lineage.state.checksums import schema_checksum
from tests.integration.state.state_flow import Project, check_change_flow, summary


def test_change_flow_on_sqlite(project: Project, sqlite_instance: dg.DagsterInstance) -> None:
    check_change_flow(project, sqlite_instance)


def test_recorded_checksums(project: Project, sqlite_instance: dg.DagsterInstance) -> None:
    first = project.materialize(sqlite_instance)
    assert first.success
    ev = sqlite_instance.get_latest_materialization_event(dg.AssetKey("stg"))
    md = ev.asset_materialization.metadata
    assert md["dagster/row_count"].value == 4
    # the schema DuckDB produced is recorded once, in Dagster's own entry
    assert "dagster_lineage/schema" not in md
    columns = md["dagster/column_schema"].value.columns
    assert {c.name.lower(): c.type.lower() for c in columns} == {
        "amount": "double",
        "customer": "varchar",
        "id": "bigint",
        "status": "varchar",
    }
    assert recorded_schema(md) == {
        "amount": "double",
        "customer": "varchar",
        "id": "bigint",
        "status": "varchar",
    }
    assert md["dagster_lineage/schema_checksum"].value == schema_checksum(
        (c.name, c.type) for c in columns
    )
    for key in ("code_checksum", "schema_checksum", "data_checksum", "upstream_checksum"):
        assert len(md[f"dagster_lineage/{key}"].value) == 64
    # the file model's checksum covers its files
    cfg = sqlite_instance.get_latest_materialization_event(dg.AssetKey("load_configs"))
    cmd = cfg.asset_materialization.metadata
    assert cmd["dagster_lineage/files"].value == ["configs/orders.json", "configs/orders.yaml"]
    assert md["dagster_lineage/parent_checksums"].value["load_configs"]["code"] == (
        cmd["dagster_lineage/code_checksum"].value
    )
    # same data again: same data checksum; the code version on the spec is the code checksum
    second = project.materialize(sqlite_instance, ["stg"])
    ev2 = sqlite_instance.get_latest_materialization_event(dg.AssetKey("stg"))
    assert ev2.run_id == second.run_id
    md2 = ev2.asset_materialization.metadata
    for key in ("code_checksum", "schema_checksum", "data_checksum", "upstream_checksum"):
        assert md2[f"dagster_lineage/{key}"].value == md[f"dagster_lineage/{key}"].value
    defs = project.defs()
    for spec in defs.resolve_all_asset_specs():
        code = spec.metadata.get("dagster_lineage/code_checksum")
        assert spec.code_version == code, spec.key


def test_data_change_upstream_is_reported(project: Project, sqlite_instance) -> None:
    assert project.materialize(sqlite_instance).success
    # new rows arrive in the CSV (data, not code): stg re-materialized alone
    csv = project.root / "data" / "orders.csv"
    csv.write_text(csv.read_text() + "5,dee,42.0,completed\n")
    assert changed_assets(project.defs(), sqlite_instance) == []  # nothing knows yet
    assert project.materialize(sqlite_instance, ["stg"]).success
    changes = changed_assets(project.defs(), sqlite_instance)
    assert summary(changes) == {"fct": {"data"}, "report": {"upstream"}}
    assert "stg" in changes[0].details[0]
    assert project.materialize(sqlite_instance, ["fct", "report"]).success
    assert changed_assets(project.defs(), sqlite_instance) == []


def test_declared_schema_change(project: Project, sqlite_instance) -> None:
    assert project.materialize(sqlite_instance).success
    cols = project.root / "models" / "stg.columns"
    cols.write_text(cols.read_text().replace("amount:double", "amount:decimal(10,2)"))
    changes = changed_assets(project.defs(), sqlite_instance)
    assert summary(changes) == {"stg": {"schema"}, "fct": {"upstream"}, "report": {"upstream"}}
    assert "amount double -> decimal(10,2)" in changes[0].details[0]


def test_failed_run_is_not_a_success(project: Project, sqlite_instance) -> None:
    assert project.materialize(sqlite_instance).success
    good = sqlite_instance.get_latest_materialization_event(dg.AssetKey("fct")).run_id
    # fct changes and materializes, then report fails: the run is not successful
    project.append_model("fct", "  and amount > 5\n")
    project.edit_model("report", "select no_such_column from main.fct")
    result = project.materialize(sqlite_instance, ["fct", "report"], raise_on_error=False)
    assert not result.success
    assert sqlite_instance.get_latest_materialization_event(dg.AssetKey("fct")).run_id == (
        result.run_id
    )
    changes = changed_assets(project.defs(), sqlite_instance)
    assert summary(changes) == {"fct": {"code"}, "report": {"code", "upstream"}}
    assert changes[0].last_success.run_id == good


def test_last_successful_run_and_select(project: Project, sqlite_instance) -> None:
    assert last_successful_run(project.defs(), sqlite_instance) is None
    result = project.materialize(sqlite_instance)
    run = last_successful_run(project.defs(), sqlite_instance, select=["stg+"])
    assert run is not None and run.run_id == result.run_id
    assert dict(run.rows) == {"fct": 3, "report": 2, "stg": 4}
    record = sqlite_instance.get_run_record_by_id(result.run_id)
    assert run.end_time == record.end_time
    project.append_model("stg", " and id > 0\n")
    assert summary(changed_assets(project.defs(), sqlite_instance, select="report")) == {
        "report": {"upstream"}
    }
    assert summary(changed_assets(project.defs(), sqlite_instance, select=["+fct"])) == {
        "stg": {"code"},
        "fct": {"upstream"},
    }


def test_batched_reads_agree_with_the_per_asset_scan(
    project: Project, sqlite_instance, monkeypatch
) -> None:
    from dagster_lineage.defs import changed_assets as ch

    assert project.materialize(sqlite_instance).success
    project.append_model("fct", "  and amount > 5\n")
    project.edit_model("report", "select no_such_column from main.fct")
    failed = project.materialize(sqlite_instance, ["fct", "report"], raise_on_error=False)
    assert not failed.success
    keys = [*LineageSnapshot.from_definitions(project.defs()).graph.keys, ("never_there",)]
    monkeypatch.setattr(ch, "_CHUNK", 2)  # several batches of keys and of run ids
    batched = ch.last_successful_materializations(sqlite_instance, keys)
    runs = ch._RunCache(sqlite_instance)
    reference = {k: ch._last_success(sqlite_instance, k, runs, 200) for k in keys}
    assert batched == reference
    assert batched[("never_there",)] is None
    # fct's latest materialization is from the failed run: the earlier successful one is reported
    fct = batched[("fct",)]
    assert fct is not None and fct.run_id != failed.run_id
    assert sqlite_instance.get_run_record_by_id(fct.run_id).dagster_run.is_success
    assert fct.columns == {"amount": "double", "customer": "varchar", "id": "bigint"}
