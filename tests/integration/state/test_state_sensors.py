"""The code-change sensor and the schema-drift checks, evaluated against real runs."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from dagster_lineage.defs.sensors import CodeChangeCursor
from tests.integration.state.state_flow import Project


def _evaluate(defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None):
    sensor = defs.resolve_sensor_def("code_changes")
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def _err(capfd: pytest.CaptureFixture[str]) -> str:
    out = capfd.readouterr()
    return out.out + out.err


def _selection(result: dg.SensorResult) -> set[str]:
    assert result.run_requests is not None and len(result.run_requests) == 1
    return {k.to_user_string() for k in result.run_requests[0].asset_selection or []}


def test_code_change_sensor_requests_changed_and_downstream_once(
    project: Project, sqlite_instance: dg.DagsterInstance, capfd: pytest.CaptureFixture[str]
) -> None:
    assert project.materialize(sqlite_instance).success
    defs = project.defs()
    first = _evaluate(defs, sqlite_instance, None)
    assert not first.run_requests
    project.append_model("stg", " and id > 0\n")
    defs = project.defs()
    capfd.readouterr()
    second = _evaluate(defs, sqlite_instance, first.cursor)
    assert _selection(second) == {"stg", "fct", "report"}
    log = _err(capfd)
    assert "code changed since the last successful materialization of stg" in log
    assert "downstream assets fct, report" in log
    # the same checksum is not requested again (no loop while the run is pending or failed)
    third = _evaluate(defs, sqlite_instance, second.cursor)
    assert not third.run_requests
    # a second edit of the same model is a new request
    project.append_model("stg", " and id > -1\n")
    defs = project.defs()
    fourth = _evaluate(defs, sqlite_instance, third.cursor)
    assert _selection(fourth) == {"stg", "fct", "report"}
    assert fourth.run_requests[0].run_key != second.run_requests[0].run_key
    # run the request: afterwards nothing to do, even with a fresh cursor
    req = fourth.run_requests[0]
    assert project.materialize(sqlite_instance, sorted(_selection(fourth))).success
    assert req.tags["dagster_lineage/reason"] == "code_changed"
    assert not _evaluate(project.defs(), sqlite_instance, None).run_requests


def test_code_change_sensor_resets_a_bad_cursor(
    project: Project, sqlite_instance: dg.DagsterInstance, capfd: pytest.CaptureFixture[str]
) -> None:
    assert project.materialize(sqlite_instance, ["load_configs"]).success
    (project.root / "configs" / "orders.json").write_text('{"source": "orders_v2.csv"}')
    defs = project.defs()
    capfd.readouterr()
    result = _evaluate(defs, sqlite_instance, "not json {")
    assert "resetting the code-change sensor cursor" in _err(capfd)
    # never-materialized assets are not requested by default; the edited file model is, with
    # everything downstream
    assert _selection(result) == {"load_configs", "stg", "fct", "report"}
    cur = json.loads(result.cursor)
    assert cur["version"] == 1 and set(cur["requested"]) == {"load_configs"}
    old_version = json.dumps({"version": 0, "requested": {}})
    with pytest.raises(ValueError):
        CodeChangeCursor.decode(old_version)


def test_change_filter_hook_errors_are_contained(
    project: Project, sqlite_instance: dg.DagsterInstance, capfd: pytest.CaptureFixture[str]
) -> None:
    from dagster_lineage.defs.sensors import build_code_change_sensor

    assert project.materialize(sqlite_instance).success
    project.append_model("fct", " and id > 0\n")
    project.append_model("report", " having count(*) > 0\n")

    def picky(change):
        if change.key_str == "report":
            raise RuntimeError("boom")
        return False  # leave fct out

    base = project.defs()
    defs = dg.Definitions.merge(
        dg.Definitions(assets=list(base.assets or [])),
        dg.Definitions(
            sensors=[build_code_change_sensor(name="code_changes", change_filter=picky)]
        ),
    )
    capfd.readouterr()
    result = _evaluate(defs, sqlite_instance, None)
    assert "change_filter raised for report: RuntimeError: boom" in _err(capfd)
    assert _selection(result) == {"report"}


def test_schema_drift_check_reports_added_removed_retyped(
    project: Project, sqlite_instance: dg.DagsterInstance
) -> None:
    first = project.materialize(sqlite_instance)
    assert first.success
    first_checks = first.get_asset_check_evaluations()
    assert {e.check_name for e in first_checks} == {"schema_drift"}
    assert all(e.passed for e in first_checks)
    project.edit_model(
        "stg",
        "select id, customer, cast(amount as decimal(10, 2)) as amount, status, "
        "upper(customer) as customer_code\n"
        "from read_csv('{{data}}/orders.csv', header = true) where status is not null\n",
    )
    project.edit_model("fct", "select id, amount from main.stg where status <> 'cancelled'\n")
    project.edit_model("report", "select count(*) as orders from main.fct\n")
    second = project.materialize(sqlite_instance)
    assert second.success
    evals = {e.asset_key.to_user_string(): e for e in second.get_asset_check_evaluations()}
    stg, fct = evals["stg"], evals["fct"]
    assert not stg.passed and not fct.passed
    assert stg.severity == dg.AssetCheckSeverity.WARN
    assert stg.metadata["added"].value == ["customer_code"]
    assert stg.metadata["retyped"].value == [
        {"column": "amount", "from": "double", "to": "decimal(10,2)"}
    ]
    assert stg.metadata["previous_run_id"].value == first.run_id
    assert fct.metadata["removed"].value == ["customer"]
    assert fct.description == "removed: customer; retyped: amount double -> decimal(10,2)"
    third = project.materialize(sqlite_instance, ["stg"])
    assert all(e.passed for e in third.get_asset_check_evaluations())
