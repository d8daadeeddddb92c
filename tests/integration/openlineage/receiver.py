"""An OpenLineage HTTP receiver on 127.0.0.1 and a validator built on the client's own models.

The receiver accepts what the client's HTTP transport posts (``POST /api/v1/lineage``) and keeps
the JSON bodies. :func:`to_model` rebuilds each body as the client's attrs classes (events,
datasets, facets chosen by their ``_schemaURL``), so a missing required field, an unknown field,
a wrong type, a bad ``eventTime`` or ``producer`` fails exactly where the client itself would.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import threading
import types
import typing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attr
from openlineage.client import event_v2
from openlineage.client import generated as ol_generated


class Receiver:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.paths.append(self.path)
                    receiver.events.append(json.loads(body))
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _facet_classes() -> dict[str, type]:
    out: dict[str, type] = {}
    for info in pkgutil.iter_modules(ol_generated.__path__):
        module = importlib.import_module(f"{ol_generated.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and attr.has(value) and hasattr(value, "_get_schema"):
                try:
                    out[value._get_schema()] = value
                except TypeError:
                    continue
    return out


FACETS = _facet_classes()


def _structure(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            assert type(None) in args, f"{where}: null not allowed"
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _structure(arg, value, where)
            except (AssertionError, TypeError, ValueError) as e:
                errors.append(str(e))
        raise AssertionError(f"{where}: {value!r} matches none of {args}: {errors}")
    if origin is list:
        assert isinstance(value, list), f"{where}: expected a list"
        return [_structure(args[0], v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        assert isinstance(value, dict), f"{where}: expected an object"
        return {k: _structure(args[1], v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(tp, type) and attr.has(tp):
        return to_model(value, tp, where)
    if isinstance(tp, type) and issubclass(tp, event_v2.RunState):
        return tp(value)
    if tp is str:
        assert isinstance(value, str), f"{where}: expected a string, got {value!r}"
        return value
    if tp is int:
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: expected int"
        return value
    if tp is bool:
        assert isinstance(value, bool), f"{where}: expected bool"
        return value
    if tp is Any:
        return value
    raise AssertionError(f"{where}: unsupported type {tp!r}")


def to_model(data: dict[str, Any], cls: type | None = None, where: str = "event") -> Any:
    """Rebuild ``data`` as the client's model (facets picked by ``_schemaURL``)."""
    assert isinstance(data, dict), f"{where}: expected an object"
    if cls is None or (("_schemaURL" in data) and data["_schemaURL"] in FACETS):
        if "_schemaURL" in data:
            assert data["_schemaURL"] in FACETS, f"{where}: unknown facet {data['_schemaURL']}"
            cls = FACETS[data["_schemaURL"]]
        elif cls is None:
            cls = (
                event_v2.DatasetEvent
                if "dataset" in data
                else event_v2.RunEvent
                if "run" in data
                else event_v2.JobEvent
            )
    assert cls is not None
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    known = set()
    for f in attr.fields(cls):
        public = f.name.lstrip("_")
        json_name = f"_{public}" if f.name.startswith("_") else f.name
        known.add(json_name)
        if json_name not in data:
            assert f.default is not attr.NOTHING, f"{where}: missing required {json_name}"
            continue
        if not f.init:
            continue  # compared with the rebuilt model below (e.g. _schemaURL)
        kwargs[f.alias or public] = _structure(
            hints[f.name], data[json_name], f"{where}.{json_name}"
        )
    unknown = set(data) - known
    assert not unknown, f"{where}: fields the model does not have: {sorted(unknown)}"
    model = cls(**kwargs)
    for f in attr.fields(cls):
        json_name = f"_{f.name.lstrip('_')}" if f.name.startswith("_") else f.name
        if not f.init and json_name in data:
            assert getattr(model, f.name) == data[json_name], f"{where}.{json_name} differs"
    return model
