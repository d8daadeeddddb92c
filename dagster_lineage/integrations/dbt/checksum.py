"""Code checksum of a dbt node: its compiled SQL plus its config (pure, no Dagster or dbt import).

The checksum changes when what the node computes changes, and only then: the compiled SQL (or, when
the manifest was only parsed, the raw SQL) and the node's config, sorted, with absolute paths
replaced by a placeholder so two checkouts of the same project agree.

Examples:
    >>> from dagster_lineage.integrations.dbt.checksum import code_checksum_for_dbt_node
    >>> node = {"compiled_code": "select 1 as x", "config": {"materialized": "view"}}
    >>> code_checksum_for_dbt_node(node) == code_checksum_for_dbt_node(dict(node))
    True
    >>> code_checksum_for_dbt_node(node) != code_checksum_for_dbt_node(
    ...     {**node, "config": {"materialized": "table"}})
    True
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dagster_lineage.core.hashing import stable_hash

ABSOLUTE_PATH_PLACEHOLDER = "<abs-path>"

# Config entries that describe where or when, not what (they never change the computed data).
_IGNORED_CONFIG_KEYS = frozenset({"docs", "persist_docs", "meta", "tags", "group", "access"})

_ABS_PATH_RE = re.compile(r"(?<![\w.:/])(?:/[^\s'\"`,;)]+|[A-Za-z]:\\[^\s'\"`,;)]+)")


def strip_absolute_paths(text: str) -> str:
    """Replace absolute file paths in ``text`` with a placeholder.

    Examples:
        >>> strip_absolute_paths("COPY t TO '/home/me/out/x.parquet'")
        "COPY t TO '<abs-path>'"
        >>> strip_absolute_paths("select a/b from t")
        'select a/b from t'
    """
    return _ABS_PATH_RE.sub(ABSOLUTE_PATH_PLACEHOLDER, text)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return strip_absolute_paths(value)
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def normalised_dbt_config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """A node's config reduced to what changes its result, with absolute paths removed.

    Examples:
        >>> normalised_dbt_config({"materialized": "table", "tags": ["x"], "meta": {"a": 1}})
        {'materialized': 'table'}
    """
    return {
        k: _clean(v)
        for k, v in sorted((config or {}).items())
        if k not in _IGNORED_CONFIG_KEYS and v not in (None, [], {})
    }


def code_checksum_for_dbt_node(node: Mapping[str, Any]) -> str:
    """sha256 of a dbt manifest node's compiled SQL (raw SQL when not compiled) and its config.

    Args:
        node: one entry of ``manifest["nodes"]`` or ``manifest["sources"]`` (a dict).

    Returns:
        A 64-character hex digest, the same on any machine for the same code and config.

    Examples:
        >>> a = {"compiled_code": "select 1", "config": {"post-hook": [{"sql": "copy to '/a/x'"}]}}
        >>> b = {"compiled_code": "select 1", "config": {"post-hook": [{"sql": "copy to '/b/x'"}]}}
        >>> code_checksum_for_dbt_node(a) == code_checksum_for_dbt_node(b)
        True
    """
    sql = node.get("compiled_code") or node.get("raw_code") or ""
    payload = {
        "resource_type": node.get("resource_type"),
        "sql": strip_absolute_paths(_normalise_whitespace(sql)),
        "config": normalised_dbt_config(node.get("config")),
    }
    if node.get("resource_type") == "seed":
        payload["file_checksum"] = (node.get("checksum") or {}).get("checksum")
    if node.get("resource_type") == "source":
        payload["relation"] = node.get("relation_name") or node.get("identifier")
    return stable_hash(payload)


def _normalise_whitespace(sql: str) -> str:
    return "\n".join(line.rstrip() for line in sql.strip().splitlines())
