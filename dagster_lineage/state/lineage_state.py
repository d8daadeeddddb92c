"""The lineage state file: every :class:`AssetLineage` record of a code location in one JSON file.

``dagster-lineage snapshot -o lineage.json`` writes it; ``graph``, ``impact`` and ``diff`` read it
with ``--state FILE`` and answer without loading the code location (no Dagster, dbt or Airflow
import: this module is pure). Two state files (or two git refs, each turned into one) are what
``dagster-lineage diff`` compares.

The format (``format`` ``dagster-lineage-state``, ``schema_version`` :data:`STATE_SCHEMA_VERSION`)
is described by :data:`STATE_JSON_SCHEMA` (JSON Schema draft 2020-12)::

    {
      "format": "dagster-lineage-state",
      "schema_version": 1,
      "project": "example_project.definitions",   # identity of the code location
      "tool_version": "0.1.0",                     # dagster-lineage version that wrote it
      "asset_count": 6,
      "assets": [ <AssetLineage.to_dict()>, ... ]  # sorted by key
    }

Each asset carries its key, kind (``asset_type``), owners, tags, source file (``source_ref``),
columns with types, column edges with kinds (``column_deps``), reads by clause, indirect inputs,
unknowns and its code checksum. The text is deterministic: records sorted by key, each in the fixed
field order of :meth:`AssetLineage.to_dict`, no timestamp, no absolute path of ours, so an unchanged
project writes byte-identical files.

Examples:
    >>> from dagster_lineage.core.model import AssetLineage, ColumnInfo
    >>> state = LineageState.from_records(
    ...     [AssetLineage(key=("b",), upstream=(("a",),)), AssetLineage(key=("a",), columns=(ColumnInfo("x", "int"),))],
    ...     project="demo", tool_version="0.1.0")
    >>> [r.key for r in state.records]
    [('a',), ('b',)]
    >>> LineageState.from_json(state.to_json()) == state
    True
    >>> state.graph().downstream_keys(("a",))
    [('b',)]
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import (
    AssetKeyPath,
    AssetLineage,
    AssetType,
    Clause,
    ColumnDep,
    ColumnInfo,
    ColumnRead,
    ColumnRef,
    EdgeKind,
    Unknown,
)
from dagster_lineage.errors import DagsterLineageError

STATE_FORMAT = "dagster-lineage-state"
"""The ``format`` marker at the top of every state file."""

STATE_SCHEMA_VERSION = 1
"""Version of the state file's JSON schema (bumped on an incompatible change)."""

_KEY = {"type": "array", "items": {"type": "string"}, "minItems": 1}
_COLUMN_EDGE = {
    "type": "object",
    "required": ["asset", "column"],
    "properties": {
        "asset": _KEY,
        "column": {"type": "string"},
        "kind": {"enum": ["identity", "rename", "transformation", "aggregation"]},
        "clause": {
            "enum": ["select", "filter", "join", "group", "having", "order", "window", "qualify"]
        },
    },
}
_NULLABLE_STR = {"type": ["string", "null"]}

STATE_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://github.com/dagster-lineage/dagster-lineage/state-v1.json",
    "title": "dagster-lineage state file",
    "type": "object",
    "required": ["format", "schema_version", "project", "tool_version", "assets"],
    "properties": {
        "format": {"const": STATE_FORMAT},
        "schema_version": {"const": STATE_SCHEMA_VERSION},
        "project": {"type": "string", "description": "identity of the code location"},
        "tool_version": {"type": "string", "description": "dagster-lineage version"},
        "asset_count": {"type": "integer", "minimum": 0},
        "assets": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "asset_type"],
                "properties": {
                    "key": _KEY,
                    "asset_type": {"type": "string"},
                    "source_ref": _NULLABLE_STR,
                    "upstream": {"type": "array", "items": _KEY},
                    "columns": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {
                                "name": {"type": "string"},
                                "data_type": _NULLABLE_STR,
                                "description": _NULLABLE_STR,
                            },
                        },
                    },
                    "column_deps": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": _COLUMN_EDGE},
                    },
                    "reads": {"type": "array", "items": _COLUMN_EDGE},
                    "indirect_deps": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": _COLUMN_EDGE},
                    },
                    "star_upstreams": {"type": "array", "items": _KEY},
                    "unknowns": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["reason"],
                            "properties": {"reason": {"type": "string"}, "column": _NULLABLE_STR},
                        },
                    },
                    "code_checksum": _NULLABLE_STR,
                    "owners": {"type": "array", "items": {"type": "string"}},
                    "tags": {"type": "object", "additionalProperties": {"type": "string"}},
                    "contract_enforced": {"type": "boolean"},
                    "description": _NULLABLE_STR,
                },
            },
        },
    },
}
"""JSON Schema of a state file (``schema_version`` 1)."""


class StateFileError(DagsterLineageError):
    """A state file that cannot be read: missing, corrupt, or of another schema version.

    Examples:
        >>> str(StateFileError("lineage.json", "not JSON")).startswith("Cannot read state file lineage.json")
        True
    """

    def __init__(self, source: str, detail: str, *, fix: str | None = None) -> None:
        self.source = source
        self.detail = detail
        super().__init__(
            f"Cannot read state file {source}: {detail}. "
            + (fix or "Write it again with `dagster-lineage snapshot -o FILE`.")
        )


def installed_version() -> str:
    """The installed dagster-lineage version (``unknown`` when not installed as a distribution).

    Examples:
        >>> isinstance(installed_version(), str)
        True
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dagster-lineage")
    except PackageNotFoundError:
        return "unknown"


class LineageState:
    """A code location's lineage records with the header that identifies them.

    A state read from a file decodes its records lazily: :meth:`get` decodes one record,
    :attr:`records` (and :meth:`graph`) all of them, once. ``diff`` compares the undecoded records
    first (:meth:`same_record`) and decodes only what changed and what the impact walk needs.

    Attributes:
        project: identity of the code location (compared by ``diff``: two states of different
            projects are not comparable).
        tool_version: version of dagster-lineage that wrote the state.
        schema_version: :data:`STATE_SCHEMA_VERSION` of the format.

    Examples:
        >>> LineageState.from_records([], project="p", tool_version="1").asset_count
        0
    """

    __slots__ = (
        "_all",
        "_decoded",
        "_decoder",
        "_raw",
        "_source",
        "project",
        "schema_version",
        "tool_version",
    )

    def __init__(
        self,
        project: str,
        records: Iterable[AssetLineage],
        tool_version: str,
        schema_version: int = STATE_SCHEMA_VERSION,
    ) -> None:
        self.project = project
        self.tool_version = tool_version
        self.schema_version = schema_version
        self._decoded: dict[AssetKeyPath, AssetLineage] = {r.key: r for r in records}
        self._raw: dict[AssetKeyPath, Mapping[str, Any]] = {}
        self._source = "<state>"
        self._decoder = _Decoder()
        self._all: tuple[AssetLineage, ...] | None = None

    @classmethod
    def from_records(
        cls, records: Iterable[AssetLineage], *, project: str, tool_version: str | None = None
    ) -> LineageState:
        """A state of ``records`` (sorted by key; a later duplicate of a key wins)."""
        by_key = {r.key: r for r in records}
        return cls(
            project=project,
            records=[by_key[k] for k in sorted(by_key)],
            tool_version=tool_version if tool_version is not None else installed_version(),
        )

    @property
    def records(self) -> tuple[AssetLineage, ...]:
        """Every asset's record, sorted by key (decoded on first use)."""
        if self._all is None:
            self._all = tuple(self._record(k) for k in self.keys())
        return self._all

    def keys(self) -> list[AssetKeyPath]:
        """Every asset key, sorted."""
        return sorted(self.keys_set())

    def keys_set(self) -> frozenset[AssetKeyPath]:
        """Every asset key, as a set (no record decoded)."""
        return frozenset(self._raw.keys() | self._decoded.keys())

    @property
    def asset_count(self) -> int:
        """Number of assets."""
        return len(self.keys_set())

    def graph(self) -> LineageGraph:
        """The :class:`LineageGraph` of the records."""
        return LineageGraph.from_records(self.records)

    def get(self, key: tuple[str, ...]) -> AssetLineage | None:
        """The record of ``key``, or ``None``."""
        if key in self._decoded or key in self._raw:
            return self._record(key)
        return None

    def upstream_keys(self, key: AssetKeyPath) -> tuple[AssetKeyPath, ...]:
        """The upstream keys of ``key``'s record, without decoding it (``()`` when unknown).

        Examples:
            >>> from dagster_lineage.core.model import AssetLineage
            >>> s = LineageState.from_records([AssetLineage(key=("b",), upstream=(("a",),))],
            ...                               project="p", tool_version="1")
            >>> LineageState.from_json(s.to_json()).upstream_keys(("b",))
            (('a',),)
        """
        rec = self._decoded.get(key)
        if rec is not None:
            return rec.upstream
        raw = self._raw.get(key)
        try:
            return tuple(tuple(k) for k in raw.get("upstream", ())) if raw else ()
        except (TypeError, AttributeError) as e:
            raise StateFileError(self._source, f"malformed asset record ({e})") from None

    def same_record(self, other: LineageState, key: AssetKeyPath) -> bool:
        """True when both states hold an identical record of ``key`` (compared undecoded if can be).

        Examples:
            >>> from dagster_lineage.core.model import AssetLineage
            >>> a = LineageState.from_records([AssetLineage(key=("x",))], project="p", tool_version="1")
            >>> b = LineageState.from_json(a.to_json())
            >>> a.same_record(b, ("x",)), b.same_record(b, ("y",))
            (True, False)
        """
        mine, theirs = self._raw.get(key), other._raw.get(key)
        if mine is not None and theirs is not None and mine == theirs:
            return True
        a, b = self.get(key), other.get(key)
        return a is not None and b is not None and a == b

    def _record(self, key: AssetKeyPath) -> AssetLineage:
        rec = self._decoded.get(key)
        if rec is None:
            try:
                rec = self._decoded[key] = self._decoder.record(self._raw[key])
            except (KeyError, TypeError, ValueError, AttributeError) as e:
                raise StateFileError(
                    self._source, f"malformed asset record ({type(e).__name__}: {e})"
                ) from None
        return rec

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LineageState):
            return NotImplemented
        return (self.project, self.tool_version, self.schema_version, self.records) == (
            other.project,
            other.tool_version,
            other.schema_version,
            other.records,
        )

    def __hash__(self) -> int:
        return hash((self.project, self.tool_version, self.schema_version, self.asset_count))

    def __repr__(self) -> str:
        return (
            f"LineageState(project={self.project!r}, assets={self.asset_count}, "
            f"tool_version={self.tool_version!r}, schema_version={self.schema_version})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (see :data:`STATE_JSON_SCHEMA`)."""
        return {
            "format": STATE_FORMAT,
            "schema_version": self.schema_version,
            "project": self.project,
            "tool_version": self.tool_version,
            "asset_count": self.asset_count,
            "assets": [r.to_dict() for r in self.records],
        }

    def to_json(self) -> str:
        """Deterministic text: one line per asset (diff-friendly), a final newline.

        Records are sorted by key and serialised by :meth:`AssetLineage.to_dict` (sorted where order
        carries no meaning); the order of ``column_deps`` is kept, since traversals follow it.
        """
        head = self.to_dict()
        assets = head.pop("assets")
        fields = [f" {json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(head.items())]
        body = ",\n".join(
            "  " + json.dumps(a, separators=(",", ":"), ensure_ascii=False)
            for a in assets
        )
        fields.append(' "assets": [' + (f"\n{body}\n ]" if body else "]"))
        return "{\n" + ",\n".join(fields) + "\n}\n"

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "<state>") -> LineageState:
        """Read the JSON form, checking format and schema version.

        Records are decoded when first used (:meth:`get`, :attr:`records`); a malformed one then
        raises :class:`StateFileError` too.

        Raises:
            StateFileError: not a state file, another schema version, or malformed records.
        """
        if not isinstance(data, Mapping) or data.get("format") != STATE_FORMAT:
            raise StateFileError(source, f"not a {STATE_FORMAT} file (no 'format' header)")
        version = data.get("schema_version")
        if version != STATE_SCHEMA_VERSION:
            raise StateFileError(
                source,
                f"schema version {version!r}, this dagster-lineage ({installed_version()}) reads "
                f"version {STATE_SCHEMA_VERSION}",
                fix="Write both states with the same dagster-lineage version "
                "(`dagster-lineage snapshot -o FILE`).",
            )
        project = data.get("project")
        assets = data.get("assets")
        if not isinstance(project, str) or not isinstance(assets, list):
            raise StateFileError(source, "missing 'project' or 'assets'")
        raw: dict[AssetKeyPath, Mapping[str, Any]] = {}
        for a in assets:
            key = a.get("key") if isinstance(a, Mapping) else None
            if not isinstance(key, list) or not key or not all(isinstance(p, str) for p in key):
                raise StateFileError(source, f"malformed asset record (no valid 'key': {a!r:.80})")
            raw[tuple(key)] = a
        state = cls(project, (), str(data.get("tool_version", "unknown")), STATE_SCHEMA_VERSION)
        state._raw = raw
        state._source = source
        return state

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "<state>") -> LineageState:
        """Parse state file text (see :meth:`from_dict`)."""
        try:
            data = json.loads(text)
        except ValueError as e:
            raise StateFileError(source, f"corrupt JSON ({e})") from None
        return cls.from_dict(data, source=source)


class _Decoder:
    """Decodes records of the JSON form, sharing equal keys and column references between them.

    The same upstream column is referenced by many records: one :class:`ColumnRef` (and one key
    tuple) per distinct value saves most of the decoding time and memory of a large state.
    """

    def __init__(self) -> None:
        self._keys: dict[tuple[str, ...], AssetKeyPath] = {}
        self._refs: dict[tuple[AssetKeyPath, str], ColumnRef] = {}
        self._deps: dict[tuple[AssetKeyPath, str, str], ColumnDep] = {}
        self._reads: dict[tuple[AssetKeyPath, str, str], ColumnRead] = {}
        self._columns: dict[tuple[str, str | None, str | None], ColumnInfo] = {}

    def key(self, parts: Iterable[str]) -> AssetKeyPath:
        t = tuple(parts)
        return self._keys.setdefault(t, t)

    def _ref(self, asset: AssetKeyPath, column: str) -> ColumnRef:
        ref = self._refs.get((asset, column))
        if ref is None:
            ref = self._refs[(asset, column)] = ColumnRef(asset, column)
        return ref

    def dep(self, d: Mapping[str, Any]) -> ColumnDep:
        t = (self.key(d["asset"]), d["column"], d.get("kind", "identity"))
        dep = self._deps.get(t)
        if dep is None:
            dep = self._deps[t] = ColumnDep(self._ref(t[0], t[1]), _EDGE_KINDS[t[2]])
        return dep

    def read(self, r: Mapping[str, Any]) -> ColumnRead:
        t = (self.key(r["asset"]), r["column"], r["clause"])
        read = self._reads.get(t)
        if read is None:
            read = self._reads[t] = ColumnRead(self._ref(t[0], t[1]), _CLAUSES[t[2]])
        return read

    def column(self, c: Mapping[str, Any]) -> ColumnInfo:
        t = (c["name"], c.get("data_type"), c.get("description"))
        info = self._columns.get(t)
        if info is None:
            info = self._columns[t] = ColumnInfo(*t)
        return info

    def record(self, a: Mapping[str, Any]) -> AssetLineage:
        """The record of one asset of the JSON form (as :meth:`AssetLineage.from_dict`)."""
        key, dep, read, column = self.key, self.dep, self.read, self.column
        return AssetLineage(
            key=key(a["key"]),
            asset_type=_ASSET_TYPES[a.get("asset_type", "asset")],
            source_ref=a.get("source_ref"),
            upstream=tuple(key(k) for k in a.get("upstream", ())),
            columns=tuple(column(c) for c in a.get("columns", ())),
            column_deps={
                col: tuple(dep(d) for d in deps) for col, deps in a.get("column_deps", {}).items()
            },
            reads=tuple(read(r) for r in a.get("reads", ())),
            indirect_deps={
                col: tuple(read(r) for r in rs) for col, rs in a.get("indirect_deps", {}).items()
            },
            star_upstreams=tuple(key(k) for k in a.get("star_upstreams", ())),
            unknowns=tuple(Unknown(u["reason"], u.get("column")) for u in a.get("unknowns", ())),
            code_checksum=a.get("code_checksum"),
            owners=tuple(a.get("owners", ())),
            tags=dict(a.get("tags", {})),
            contract_enforced=bool(a.get("contract_enforced", False)),
            description=a.get("description"),
        )


_ASSET_TYPES = {t.value: t for t in AssetType}
_EDGE_KINDS = {k.value: k for k in EdgeKind}
_CLAUSES = {c.value: c for c in Clause}


def read_state(path: str | os.PathLike[str]) -> LineageState:
    """Read a state file written by :func:`write_state`.

    Raises:
        StateFileError: the file is missing, corrupt, or of another schema version.

    Examples:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "lineage.json"
        >>> write_state(LineageState.from_records([], project="p", tool_version="1"), p)
        >>> read_state(p).project
        'p'
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StateFileError(str(path), "no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise StateFileError(str(path), f"{type(e).__name__}: {e}") from None
    return LineageState.from_json(text, source=str(path))


def write_state(state: LineageState, path: str | os.PathLike[str]) -> None:
    """Write ``state`` to ``path`` atomically (a temporary file renamed into place).

    Examples:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "sub" / "lineage.json"
        >>> write_state(LineageState.from_records([], project="p", tool_version="1"), p)
        >>> p.read_text().startswith("{")
        True
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    tmp.write_text(state.to_json(), encoding="utf-8")
    os.replace(tmp, p)
