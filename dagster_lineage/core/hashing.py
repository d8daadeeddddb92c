"""Deterministic hashing of JSON-like values (pure, no Dagster import).

:func:`stable_hash` is the one hash every checksum in dagster-lineage builds on: sha256 over a
canonical JSON rendering (sorted keys, no whitespace, tuples as lists, sets sorted), so the same
value always gives the same digest, across processes and machines.

Examples:
    >>> from dagster_lineage.core.hashing import stable_hash
    >>> stable_hash({"b": 1, "a": [1, 2]}) == stable_hash({"a": (1, 2), "b": 1})
    True
    >>> len(stable_hash("x"))
    64
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from enum import Enum
from pathlib import PurePath
from typing import Any


def canonical_json(obj: Any) -> str:
    """Canonical JSON text of ``obj``: sorted keys, compact separators, deterministic order.

    Tuples become lists, sets and frozensets become sorted lists, enums their value, paths their
    POSIX text; any other non-JSON value raises ``TypeError`` (never a ``repr`` with an address).

    Examples:
        >>> canonical_json({"b": {2, 1}, "a": (1, None)})
        '{"a":[1,null],"b":[1,2]}'
    """
    return json.dumps(_normalise(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def stable_hash(obj: Any) -> str:
    """sha256 hex digest of :func:`canonical_json` of ``obj``.

    Examples:
        >>> stable_hash([1, 2]) == stable_hash((1, 2))
        True
        >>> stable_hash({"a": 1}) != stable_hash({"a": 2})
        True
    """
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()


def _normalise(obj: Any) -> Any:
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj.value if isinstance(obj, Enum) else obj
    if isinstance(obj, Enum):
        return _normalise(obj.value)
    if isinstance(obj, PurePath):
        return obj.as_posix()
    if isinstance(obj, Mapping):
        return {str(k): _normalise(v) for k, v in obj.items()}
    if isinstance(obj, (set, frozenset)):
        items = [_normalise(v) for v in obj]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(obj, (list, tuple)):
        return [_normalise(v) for v in obj]
    raise TypeError(
        f"stable_hash cannot hash a {type(obj).__name__}; convert it to JSON-like data "
        "(dict, list, str, number, bool, None) first."
    )
