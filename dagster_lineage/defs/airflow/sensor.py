"""The Airflow run sensor: one materialization per successful DAG run, polled over the REST API.

Examples:
    >>> from dagster_lineage.defs.airflow.sensor import build_airflow_run_sensor
    >>> build_airflow_run_sensor(airflow_url="http://localhost:8080", specs=[]).name
    'airflow_dag_runs'
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import dagster as dg

from dagster_lineage.core.model import AssetLineage
from dagster_lineage.defs.airflow.client import AirflowApiClient
from dagster_lineage.defs.cursor import CursorCodec
from dagster_lineage.defs.graph import record_from_spec
from dagster_lineage.defs.metadata_keys import (
    AIRFLOW_DAG_ID_KEY,
    AIRFLOW_END_DATE_KEY,
    AIRFLOW_END_TIMESTAMP_KEY,
    AIRFLOW_LOGICAL_DATE_KEY,
    AIRFLOW_RUN_DAG_ID_KEY,
    AIRFLOW_RUN_ID_KEY,
    AIRFLOW_RUN_TYPE_KEY,
    AIRFLOW_START_DATE_KEY,
)
from dagster_lineage.errors import IntegrationError, redact

CURSOR = CursorCodec("Airflow run sensor", fields={"dags": dict}, version_key="v")
"""The cursor: per DAG, the end date of the last recorded run and the run ids seen at it."""


def _parse_time(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return _dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _decode_cursor(cursor: str | None, log: Any) -> dict[str, Any]:
    return CURSOR.decode(cursor, log)


def _keys_by_dag(
    specs: Sequence[dg.AssetSpec | dg.AssetsDefinition],
) -> dict[str, list[dg.AssetSpec]]:
    out: dict[str, list[dg.AssetSpec]] = {}
    for item in specs:
        items = list(item.specs) if isinstance(item, dg.AssetsDefinition) else [item]
        for spec in items:
            raw = (spec.metadata or {}).get(AIRFLOW_DAG_ID_KEY)
            dag_id = raw.value if isinstance(raw, dg.MetadataValue) else raw
            if isinstance(dag_id, str):
                out.setdefault(dag_id, []).append(spec)
    return out


def build_airflow_run_sensor(
    *,
    airflow_url: str,
    specs: Sequence[dg.AssetSpec | dg.AssetsDefinition],
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    name: str | None = None,
    minimum_interval_seconds: int | None = None,
    request_timeout_seconds: float | None = None,
    max_runs_per_dag: int | None = None,
    time_budget_seconds: float | None = None,
    default_status: dg.DefaultSensorStatus | None = None,
    run_metadata_fn: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None,
) -> dg.SensorDefinition:
    """A sensor recording a materialization for each successful Airflow DAG run.

    Polls ``GET {airflow_url}/api/v2/dags/{dag_id}/dagRuns?state=success`` (Airflow 3) for the DAGs
    of ``specs`` (from :func:`build_airflow_lineage_specs`), ordered by end date from the
    cursor's position on, and records one ``AssetMaterialization`` per run and asset with the
    run id, logical date, start and end dates. The cursor is versioned JSON (reset with a log
    line when it cannot be decoded); when the API is down the tick logs it and skips.

    Args:
        airflow_url: the Airflow API server (``http://host:8080``).
        specs: the Airflow asset specs (or in-process assets definitions).
        token: a JWT access token (else ``username``/``password`` get one from ``/auth/token``).
        username: user for ``/auth/token``.
        password: password for ``/auth/token``.
        name: sensor name (default ``airflow_dag_runs``).
        minimum_interval_seconds: seconds between ticks (default 60).
        request_timeout_seconds: timeout of each HTTP request (default 10).
        max_runs_per_dag: runs fetched per DAG per tick (default 100).
        time_budget_seconds: stop polling more DAGs after this long (default 40).
        default_status: running or stopped by default.
        run_metadata_fn: a hook returning extra metadata for a run (the API's DAG-run JSON); it
            runs inside an error boundary: when it raises, the tick logs it and keeps the event.

    Examples:
        >>> s = build_airflow_run_sensor(airflow_url="http://localhost:8080", specs=[])
        >>> s.name
        'airflow_dag_runs'
    """
    by_dag = _keys_by_dag(specs)
    records: dict[str, AssetLineage] = {}
    for spec_list in by_dag.values():
        for spec in spec_list:
            records[spec.key.to_user_string()] = record_from_spec(spec)
    timeout = request_timeout_seconds or 10.0
    shown_url = redact(airflow_url)  # never a credential in the description, logs or cursor
    limit = max_runs_per_dag or 100
    budget = time_budget_seconds or 40.0

    @dg.sensor(
        name=name or "airflow_dag_runs",
        minimum_interval_seconds=minimum_interval_seconds or 60,
        default_status=default_status or dg.DefaultSensorStatus.STOPPED,
        description=f"Records materializations for successful Airflow DAG runs at {shown_url}.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        from dagster_lineage.defs.recording import checksum_metadata

        started = time.monotonic()
        state = _decode_cursor(context.cursor, context.log)
        api = AirflowApiClient(
            airflow_url, token=token, username=username, password=password, timeout=timeout
        )
        events: list[dg.AssetMaterialization] = []
        for dag_id in sorted(by_dag):
            if time.monotonic() - started > budget:
                context.log.info("Airflow run sensor: time budget spent; continuing next tick")
                break
            entry = state["dags"].get(dag_id) or {}
            params: dict[str, Any] = {
                "state": "success",
                "order_by": "end_date",
                "limit": limit,
            }
            if entry.get("end_date"):
                params["end_date_gte"] = entry["end_date"]
            try:
                data = api.get(f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns", params)
            except IntegrationError as e:
                context.log.warning(redact(f"Airflow run sensor: {e}"))
                continue
            except (
                OSError,
                ValueError,
            ) as e:  # requests' errors are OSErrors; bad JSON a ValueError
                msg = redact(
                    f"Airflow API at {shown_url} is unreachable ({type(e).__name__}: "
                    f"{str(e).splitlines()[0] if str(e) else ''}); will retry next tick"
                )
                context.log.warning(msg)
                return dg.SkipReason(msg)
            if data.get("missing"):
                context.log.warning(f"Airflow run sensor: DAG '{dag_id}' is not known to Airflow")
                continue
            seen = set(entry.get("seen") or [])
            last_end = entry.get("end_date")
            runs = [r for r in data.get("dag_runs") or [] if isinstance(r, dict)]
            runs.sort(
                key=lambda r: (_parse_time(r.get("end_date")) or 0.0, str(r.get("dag_run_id")))
            )
            for run in runs:
                run_id = str(run.get("dag_run_id"))
                end = run.get("end_date")
                if run.get("state") not in (None, "success") or not end:
                    continue
                if end == last_end and run_id in seen:
                    continue
                if last_end and (_parse_time(end) or 0) < (_parse_time(last_end) or 0):
                    continue
                for spec in by_dag[dag_id]:
                    md: dict[str, Any] = {
                        AIRFLOW_RUN_DAG_ID_KEY: dag_id,
                        AIRFLOW_RUN_ID_KEY: run_id,
                        AIRFLOW_RUN_TYPE_KEY: str(run.get("run_type")),
                        AIRFLOW_LOGICAL_DATE_KEY: str(run.get("logical_date")),
                        AIRFLOW_START_DATE_KEY: str(run.get("start_date")),
                        AIRFLOW_END_DATE_KEY: str(end),
                    }
                    end_ts = _parse_time(end)
                    if end_ts is not None:
                        md[AIRFLOW_END_TIMESTAMP_KEY] = dg.MetadataValue.timestamp(end_ts)
                    try:
                        md.update(
                            checksum_metadata(
                                records[spec.key.to_user_string()], instance=context.instance
                            )
                        )
                    except Exception as e:  # noqa: BLE001 - enrichment: never lose the event
                        context.log.warning(f"checksums for {spec.key.to_user_string()}: {e}")
                    if run_metadata_fn is not None:
                        try:
                            md.update(run_metadata_fn(run))
                        except Exception as e:  # noqa: BLE001 - a user hook never stops the sensor
                            context.log.warning(
                                f"Airflow run sensor: run_metadata_fn failed for {dag_id} run "
                                f"{run_id}: {type(e).__name__}: {e}"
                            )
                    events.append(
                        dg.AssetMaterialization(
                            asset_key=spec.key,
                            description=f"Airflow DAG run {run_id} succeeded",
                            metadata=md,
                        )
                    )
                if end != last_end:
                    last_end, seen = end, set()
                seen.add(run_id)
            if last_end:
                state["dags"][dag_id] = {"end_date": last_end, "seen": sorted(seen)}
        cursor = CURSOR.encode(state)
        if not events:
            return dg.SensorResult(asset_events=[], cursor=cursor)
        return dg.SensorResult(asset_events=events, cursor=cursor)

    return _sensor
