"""``dagster-lineage serve``: the explorer page and its JSON API over the standard library's HTTP server.

Routes (every answer is JSON except the page and its assets; a bad request gets a 4xx with
``{"error": "<one line>"}``)::

    GET  /                          the explorer page
    GET  /static/<file>             its JavaScript and CSS (shipped in the package; nothing from a CDN)
    GET  /api/assets                every asset: type, kinds, owners, group (Explorer.index)
    GET  /api/assets/{asset}        one asset with its columns
    GET  /api/lineage/{asset}?direction=upstream|downstream|both&depth=N|all[&column=C][&limit=N]
    GET  /api/diff                  with --state and --base: the JSON of ``dagster-lineage diff``
    POST /api/impact                {"asset": ..., "changes": [...]} and/or {"sql": ..., "dialect": ...}
                                    -> the JSON of ``dagster-lineage impact --format json``

The server binds to 127.0.0.1 by default: the lineage of a code location is not for everyone on
the network. Binding elsewhere works, with a warning.

Examples:
    >>> import json, threading, urllib.request
    >>> from dagster_lineage.core.graph import LineageGraph
    >>> from dagster_lineage.core.model import AssetLineage
    >>> from dagster_lineage.explorer.api import Explorer
    >>> server = make_server(Explorer(LineageGraph.from_records([AssetLineage(key=("a",))])), port=0)
    >>> t = threading.Thread(target=server.serve_forever, daemon=True); t.start()
    >>> url = f"http://127.0.0.1:{server.server_address[1]}/api/assets"
    >>> json.loads(urllib.request.urlopen(url).read())["n_assets"]
    1
    >>> server.shutdown(); server.server_close()
"""

from __future__ import annotations

import ipaddress
import json
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from dagster_lineage.explorer.api import ApiError, Explorer, parse_depth, parse_direction

MAX_BODY = 1_000_000
"""Largest accepted request body (bytes): a change list or a migration, not a data set."""

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


def static_files() -> dict[str, bytes]:
    """The page's files shipped in the package, by path relative to ``static/``.

    Examples:
        >>> "index.html" in static_files() and "vendor/dagre.min.js" in static_files()
        True
    """
    root = resources.files("dagster_lineage.explorer") / "static"
    out: dict[str, bytes] = {}

    def walk(node: Any, prefix: str) -> None:
        for child in node.iterdir():
            name = f"{prefix}{child.name}"
            if child.is_dir():
                walk(child, f"{name}/")
            elif not child.name.startswith("."):
                out[name] = child.read_bytes()

    walk(root, "")
    return out


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (``127.0.0.0/8``, ``::1``, ``localhost``).

    Examples:
        >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
        (True, True, False)
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Handler(BaseHTTPRequestHandler):
    server: ExplorerServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base signature
        if self.server.verbose:
            super().log_message(format, *args)

    # --- responses ------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload, sort_keys=False)
        self._send(status, text.encode("utf-8"), "application/json; charset=utf-8")

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message.splitlines()[0] if message else "error"})

    # --- routing --------------------------------------------------------------------------

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        try:
            self._get()
        except ApiError as e:
            self._error(e.status, e.message)
        except Exception as e:  # noqa: BLE001 - one line to the client, never a traceback
            self._error(500, f"internal error: {type(e).__name__}: {e}")

    def do_POST(self) -> None:  # noqa: N802
        try:
            self._post()
        except ApiError as e:
            self._error(e.status, e.message)
        except Exception as e:  # noqa: BLE001
            self._error(500, f"internal error: {type(e).__name__}: {e}")

    def _get(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        ex = self.server.explorer
        if path in ("/", "/index.html"):
            self._static("index.html")
        elif path == "/favicon.ico":
            self._send(204, b"", "image/x-icon")
        elif path == "/config.js":
            config = {"mode": "serve", "title": ex.title}
            body = f"window.LINEAGE_CONFIG = {json.dumps(config)};\n".encode()
            self._send(200, body, _CONTENT_TYPES[".js"])
        elif path.startswith("/static/"):
            self._static(unquote(path[len("/static/") :]))
        elif path == "/api/assets":
            _only(query, set())
            self._json(200, ex.index())
        elif path.startswith("/api/assets/"):
            _only(query, set())
            self._json(200, ex.detail(ex.resolve(_asset(path, "/api/assets/"))))
        elif path.startswith("/api/lineage/"):
            _only(query, {"direction", "depth", "column", "limit"})
            limit = _one(query, "limit")
            if limit is not None and not (limit.isdigit() and 0 < int(limit) <= 5000):
                raise ApiError(400, f"limit must be a whole number from 1 to 5000, got '{limit}'")
            column = _one(query, "column")
            self._json(
                200,
                ex.lineage(
                    ex.resolve(_asset(path, "/api/lineage/")),
                    direction=parse_direction(_one(query, "direction")),
                    depth=parse_depth(_one(query, "depth")),
                    column=column or None,
                    **({"limit": int(limit)} if limit else {}),
                ),
            )
        elif path == "/api/diff":
            _only(query, set())
            if ex.diff is None:
                raise ApiError(404, "no diff: start serve with --state HEAD.json --base BASE.json")
            self._json(200, ex.diff)
        elif path.startswith("/api/"):
            raise ApiError(404, f"no such endpoint {path}; see /api/assets, /api/lineage/ASSET")
        else:
            raise ApiError(404, f"no such page {path}")

    def _post(self) -> None:
        path = urlsplit(self.path).path
        if path != "/api/impact":
            raise ApiError(404, f"no such endpoint POST {path}; POST /api/impact")
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise ApiError(411, "send the change request as a JSON body with a Content-Length")
        if int(length) > MAX_BODY:
            raise ApiError(413, f"request body over {MAX_BODY} bytes")
        raw = self.rfile.read(int(length))
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ApiError(400, f"the body is not JSON: {e}") from None
        self._json(200, self.server.explorer.impact(body))

    def _static(self, name: str) -> None:
        data = self.server.files.get(name)
        if data is None:
            raise ApiError(404, f"no such file {name}")
        ext = name[name.rfind(".") :] if "." in name else ""
        self._send(200, data, _CONTENT_TYPES.get(ext, "application/octet-stream"))


def _asset(path: str, prefix: str) -> str:
    name = unquote(path[len(prefix) :]).strip("/")
    if not name:
        raise ApiError(400, f"name an asset: {prefix}ASSET")
    return name


def _only(query: dict[str, list[str]], allowed: set[str]) -> None:
    extra = sorted(set(query) - allowed)
    if extra:
        known = ", ".join(sorted(allowed)) or "none"
        raise ApiError(400, f"unknown query parameter(s) {', '.join(extra)}; known: {known}")


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise ApiError(400, f"give '{name}' once")
    return values[0]


class ExplorerServer(ThreadingHTTPServer):
    """A threading HTTP server answering the explorer's page and API for one :class:`Explorer`."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], explorer: Explorer, *, verbose: bool = False):
        self.explorer = explorer
        self.files = static_files()
        self.verbose = verbose
        super().__init__(address, _Handler)


def make_server(
    explorer: Explorer, *, host: str = "127.0.0.1", port: int = 8765, verbose: bool = False
) -> ExplorerServer:
    """Bind the explorer to ``host:port`` (``port=0``: a free port); warn when not loopback.

    Examples:
        >>> from dagster_lineage.core.graph import LineageGraph
        >>> s = make_server(Explorer(LineageGraph.from_records([])), port=0)
        >>> s.server_address[0]
        '127.0.0.1'
        >>> s.server_close()
    """
    if not is_loopback(host):
        print(
            f"dagster-lineage: warning: serving on {host}, reachable from other machines; "
            "the lineage of this code location is visible to anyone who can reach it "
            "(use --host 127.0.0.1 to keep it local)",
            file=sys.stderr,
        )
    try:
        return ExplorerServer((host, port), explorer, verbose=verbose)
    except OSError as e:
        raise ApiError(
            HTTPStatus.SERVICE_UNAVAILABLE,
            f"cannot listen on {host}:{port}: {e.strerror or e}; "
            "pick another --port (0 for a free one)",
        ) from None
