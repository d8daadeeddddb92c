"""What a deploy changed and what it breaks, for teams without a CI gate: a sensor over two states.

:func:`build_deploy_diff_sensor` keeps the lineage state of the code location it saw last (the
state file's JSON, compressed, in its versioned cursor). On each tick it builds the current state
from the loaded code location; when it differs (a deploy changed the lineage), it compares the two
with :func:`~dagster_lineage.impact.diff.diff_states` (the same comparison and impact engine as
``dagster-lineage diff``) and reports the result as an ``AssetObservation`` on every changed asset
that still exists, carrying the Markdown report (``dagster_lineage/deploy_diff``), the asset's
category and the worst downstream severity. Removed assets are listed in the report of the others
and in the sensor's log. A cursor that cannot be decoded is reset with a log line.

Examples:
    >>> from dagster_lineage.defs.deploy_diff import build_deploy_diff_sensor
    >>> build_deploy_diff_sensor().name
    'dagster_lineage_deploy_diff_sensor'
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from dataclasses import dataclass

import dagster as dg

from dagster_lineage.defs.changed_assets import LineageSnapshot
from dagster_lineage.defs.cursor import CursorCodec
from dagster_lineage.defs.graph import unique_assets_defs
from dagster_lineage.defs.metadata_keys import DEPLOY_DIFF_KEY
from dagster_lineage.errors import DagsterLineageError
from dagster_lineage.impact.diff import AssetStatus, LineageDiff, diff_states
from dagster_lineage.impact.diff_render import render_diff_markdown
from dagster_lineage.state.lineage_state import LineageState

CURSOR = CursorCodec("deploy-diff sensor", fields={"digest": str, "state": str})
"""The cursor: the digest of the state seen last and that state (zlib, base64)."""
REPORT_METADATA_KEY = DEPLOY_DIFF_KEY
"""Metadata key of the Markdown report on each changed asset's observation."""


@dataclass(frozen=True)
class DeployDiffCursor:
    """The state seen at the last tick, with its digest.

    Examples:
        >>> s = LineageState.from_records([], project="loc", tool_version="1")
        >>> c = DeployDiffCursor.of(s)
        >>> DeployDiffCursor.decode(c.encode()).state == s
        True
    """

    digest: str
    state: LineageState

    @classmethod
    def of(cls, state: LineageState) -> DeployDiffCursor:
        """The cursor recording ``state``."""
        return cls(_digest(state), state)

    def encode(self) -> str:
        """Versioned JSON with the state file's text compressed (zlib, base64)."""
        blob = base64.b64encode(zlib.compress(self.state.to_json().encode("utf-8"), 9))
        return CURSOR.encode({"digest": self.digest, "state": blob.decode()})

    @classmethod
    def decode(cls, text: str) -> DeployDiffCursor:
        """Parse a cursor; raises ``ValueError`` when it is not one of ours (the caller resets it)."""
        data = CURSOR.parse(text)
        try:
            raw = zlib.decompress(base64.b64decode(data["state"])).decode("utf-8")
            state = LineageState.from_json(raw, source="sensor cursor")
        except (KeyError, zlib.error, DagsterLineageError) as e:
            raise ValueError(f"unreadable state in cursor: {e}") from None
        return cls(str(data.get("digest", "")), state)


def _digest(state: LineageState) -> str:
    # the tool version is not part of what a deploy changes
    body = json.dumps([r.to_dict() for r in state.records], sort_keys=True)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _current_state(context: dg.SensorEvaluationContext, project: str) -> LineageState:
    repo = context.repository_def
    if repo is None:  # pragma: no cover - sensors always run inside a repository
        raise dg.DagsterInvariantViolationError("the deploy-diff sensor needs a repository")
    graph = LineageSnapshot.from_assets_defs(unique_assets_defs(repo)).graph
    return LineageState.from_records(graph.records(), project=project)


def deploy_observations(
    diff: LineageDiff, existing: set[tuple[str, ...]]
) -> list[dg.AssetObservation]:
    """One observation per changed asset that still exists, carrying the Markdown report.

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage
        >>> d = diff_states([AssetLineage(key=("a",), code_checksum="1")],
        ...                 [AssetLineage(key=("a",), code_checksum="2")])
        >>> [o.asset_key.path for o in deploy_observations(d, {("a",)})]
        [['a']]
    """
    report = render_diff_markdown(diff)
    out = []
    for a in diff.assets:
        if a.status is AssetStatus.REMOVED or a.key not in existing:
            continue
        impact = diff.impact(a.key)
        out.append(
            dg.AssetObservation(
                asset_key=dg.AssetKey(list(a.key)),
                description=f"deploy changed {a.key_str}: {a.category.value}",
                metadata={
                    REPORT_METADATA_KEY: dg.MetadataValue.md(report),
                    "dagster_lineage/deploy_category": a.category.value,
                    "dagster_lineage/deploy_status": a.status.value,
                    "dagster_lineage/downstream_severity": (
                        impact.severity.label if impact else "none"
                    ),
                    "dagster_lineage/column_changes": dg.MetadataValue.json(
                        [c.to_dict() for c in a.columns]
                    ),
                },
            )
        )
    return out


def build_deploy_diff_sensor(
    *,
    name: str | None = None,
    minimum_interval_seconds: int | None = None,
    default_status: dg.DefaultSensorStatus | None = None,
) -> dg.SensorDefinition:
    """A sensor that reports what each deploy changed in the lineage and what it breaks.

    Args:
        name: sensor name (default ``dagster_lineage_deploy_diff_sensor``).
        minimum_interval_seconds: time between ticks (default 60).
        default_status: running or stopped when first deployed (default stopped).

    Examples:
        >>> import dagster as dg
        >>> defs = dg.Definitions(assets=[dg.AssetSpec("a")], sensors=[build_deploy_diff_sensor()])
        >>> sensor = defs.get_sensor_def("dagster_lineage_deploy_diff_sensor")
        >>> ctx = dg.build_sensor_context(repository_def=defs.get_repository_def())
        >>> sensor(ctx).skip_reason.skip_message.startswith("recorded the lineage state")
        True
    """
    sensor_name = name or "dagster_lineage_deploy_diff_sensor"

    @dg.sensor(
        name=sensor_name,
        minimum_interval_seconds=minimum_interval_seconds or 60,
        default_status=default_status or dg.DefaultSensorStatus.STOPPED,
        description="Compares the lineage of the loaded code location with the one seen at the "
        "previous tick and reports what a deploy changed and what it breaks downstream.",
    )
    def _deploy_diff_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        project = context.repository_name or "code-location"
        current = _current_state(context, project)
        cursor = DeployDiffCursor.of(current)
        previous: DeployDiffCursor | None = None
        if context.cursor:
            try:
                previous = DeployDiffCursor.decode(context.cursor)
            except ValueError as e:
                context.log.warning(f"{sensor_name}: resetting an unreadable cursor ({e})")
        if previous is None:
            return dg.SensorResult(
                skip_reason=f"recorded the lineage state of {current.asset_count} assets; the "
                "next deploy is compared with it",
                cursor=cursor.encode(),
            )
        if previous.digest == cursor.digest:
            return dg.SensorResult(skip_reason="no lineage change since the last tick")
        diff = diff_states(
            previous.state, current, base_label="previous deploy", head_label="current deploy"
        )
        context.log.info(f"{sensor_name}: {diff.summary()}")
        for a in diff.assets:
            context.log.info(f"  {a.key_str} {a.status.value}: {a.category.value}")
        events = deploy_observations(diff, {r.key for r in current.records})
        return dg.SensorResult(
            asset_events=events,
            cursor=cursor.encode(),
            skip_reason=None if events else diff.summary(),
        )

    return _deploy_diff_sensor
