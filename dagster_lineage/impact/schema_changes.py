"""Proposed schema changes: one small frozen class per kind, in the :data:`SchemaChange` union.

Every change applies to one asset (the table whose schema changes) and knows whether it is
*destructive* (a name that consumers may refer to stops existing: column rename, column drop,
table rename, table drop) or not (column type change, column add).

Changes are accepted as dicts (the JSON / YAML form below), as JSON or YAML text, as a file, or as
CLI flags::

    [{"type": "column_rename", "from": "order_total", "to": "total_amount"},
     {"type": "column_drop", "column": "legacy_discount_code"},
     {"type": "column_type_change", "column": "order_id", "data_type": "bigint"},
     {"type": "column_add", "column": "channel", "data_type": "varchar"},
     {"type": "table_rename", "to": "orders_v2"},
     {"type": "table_drop"}]

A file may also be a mapping ``{"asset": "raw_orders", "changes": [...]}`` naming the asset.

Pure Python (PyYAML is imported lazily for YAML text); no Dagster import.

Examples:
    >>> from dagster_lineage.impact.schema_changes import parse_changes
    >>> changes = parse_changes('[{"type": "column_rename", "from": "a", "to": "b"}]')
    >>> changes[0].describe(), changes[0].destructive
    ('rename column a -> b', True)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any, ClassVar

from dagster_lineage.errors import ChangeSpecError, clip


class Severity(IntEnum):
    """How badly a change hits one use of a column (ordered: ``BREAKING`` is the worst).

    Examples:
        >>> Severity.BREAKING > Severity.WARNING > Severity.NONE
        True
        >>> Severity.WARNING.label
        'warning'
    """

    NONE = 0
    WARNING = 1
    BREAKING = 2

    @property
    def label(self) -> str:
        """Lower-case name used in reports (``breaking``, ``warning``, ``none``)."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse ``breaking`` / ``warning`` / ``none`` (any case).

        Examples:
            >>> Severity.parse("Breaking")
            <Severity.BREAKING: 2>
        """
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ChangeSpecError(
                f"unknown severity '{text}'", hint="breaking, warning or none"
            ) from None


@dataclass(frozen=True)
class ColumnRenamed:
    """Column ``column`` is renamed to ``new_name``.

    Examples:
        >>> ColumnRenamed("order_total", "total_amount").to_dict()
        {'type': 'column_rename', 'from': 'order_total', 'to': 'total_amount'}
    """

    column: str
    new_name: str

    type: ClassVar[str] = "column_rename"
    destructive: ClassVar[bool] = True

    def describe(self) -> str:
        """One line for humans."""
        return f"rename column {self.column} -> {self.new_name}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (inverse of :func:`change_from_dict`)."""
        return {"type": self.type, "from": self.column, "to": self.new_name}


@dataclass(frozen=True)
class ColumnDropped:
    """Column ``column`` is dropped.

    Examples:
        >>> ColumnDropped("legacy_discount_code").describe()
        'drop column legacy_discount_code'
    """

    column: str

    type: ClassVar[str] = "column_drop"
    destructive: ClassVar[bool] = True

    def describe(self) -> str:
        """One line for humans."""
        return f"drop column {self.column}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (inverse of :func:`change_from_dict`)."""
        return {"type": self.type, "column": self.column}


@dataclass(frozen=True)
class ColumnTypeChanged:
    """Column ``column`` gets type ``data_type`` (``old_type`` when known).

    Examples:
        >>> ColumnTypeChanged("order_id", "bigint", old_type="integer").describe()
        'change type of order_id: integer -> bigint'
    """

    column: str
    data_type: str
    old_type: str | None = None

    type: ClassVar[str] = "column_type_change"
    destructive: ClassVar[bool] = False

    def describe(self) -> str:
        """One line for humans."""
        old = f"{self.old_type} -> " if self.old_type else "-> "
        return f"change type of {self.column}: {old}{self.data_type}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (inverse of :func:`change_from_dict`)."""
        out: dict[str, Any] = {
            "type": self.type,
            "column": self.column,
            "data_type": self.data_type,
        }
        if self.old_type:
            out["old_type"] = self.old_type
        return out


@dataclass(frozen=True)
class ColumnAdded:
    """Column ``column`` (of type ``data_type`` when known) is added.

    Examples:
        >>> ColumnAdded("channel", "varchar").destructive
        False
    """

    column: str
    data_type: str | None = None

    type: ClassVar[str] = "column_add"
    destructive: ClassVar[bool] = False

    def describe(self) -> str:
        """One line for humans."""
        return f"add column {self.column}" + (f" {self.data_type}" if self.data_type else "")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (inverse of :func:`change_from_dict`)."""
        out: dict[str, Any] = {"type": self.type, "column": self.column}
        if self.data_type:
            out["data_type"] = self.data_type
        return out


@dataclass(frozen=True)
class TableRenamed:
    """The table is renamed to ``new_name``.

    Examples:
        >>> TableRenamed("orders_v2").to_dict()
        {'type': 'table_rename', 'to': 'orders_v2'}
    """

    new_name: str

    type: ClassVar[str] = "table_rename"
    destructive: ClassVar[bool] = True

    def describe(self) -> str:
        """One line for humans."""
        return f"rename table -> {self.new_name}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (inverse of :func:`change_from_dict`)."""
        return {"type": self.type, "to": self.new_name}


@dataclass(frozen=True)
class TableDropped:
    """The table is dropped.

    Examples:
        >>> TableDropped().describe()
        'drop table'
    """

    type: ClassVar[str] = "table_drop"
    destructive: ClassVar[bool] = True

    def describe(self) -> str:
        """One line for humans."""
        return "drop table"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (inverse of :func:`change_from_dict`)."""
        return {"type": self.type}


@dataclass(frozen=True)
class ColumnValuesChanged:
    """The values of column ``column`` change (its expression or its sources); name and type stay.

    Inferred by ``dagster-lineage diff`` from two lineage states; consumers of the column get a
    warning (nothing refers to a name that disappears).

    Examples:
        >>> ColumnValuesChanged("net_revenue", "sources changed").describe()
        'values of net_revenue change (sources changed)'
    """

    column: str
    reason: str | None = None

    type: ClassVar[str] = "column_values_change"
    destructive: ClassVar[bool] = False

    def describe(self) -> str:
        """One line for humans."""
        return f"values of {self.column} change" + (f" ({self.reason})" if self.reason else "")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (inverse of :func:`change_from_dict`)."""
        out: dict[str, Any] = {"type": self.type, "column": self.column}
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class RowsChanged:
    """Any row of the table may change (its filter, join or group-by changed): every column's values.

    Examples:
        >>> RowsChanged("filter changed").describe()
        'rows change (filter changed)'
    """

    reason: str | None = None

    type: ClassVar[str] = "rows_change"
    destructive: ClassVar[bool] = False

    def describe(self) -> str:
        """One line for humans."""
        return "rows change" + (f" ({self.reason})" if self.reason else "")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (inverse of :func:`change_from_dict`)."""
        out: dict[str, Any] = {"type": self.type}
        if self.reason:
            out["reason"] = self.reason
        return out


SchemaChange = (
    ColumnRenamed
    | ColumnDropped
    | ColumnTypeChanged
    | ColumnAdded
    | TableRenamed
    | TableDropped
    | ColumnValuesChanged
    | RowsChanged
)
"""Any one proposed change."""

CHANGE_TYPES: dict[str, type] = {
    c.type: c
    for c in (
        ColumnRenamed,
        ColumnDropped,
        ColumnTypeChanged,
        ColumnAdded,
        TableRenamed,
        TableDropped,
        ColumnValuesChanged,
        RowsChanged,
    )
}
"""Change classes by their ``type`` string."""

_EXAMPLES = {
    "column_rename": '{"type": "column_rename", "from": "order_total", "to": "total_amount"}',
    "column_drop": '{"type": "column_drop", "column": "legacy_discount_code"}',
    "column_type_change": '{"type": "column_type_change", "column": "c", "data_type": "bigint"}',
    "column_add": '{"type": "column_add", "column": "c", "data_type": "varchar"}',
    "table_rename": '{"type": "table_rename", "to": "new_name"}',
    "table_drop": '{"type": "table_drop"}',
    "column_values_change": '{"type": "column_values_change", "column": "c"}',
    "rows_change": '{"type": "rows_change", "reason": "filter changed"}',
}


def _text(data: Mapping[str, Any], field: str, kind: str, *, required: bool = True) -> str | None:
    value = data.get(field)
    if value is None:
        if required:
            raise ChangeSpecError(f"a {kind} change needs '{field}'", hint=_EXAMPLES[kind])
        return None
    if not isinstance(value, str) or not value.strip():
        raise ChangeSpecError(
            f"'{field}' of a {kind} change must be a non-empty string, got {value!r}",
            hint=_EXAMPLES[kind],
        )
    return value.strip()


def change_from_dict(data: Mapping[str, Any]) -> SchemaChange:
    """Build one change from its dict form.

    Examples:
        >>> change_from_dict({"type": "column_drop", "column": "x"})
        ColumnDropped(column='x')
        >>> change_from_dict({"type": "column_type_change", "column": "x", "data_type": "bigint"})
        ColumnTypeChanged(column='x', data_type='bigint', old_type=None)
    """
    if not isinstance(data, Mapping):
        raise ChangeSpecError(
            f"each change must be a mapping with a 'type', got {data!r}",
            hint=_EXAMPLES["column_rename"],
        )
    kind = data.get("type")
    if kind not in CHANGE_TYPES:
        raise ChangeSpecError(
            f"unknown change type {kind!r}; known types: {', '.join(CHANGE_TYPES)}",
            hint=_EXAMPLES["column_rename"],
        )
    known = {
        "column_rename": {"type", "from", "to"},
        "column_drop": {"type", "column"},
        "column_type_change": {"type", "column", "data_type", "old_type"},
        "column_add": {"type", "column", "data_type"},
        "table_rename": {"type", "to"},
        "table_drop": {"type"},
        "column_values_change": {"type", "column", "reason"},
        "rows_change": {"type", "reason"},
    }[kind]
    extra = sorted(set(data) - known)
    if extra:
        raise ChangeSpecError(
            f"unexpected field(s) {', '.join(extra)} in a {kind} change", hint=_EXAMPLES[kind]
        )
    if kind == "column_rename":
        old, new = _text(data, "from", kind), _text(data, "to", kind)
        assert old and new
        if old.lower() == new.lower():
            raise ChangeSpecError(f"renaming column {old} to itself", hint=_EXAMPLES[kind])
        return ColumnRenamed(old, new)
    if kind == "column_drop":
        return ColumnDropped(str(_text(data, "column", kind)))
    if kind == "column_type_change":
        return ColumnTypeChanged(
            str(_text(data, "column", kind)),
            str(_text(data, "data_type", kind)),
            _text(data, "old_type", kind, required=False),
        )
    if kind == "column_add":
        return ColumnAdded(
            str(_text(data, "column", kind)), _text(data, "data_type", kind, required=False)
        )
    if kind == "table_rename":
        return TableRenamed(str(_text(data, "to", kind)))
    if kind == "column_values_change":
        return ColumnValuesChanged(
            str(_text(data, "column", kind)), _text(data, "reason", kind, required=False)
        )
    if kind == "rows_change":
        return RowsChanged(_text(data, "reason", kind, required=False))
    return TableDropped()


def changes_from_data(data: Any) -> tuple[SchemaChange, ...]:
    """Changes from parsed JSON/YAML data: a list of change dicts, one dict, or ``{"changes": [...]}``.

    Examples:
        >>> changes_from_data({"changes": [{"type": "table_drop"}]})
        (TableDropped(),)
    """
    if isinstance(data, Mapping) and "changes" in data:
        data = data["changes"]
    if isinstance(data, Mapping):
        data = [data]
    if not isinstance(data, Sequence) or isinstance(data, (str, bytes)):
        raise ChangeSpecError(
            f"expected a list of changes, got {type(data).__name__}",
            hint="[" + _EXAMPLES["column_rename"] + "]",
        )
    if not data:
        raise ChangeSpecError(
            "the list of changes is empty", hint="[" + _EXAMPLES["column_drop"] + "]"
        )
    return tuple(change_from_dict(d) for d in data)


def _load_text(text: str, source: str | None) -> Any:
    where = f" in {source}" if source else ""
    try:
        return json.loads(text)
    except json.JSONDecodeError as json_err:
        import yaml

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as e:
            detail = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise ChangeSpecError(
                f"not valid JSON or YAML{where} ({json_err.msg} at line {json_err.lineno}; {detail})",
                hint="[" + _EXAMPLES["column_rename"] + "]",
            ) from None


def parse_changes(text: str, *, source: str | None = None) -> tuple[SchemaChange, ...]:
    r"""Changes from JSON or YAML text.

    Examples:
        >>> parse_changes("- type: column_drop\n  column: legacy_discount_code")
        (ColumnDropped(column='legacy_discount_code'),)
    """
    data = _load_text(text, source)
    try:
        return changes_from_data(data)
    except ChangeSpecError as e:
        if source:
            raise ChangeSpecError(f"{e.detail} (in {source})") from None
        raise


def load_changes_file(path: str | Path) -> tuple[str | None, tuple[SchemaChange, ...]]:
    """Read a JSON/YAML changes file; returns ``(asset named in the file or None, changes)``.

    Examples:
        >>> import tempfile, os
        >>> with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        ...     _ = f.write('{"asset": "raw_orders", "changes": [{"type": "table_drop"}]}')
        >>> load_changes_file(f.name)
        ('raw_orders', (TableDropped(),))
        >>> os.unlink(f.name)
    """
    p = Path(path)
    if p.is_dir():
        raise ChangeSpecError(
            f"changes file {p} is a folder; pass a JSON or YAML file", hint="--changes changes.json"
        )
    if not p.is_file():
        raise ChangeSpecError(f"changes file {p} does not exist")
    try:
        text = p.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise ChangeSpecError(f"cannot read changes file {p}: {e}") from None
    if not text.strip():
        raise ChangeSpecError(
            f"changes file {p} is empty; write a list of changes in it",
            hint="[" + _EXAMPLES["column_drop"] + "]",
        )
    data = _load_text(text, str(p))
    asset = data.get("asset") if isinstance(data, Mapping) else None
    if asset is not None and not isinstance(asset, str):
        raise ChangeSpecError(f"'asset' in {p} must be a string, got {asset!r}")
    try:
        return asset, changes_from_data(data)
    except ChangeSpecError as e:
        raise ChangeSpecError(f"{e.detail} (in {p})") from None


def _pair(text: str, flag: str, hint: str) -> tuple[str, str]:
    left, sep, right = text.partition(":")
    if not sep or not left.strip() or not right.strip():
        raise ChangeSpecError(f"{flag} expects OLD:NEW, got '{clip(text)}'", hint=f"{flag} {hint}")
    return left.strip(), right.strip()


def changes_from_flags(
    *,
    rename: Iterable[str] = (),
    drop: Iterable[str] = (),
    type_change: Iterable[str] = (),
    add: Iterable[str] = (),
    rename_table: str | None = None,
    drop_table: bool = False,
) -> tuple[SchemaChange, ...]:
    """Changes from CLI flag values.

    ``--rename a:b``, ``--drop c``, ``--type-change c:bigint``, ``--add c[:type]``,
    ``--rename-table new``, ``--drop-table``.

    Examples:
        >>> changes_from_flags(rename=["order_total:total_amount"], drop=["legacy_discount_code"])
        (ColumnRenamed(column='order_total', new_name='total_amount'), ColumnDropped(column='legacy_discount_code'))
    """
    out: list[SchemaChange] = []
    for r in rename:
        old, new = _pair(r, "--rename", "order_total:total_amount")
        if ":" in new:
            raise ChangeSpecError(
                f"--rename expects OLD:NEW with one colon, got '{clip(r)}' (a column name cannot "
                "hold ':'; rename one column per --rename)",
                hint="--rename order_total:total_amount",
            )
        if old.lower() == new.lower():
            raise ChangeSpecError(f"--rename {r} renames a column to itself")
        out.append(ColumnRenamed(old, new))
    for d in drop:
        if not d.strip() or ":" in d:
            raise ChangeSpecError(f"--drop expects a column name, got '{clip(d)}'", hint="--drop c")
        out.append(ColumnDropped(d.strip()))
    for t in type_change:
        col, dtype = _pair(t, "--type-change", "order_id:bigint")
        out.append(ColumnTypeChanged(col, dtype))
    for a in add:
        col, sep, dtype = a.partition(":")
        if not col.strip():
            raise ChangeSpecError(
                f"--add expects COLUMN[:TYPE], got '{clip(a)}'", hint="--add c:varchar"
            )
        out.append(ColumnAdded(col.strip(), dtype.strip() or None if sep else None))
    if rename_table is not None:
        if not rename_table.strip():
            raise ChangeSpecError("--rename-table needs the new name")
        out.append(TableRenamed(rename_table.strip()))
    if drop_table:
        out.append(TableDropped())
    return tuple(out)


def changes_to_json(changes: Iterable[SchemaChange]) -> str:
    """JSON text of a list of changes (round-trips through :func:`parse_changes`).

    Examples:
        >>> changes_to_json([ColumnDropped("x")])
        '[{"type": "column_drop", "column": "x"}]'
    """
    return json.dumps([c.to_dict() for c in changes])
