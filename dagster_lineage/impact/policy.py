"""The breaking-change policy of an asset: does a breaking change block, or only warn?

One rule, read from the records (so the CLI on a state file and the Dagster gate decide alike):

- an asset declares its policy with the tag ``on_breaking: block | warn`` (any prefix:
  ``dagster_lineage/on_breaking`` is what dbt's ``meta: {dagster_lineage: {on_breaking: warn}}``
  becomes, and what a Dagster ``AssetSpec(tags=...)`` or a component's ``tags`` carries);
- for every asset that breaks, its own policy decides; without one, a **critical** asset blocks.
  Critical means: tagged ``criticality: high`` (or ``critical``), a dbt exposure, or upstream of
  an exposure (a dashboard or application reads what it feeds);
- otherwise the changed asset's own policy decides (the author of a change may declare "changes
  to me only warn"), then the caller's default (component YAML, Python API), then ``block``;
- the change blocks when any breaking asset's policy is ``block``; it warns when every breaking
  asset allows it. :class:`PolicyDecision` says which asset and which rule decided.

Pure Python; no Dagster import.

Examples:
    >>> policy_from_tags({"dagster_lineage/on_breaking": "WARN"})
    <BreakingPolicy.WARN: 'warn'>
    >>> policy_from_tags({}) is None
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from dagster_lineage.core.model import AssetKeyPath, key_to_str
from dagster_lineage.errors import ChangeSpecError

POLICY_TAG = "on_breaking"
"""Tag (or dbt ``meta``) key of an asset's breaking-change policy (``block`` or ``warn``)."""


class BreakingPolicy(str, Enum):
    """What a breaking change does: ``block`` (fail the gate, exit code 1) or ``warn``.

    Examples:
        >>> BreakingPolicy.parse("warn").blocks, BreakingPolicy.parse(None)
        (False, None)
    """

    BLOCK = "block"
    WARN = "warn"

    @property
    def blocks(self) -> bool:
        """True for ``block``."""
        return self is BreakingPolicy.BLOCK

    @classmethod
    def parse(cls, value: str | BreakingPolicy | None) -> BreakingPolicy | None:
        """``block``/``warn`` (any case) to a member; ``None`` stays ``None``.

        Raises:
            ChangeSpecError: any other value (the message names the accepted ones).
        """
        if value is None or isinstance(value, BreakingPolicy):
            return value
        text = str(value).strip().lower()
        if text in cls._value2member_map_:
            return cls(text)
        raise ChangeSpecError(
            f"unknown breaking-change policy {value!r}", hint="use on_breaking: block or warn"
        )


def policy_from_tags(tags: Mapping[str, str]) -> BreakingPolicy | None:
    """The policy an asset's tags declare (``on_breaking`` with any prefix), or ``None``.

    Examples:
        >>> policy_from_tags({"on_breaking": "block"}).value
        'block'
    """
    for k, v in tags.items():
        low = k.lower()
        if low == POLICY_TAG or low.endswith("/" + POLICY_TAG):
            return BreakingPolicy.parse(v)
    return None


class PolicySource(str, Enum):
    """Which rule decided a :class:`PolicyDecision` (its value is the sentence the report shows)."""

    ASSET = "set on the breaking asset"
    CRITICAL = "default for a critical asset"
    CHANGED_ASSET = "set on the changed asset"
    DEFAULT = "the caller's default"
    BUILT_IN = "built-in default"
    NOTHING_BREAKS = "nothing breaks"


@dataclass(frozen=True)
class PolicyDecision:
    """The verdict of the policy over a report: block or warn, and which asset and rule decided.

    ``action`` is ``None`` when nothing breaks.

    Examples:
        >>> d = PolicyDecision(BreakingPolicy.WARN, ("stg",), PolicySource.ASSET)
        >>> d.blocks, d.describe()
        (False, 'warn (on_breaking: warn, set on the breaking asset stg)')
    """

    action: BreakingPolicy | None
    asset: AssetKeyPath | None
    source: PolicySource

    @property
    def blocks(self) -> bool:
        """True when the breaking change blocks."""
        return self.action is BreakingPolicy.BLOCK

    def describe(self) -> str:
        """One line: the action, the rule and the asset whose policy decided."""
        if self.action is None:
            return "no policy applies: nothing breaks"
        where = f" {key_to_str(self.asset)}" if self.asset is not None else ""
        if self.source is PolicySource.CRITICAL:
            return f"{self.action.value} ({self.source.value}{where})"
        return f"{self.action.value} (on_breaking: {self.action.value}, {self.source.value}{where})"

    def to_dict(self) -> dict[str, str | None]:
        """The JSON form (in the report's ``policy`` entry)."""
        return {
            "action": self.action.value if self.action else None,
            "asset": key_to_str(self.asset) if self.asset is not None else None,
            "source": self.source.name.lower(),
            "description": self.describe(),
        }


def resolve_policy(
    asset: AssetKeyPath,
    *,
    own: BreakingPolicy | None,
    critical: bool,
    changed_asset: AssetKeyPath,
    changed_asset_policy: BreakingPolicy | None,
    default: BreakingPolicy | None,
) -> PolicyDecision:
    """The policy of one breaking asset, by the rule of the module docstring.

    Examples:
        >>> resolve_policy(("fct",), own=None, critical=True, changed_asset=("raw",),
        ...                changed_asset_policy=BreakingPolicy.WARN, default=None).describe()
        'block (default for a critical asset fct)'
    """
    if own is not None:
        return PolicyDecision(own, asset, PolicySource.ASSET)
    if critical:
        return PolicyDecision(BreakingPolicy.BLOCK, asset, PolicySource.CRITICAL)
    if changed_asset_policy is not None:
        return PolicyDecision(changed_asset_policy, changed_asset, PolicySource.CHANGED_ASSET)
    if default is not None:
        return PolicyDecision(default, None, PolicySource.DEFAULT)
    return PolicyDecision(BreakingPolicy.BLOCK, None, PolicySource.BUILT_IN)
