"""The code-change sensor over the recorded checksums.

:func:`build_code_change_sensor` requests a run of the assets whose code changed since their last
successful materialization and everything downstream of them. A versioned JSON cursor remembers
which code checksum was already requested, so a failed or slow run is not requested again in a
loop; every request is logged with the reason. (Schema drift checks: :mod:`dagster_lineage.defs.schema_drift`.)

Examples:
    >>> from dagster_lineage.defs.sensors import build_code_change_sensor
    >>> build_code_change_sensor().name
    'dagster_lineage_code_change_sensor'
"""

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from dagster_lineage.core.hashing import stable_hash
from dagster_lineage.core.model import AssetKeyPath, key_from_str, key_to_str
from dagster_lineage.defs.changed_assets import (
    LineageSnapshot,
    _last_success,
    _RunCache,
    select_keys,
)
from dagster_lineage.defs.cursor import CursorCodec
from dagster_lineage.defs.graph import unique_assets_defs
from dagster_lineage.defs.metadata_keys import REASON_TAG
from dagster_lineage.state.checksums import code_scheme_for
from dagster_lineage.state.compare import (
    AssetChange,
    ChangeReason,
    codes_comparable,
)

CURSOR = CursorCodec(
    "code-change sensor", fields={"requested": dict, "pending": dict, "scanned": list}
)
"""The code-change sensor's cursor codec."""

ChangeFilter = Callable[[AssetChange], bool]
"""User hook: return False to leave a changed asset out of the run request."""


@dataclass(frozen=True)
class CodeChangeCursor:
    """The code-change sensor's state.

    The code checksums already requested, and where a partial scan stopped (the scan is bounded by
    a time budget and resumes on the next tick).

    Examples:
        >>> c = CodeChangeCursor(requested={"a": "c1"})
        >>> CodeChangeCursor.decode(c.encode()) == c
        True
    """

    requested: dict[str, str] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)
    scanned: tuple[str, ...] = ()

    def encode(self) -> str:
        """JSON text with a version number."""
        return CURSOR.encode(
            {
                "requested": dict(sorted(self.requested.items())),
                "pending": dict(sorted(self.pending.items())),
                "scanned": sorted(self.scanned),
            }
        )

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "CodeChangeCursor":
        """The cursor of a decoded state (see :data:`CURSOR`)."""
        return cls(
            requested={str(k): str(v) for k, v in dict(state.get("requested", {})).items()},
            pending={str(k): str(v) for k, v in dict(state.get("pending", {})).items()},
            scanned=tuple(str(k) for k in state.get("scanned", [])),
        )

    @classmethod
    def decode(cls, text: str | None) -> "CodeChangeCursor":
        """Parse a cursor; raises ``ValueError`` when it is not one of ours (the caller resets it)."""
        return cls.from_state(CURSOR.parse(text))


def _snapshot_from_context(context: dg.SensorEvaluationContext) -> LineageSnapshot:
    repo = context.repository_def
    if repo is None:  # pragma: no cover - sensors always run inside a repository
        raise dg.DagsterInvariantViolationError("the code-change sensor needs a repository")
    return LineageSnapshot.from_assets_defs(unique_assets_defs(repo))


def build_code_change_sensor(
    *,
    name: str | None = None,
    job_name: str | None = None,
    select: Sequence[str] | str | None = None,
    include_never_materialized: bool | None = None,
    change_filter: ChangeFilter | None = None,
    minimum_interval_seconds: int | None = None,
    time_budget_seconds: float | None = None,
    default_status: dg.DefaultSensorStatus | None = None,
) -> dg.SensorDefinition:
    """A sensor that materializes changed assets and everything downstream of them.

    On each tick it compares every (selected) asset's current code checksum with the one recorded at
    its last successful materialization. For the assets whose code changed, and whose new checksum
    was not requested before, it requests one run of them plus all their materializable downstream
    assets, and logs why.

    Args:
        name: sensor name (default ``dagster_lineage_code_change_sensor``).
        job_name: name of the asset job the sensor launches (default
            ``rebuild_changed_assets_job``), so its runs are found by name, not as ``__ASSET_JOB``.
        select: restrict to these assets (see :func:`~dagster_lineage.defs.changed_assets.select_keys`).
        include_never_materialized: also request assets never materialized (default False, so a
            first deployment does not rebuild everything).
        change_filter: user hook ``(AssetChange) -> bool``; False leaves the asset out. Runs inside
            an error boundary: if it raises, the error is logged and the asset is kept.
        minimum_interval_seconds: time between ticks (default 60).
        time_budget_seconds: at most this long per tick reading the instance (default 20); the scan
            resumes where it stopped on the next tick.
        default_status: ``DefaultSensorStatus.RUNNING`` to start it on deployment (default stopped).

    Examples:
        >>> import dagster as dg
        >>> s = build_code_change_sensor(name="code_changes", minimum_interval_seconds=30)
        >>> s.name, s.minimum_interval_seconds
        ('code_changes', 30)
    """
    budget = 20.0 if time_budget_seconds is None else float(time_budget_seconds)
    with_new = bool(include_never_materialized)

    @dg.sensor(
        name=name or "dagster_lineage_code_change_sensor",
        minimum_interval_seconds=60
        if minimum_interval_seconds is None
        else minimum_interval_seconds,
        default_status=default_status or dg.DefaultSensorStatus.STOPPED,
        target=dg.define_asset_job(
            job_name or "rebuild_changed_assets_job",
            selection=dg.AssetSelection.all(),
            description="Assets whose code changed, and everything downstream (dagster-lineage).",
        ),
        description="Requests a run of the assets whose code checksum changed since their last "
        "successful materialization, and of everything downstream of them (dagster-lineage).",
    )
    def _code_change_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        cursor = CodeChangeCursor.from_state(CURSOR.decode(context.cursor, context.log))
        snap = _snapshot_from_context(context)
        graph = snap.graph
        keys = [
            k
            for k in select_keys(graph, select)
            if k in snap.materializable and graph.get(k).code_checksum is not None
        ]
        start = time.monotonic()
        runs = _RunCache(context.instance)
        pending = dict(cursor.pending)
        scanned = set(cursor.scanned)
        finished = True
        for key in keys:
            ks = key_to_str(key)
            if ks in scanned:
                continue
            if time.monotonic() - start > budget:
                finished = False
                break
            current = graph.get(key).code_checksum or ""
            last = _last_success(context.instance, key, runs, 200)
            scanned.add(ks)
            if last is None and not with_new:
                continue
            if last is not None and last.code == current:
                continue
            if not codes_comparable(
                current, code_scheme_for(graph.get(key).asset_type.value), last
            ):
                continue  # unknown fingerprint or another scheme: `changed` says why
            if cursor.requested.get(ks) == current:
                continue
            pending[ks] = current
        if not finished:
            context.log.info(
                f"dagster-lineage: scanned {len(scanned)}/{len(keys)} assets within the "
                f"{budget:.0f}s budget; resuming on the next tick"
            )
            return dg.SensorResult(
                skip_reason=dg.SkipReason("scan in progress"),
                cursor=CodeChangeCursor(cursor.requested, pending, tuple(scanned)).encode(),
            )
        # Full scan done: decide on the pending changes.
        changed: list[AssetKeyPath] = []
        for ks, code in sorted(pending.items()):
            key = key_from_str(ks)
            if key not in graph or graph.get(key).code_checksum != code:
                continue  # the code moved on since; the next scan sees it again
            change = AssetChange(key=key, reasons=(ChangeReason.CODE,), current_code=code)
            keep = True
            if change_filter is not None:
                try:
                    keep = bool(change_filter(change))
                except Exception as e:  # noqa: BLE001 - a user hook: log and keep the asset
                    context.log.error(
                        f"dagster-lineage: change_filter raised for {ks}: {type(e).__name__}: {e};"
                        " keeping the asset"
                    )
            if keep:
                changed.append(key)
        requested = dict(cursor.requested)
        new_cursor = CodeChangeCursor(requested)
        if not changed:
            return dg.SensorResult(
                skip_reason=dg.SkipReason("no code change since the last successful runs"),
                cursor=new_cursor.encode(),
            )
        downstream: set[AssetKeyPath] = set()
        for key in changed:
            downstream.update(graph.downstream_keys(key))
        downstream -= set(changed)
        downstream &= snap.materializable
        for key in changed:
            requested[key_to_str(key)] = graph.get(key).code_checksum or ""
        selection = sorted(set(changed) | downstream)
        context.log.info(
            "dagster-lineage: code changed since the last successful materialization of "
            + ", ".join(
                f"{key_to_str(k)} (code checksum now {(graph.get(k).code_checksum or '')[:12]})"
                for k in changed
            )
            + "; requesting a run of them"
            + (
                " and of their downstream assets "
                + ", ".join(key_to_str(k) for k in sorted(downstream))
                if downstream
                else ""
            )
        )
        run_key = (
            "dagster_lineage_code_change_"
            + stable_hash({key_to_str(k): requested[key_to_str(k)] for k in changed})[:16]
        )
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=run_key,
                    asset_selection=[dg.AssetKey(list(k)) for k in selection],
                    tags={REASON_TAG: "code_changed"},
                )
            ],
            cursor=CodeChangeCursor(requested).encode(),
        )

    return _code_change_sensor
