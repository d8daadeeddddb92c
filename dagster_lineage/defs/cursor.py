"""The sensors' cursor codec: versioned JSON, reset with a log line when it cannot be decoded.

A cursor is one JSON object: the version under ``version_key`` plus the sensor's fields, each a
JSON object or array. Every sensor of the package (code change, Airflow runs, schema drift) reads
and writes its cursor through a :class:`CursorCodec`.

Examples:
    >>> codec = CursorCodec("example sensor", fields={"seen": list})
    >>> text = codec.encode({"seen": ["a"]})
    >>> text
    '{"seen": ["a"], "version": 1}'
    >>> codec.decode(text)
    {'seen': ['a'], 'version': 1}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CursorCodec:
    """Encode and decode one sensor's cursor.

    Attributes:
        sensor: the sensor's name in log lines (``code-change sensor``).
        fields: field name -> its JSON type (``dict`` or ``list``); a missing field reads as empty.
        version: the cursor version written and accepted.
        version_key: the key holding the version (``version``; the Airflow run sensor's cursors
            have always used ``v``).

    Examples:
        >>> codec = CursorCodec("s", fields={"dags": dict}, version_key="v")
        >>> codec.empty()
        {'dags': {}, 'v': 1}
    """

    sensor: str
    fields: Mapping[str, type] = field(default_factory=dict)
    version: int = 1
    version_key: str = "version"

    def empty(self) -> dict[str, Any]:
        """The state of a sensor that has not ticked yet (every field empty)."""
        return {**{name: kind() for name, kind in self.fields.items()}, self.version_key: self.version}

    def encode(self, state: Mapping[str, Any]) -> str:
        """The cursor text of ``state`` (its declared fields and the version), keys sorted."""
        doc = {name: state.get(name, kind()) for name, kind in self.fields.items()}
        doc[self.version_key] = self.version
        return json.dumps(doc, sort_keys=True)

    def parse(self, text: str | None) -> dict[str, Any]:
        """The state in ``text`` (empty for no cursor).

        Raises:
            ValueError: when the text is not JSON, not this version or a field has the wrong type.

        Examples:
            >>> CursorCodec("s").parse('{"version": 9}')
            Traceback (most recent call last):
            ...
            ValueError: unsupported cursor version 9
        """
        if not text:
            return self.empty()
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"a cursor is a JSON object, not {type(data).__name__}")
        if data.get(self.version_key) != self.version:
            raise ValueError(f"unsupported cursor version {data.get(self.version_key)!r}")
        state = self.empty()
        for name, kind in self.fields.items():
            value = data.get(name, kind())
            if not isinstance(value, kind):
                raise ValueError(f"cursor field {name!r} is not a JSON {kind.__name__}")
            state[name] = value
        return state

    def decode(self, text: str | None, log: Any | None = None) -> dict[str, Any]:
        """:meth:`parse`, or the empty state with a warning on ``log`` when ``text`` is not ours.

        Examples:
            >>> import logging
            >>> CursorCodec("s", fields={"seen": list}).decode("{not json", logging.getLogger("x"))
            {'seen': [], 'version': 1}
        """
        try:
            return self.parse(text)
        except ValueError as e:
            if log is not None:
                log.warning(
                    f"dagster-lineage: resetting the {self.sensor} cursor (could not decode "
                    f"{(text or '')[:80]!r}: {e}); starting over"
                )
            return self.empty()
