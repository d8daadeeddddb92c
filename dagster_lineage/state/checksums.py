"""Deterministic checksums of code, schema, data and upstream state.

Pure Python, no Dagster import. Every checksum is a hex sha256 (:func:`~dagster_lineage.core.hashing.
stable_hash`) over sorted, canonical content: no absolute path, no timestamp, no dict order enters the
hashed text, so the same inputs give the same checksum in any process on any machine.

Examples:
    >>> from dagster_lineage.state.checksums import code_checksum, schema_checksum
    >>> code_checksum({"sql": "select 1", "config": {"b": 1, "a": 2}}) == code_checksum(
    ...     {"config": {"a": 2, "b": 1}, "sql": "select 1"})
    True
    >>> schema_checksum([("id", "INTEGER")]) == schema_checksum([("ID", "integer")])
    True
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster_lineage.core.hashing import stable_hash
from dagster_lineage.core.model import ColumnInfo
from dagster_lineage.errors import IntegrationError
from dagster_lineage.sql.data_types import type_key

CHECKSUM_VERSION = 1
"""Bumped when the way checksums are computed changes (it is part of every hashed text)."""

ColumnLike = ColumnInfo | tuple[str, str | None] | Mapping[str, Any]
"""A column as :class:`ColumnInfo`, ``(name, type)`` or ``{"name": ..., "type"/"data_type": ...}``."""


def _normalize_text(data: bytes) -> bytes:
    # Line endings must not differ between machines (git autocrlf on Windows).
    return data.replace(b"\r\n", b"\n")


def code_checksum(parts: Any) -> str:
    """Checksum of an asset's code given as plain data (SQL text, config dict, file digests).

    Args:
        parts: any JSON-like value; dict order does not matter, list order does.

    Examples:
        >>> code_checksum({"sql": "select 1"}) == code_checksum({"sql": "select 1"})
        True
        >>> code_checksum({"sql": "select 1"}) == code_checksum({"sql": "select 2"})
        False
    """
    return stable_hash({"kind": "code", "v": CHECKSUM_VERSION, "parts": parts})


def file_digest(path: str | os.PathLike[str]) -> str:
    """sha256 of a file's bytes (CRLF read as LF).

    Examples:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.sql"
        >>> _ = p.write_text("select 1")
        >>> file_digest(p) == hashlib.sha256(b"select 1").hexdigest()
        True
    """
    return hashlib.sha256(_normalize_text(Path(path).read_bytes())).hexdigest()


def match_files(base_path: str | os.PathLike[str], patterns: Sequence[str]) -> list[str]:
    """Files under ``base_path`` matching any glob pattern, as sorted POSIX paths relative to it.

    ``**`` matches any number of folders. Raises :class:`IntegrationError` when ``base_path`` is not a
    folder.

    Examples:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "b.json").write_text("{}"); _ = (d / "a.csv").write_text("x")
        >>> match_files(d, ["*.json", "*.csv"])
        ['a.csv', 'b.json']
    """
    base = Path(base_path)
    if not base.is_dir():
        raise IntegrationError(
            str(base_path),
            "the base path of the file set is not a folder",
            fix="Pass an existing folder as base_path (relative paths are resolved from the "
            "current folder).",
        )
    found: set[str] = set()
    for pattern in patterns:
        for hit in glob.glob(pattern, root_dir=str(base), recursive=True):
            if (base / hit).is_file():
                found.add(Path(hit).as_posix())
    return sorted(found)


@dataclass(frozen=True)
class FileSetDigest:
    """The files of a declared file set and their digests (relative paths only).

    Examples:
        >>> FileSetDigest((("a.sql", "00"),)).checksum == FileSetDigest((("a.sql", "00"),)).checksum
        True
    """

    files: tuple[tuple[str, str], ...]

    @property
    def paths(self) -> tuple[str, ...]:
        """The relative paths, sorted."""
        return tuple(p for p, _ in self.files)

    @property
    def checksum(self) -> str:
        """The code checksum over the relative paths and contents."""
        return code_checksum({"files": [[p, d] for p, d in sorted(self.files)]})


def file_set_digest(
    base_path: str | os.PathLike[str],
    patterns: Sequence[str] = (),
    *,
    files: Iterable[str | os.PathLike[str]] = (),
) -> FileSetDigest:
    """Digest the files matching ``patterns`` under ``base_path`` plus explicitly listed ``files``.

    Paths are recorded relative to ``base_path`` (POSIX style) so the checksum does not depend on
    where the project is checked out. Explicit files outside ``base_path`` are recorded by name only.

    Examples:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "load.yaml").write_text("a: 1")
        >>> file_set_digest(d, ["*.yaml"]).paths
        ('load.yaml',)
    """
    base = Path(base_path).resolve()
    entries: dict[str, str] = {p: file_digest(base / p) for p in match_files(base, patterns)}
    for f in files:
        p = Path(f)
        full = p if p.is_absolute() else base / p
        full = full.resolve()
        if not full.is_file():
            raise IntegrationError(
                str(f), "the file is not there", fix="List only existing files in the file set."
            )
        try:
            rel = full.relative_to(base).as_posix()
        except ValueError:
            rel = full.name
        entries[rel] = file_digest(full)
    return FileSetDigest(tuple(sorted(entries.items())))


def file_set_checksum(
    base_path: str | os.PathLike[str],
    patterns: Sequence[str] = (),
    *,
    files: Iterable[str | os.PathLike[str]] = (),
) -> str:
    """Code checksum of a declared file set (see :func:`file_set_digest`).

    Examples:
        >>> import tempfile, pathlib
        >>> d1, d2 = pathlib.Path(tempfile.mkdtemp()), pathlib.Path(tempfile.mkdtemp())
        >>> for d in (d1, d2):
        ...     _ = (d / "c.json").write_text('{"a": 1}')
        >>> file_set_checksum(d1, ["*.json"]) == file_set_checksum(d2, ["*.json"])
        True
    """
    return file_set_digest(base_path, patterns, files=files).checksum


def _column_pair(col: ColumnLike) -> tuple[str, str | None]:
    if isinstance(col, ColumnInfo):
        return col.name, col.data_type
    if isinstance(col, Mapping):
        return str(col["name"]), col.get("type", col.get("data_type"))
    name, data_type = col
    return str(name), data_type


def normalize_schema(columns: Iterable[ColumnLike]) -> dict[str, str | None]:
    """Columns as ``{lower-case name: normalized type}`` (order-independent).

    Examples:
        >>> normalize_schema([("ID", "INTEGER"), ColumnInfo("Name", "VARCHAR")])
        {'id': 'integer', 'name': 'varchar'}
    """
    out: dict[str, str | None] = {}
    for col in columns:
        name, data_type = _column_pair(col)
        out[name.lower()] = type_key(data_type)
    return dict(sorted(out.items()))


def schema_checksum(columns: Iterable[ColumnLike]) -> str:
    """Checksum of column names and types, independent of column order and case.

    Examples:
        >>> schema_checksum([("a", "int"), ("b", "text")]) == schema_checksum([("b", "text"), ("a", "int")])
        True
        >>> schema_checksum([("a", "int")]) == schema_checksum([("a", "bigint")])
        False
    """
    return stable_hash(
        {"kind": "schema", "v": CHECKSUM_VERSION, "columns": normalize_schema(columns)}
    )


def data_checksum(row_count: int, content_hash: str | None) -> str:
    """Checksum of a table's data from its row count and order-independent content hash.

    Examples:
        >>> data_checksum(3, "abc") == data_checksum(3, "abc"), data_checksum(3, "abc") == data_checksum(4, "abc")
        (True, False)
    """
    return stable_hash(
        {"kind": "data", "v": CHECKSUM_VERSION, "rows": int(row_count), "content": content_hash}
    )


@dataclass(frozen=True)
class ParentState:
    """What a child saw of one parent when it materialized: the parent's checksums.

    Examples:
        >>> ParentState(code="c", schema="s", data=None).to_dict()
        {'code': 'c', 'schema': 's', 'data': None, 'upstream': None}
    """

    code: str | None = None
    schema: str | None = None
    data: str | None = None
    upstream: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """JSON-ready form (stable key order)."""
        return {
            "code": self.code,
            "schema": self.schema,
            "data": self.data,
            "upstream": self.upstream,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParentState:
        """Inverse of :meth:`to_dict` (missing entries are ``None``)."""
        return cls(
            code=data.get("code"),
            schema=data.get("schema"),
            data=data.get("data"),
            upstream=data.get("upstream"),
        )


def upstream_checksum(parents: Mapping[str, ParentState | None]) -> str:
    """Fold the parents' checksums (keyed by asset key string) into one checksum.

    A parent never materialized counts as ``None``. Order of the mapping does not matter.

    Examples:
        >>> a = {"x": ParentState(code="1"), "y": None}
        >>> b = {"y": None, "x": ParentState(code="1")}
        >>> upstream_checksum(a) == upstream_checksum(b)
        True
        >>> upstream_checksum(a) == upstream_checksum({"x": ParentState(code="2"), "y": None})
        False
    """
    return stable_hash(
        {
            "kind": "upstream",
            "v": CHECKSUM_VERSION,
            "parents": {k: (v.to_dict() if v else None) for k, v in sorted(parents.items())},
        }
    )


# --- code fingerprints: normalised code, schemes, unknowns -------------------------------------

FINGERPRINT_SCHEMES: Mapping[str, str] = {
    "dbt_model": "dbt/2",
    "dbt_seed": "dbt/2",
    "dbt_snapshot": "dbt/2",
    "dbt_source": "dbt/2",
    "dag": "airflow/2",
    "spark_job": "spark/2",
}
"""The code fingerprint scheme of each asset type (``AssetType`` value) whose fingerprint this
library computes. Recorded next to every code checksum (``dagster_lineage/code_scheme``), so a
comparison across schemes (after an upgrade) is reported once as *fingerprint scheme changed*
instead of as a code change of every asset. A materialization recorded without a scheme has
scheme ``1`` (the checksums before normalised fingerprints)."""

LEGACY_SCHEME = "1"
"""The scheme of a materialization recorded before schemes were recorded."""

UNKNOWN_PREFIX = "unknown:"
"""Prefix of a code checksum that could not be computed the usual way (compile failed, no compiled
code). Such a checksum is never compared with a normal one: ``changed`` reports ``unknown``."""


def code_scheme_for(asset_type: str | None) -> str | None:
    """The fingerprint scheme of an asset type (``None``: a checksum the user supplies).

    Examples:
        >>> code_scheme_for("dbt_model"), code_scheme_for("asset")
        ('dbt/2', None)
    """
    return FINGERPRINT_SCHEMES.get(str(asset_type)) if asset_type is not None else None


def unknown_checksum(reason: str) -> str:
    """The code checksum of an asset whose fingerprint could not be computed, with the reason.

    Examples:
        >>> unknown_checksum("no compiled SQL")
        'unknown:no compiled SQL'
        >>> is_unknown_checksum(unknown_checksum("x")), is_unknown_checksum("ab" * 32)
        (True, False)
    """
    return UNKNOWN_PREFIX + " ".join(reason.split())


def is_unknown_checksum(checksum: str | None) -> bool:
    """Whether ``checksum`` is an :func:`unknown_checksum`.

    Examples:
        >>> is_unknown_checksum(None)
        False
    """
    return checksum is not None and checksum.startswith(UNKNOWN_PREFIX)


def unknown_reason(checksum: str) -> str:
    """The reason carried by an :func:`unknown_checksum`.

    Examples:
        >>> unknown_reason(unknown_checksum("compile failed"))
        'compile failed'
    """
    return checksum[len(UNKNOWN_PREFIX) :] if is_unknown_checksum(checksum) else ""


@dataclass(frozen=True)
class NormalisedCode:
    r"""Code in its canonical form: what the fingerprint hashes (and what ``--explain`` diffs).

    Attributes:
        text: the canonical text (comments and formatting gone, literals and operators kept).
        method: how it was normalised: ``sqlglot`` (parsed and generated), ``tokens`` (sqlglot's
            tokenizer: it did not parse), ``ast`` (Python), or ``exact`` (the text as written,
            because it could not be tokenised or parsed; then ``note`` says why).
        note: why the exact text was used (``None`` when normalised).

    Examples:
        >>> normalise_sql("select a  /100 -- why\n from t").text
        'SELECT\n  a / 100\nFROM t'
    """

    text: str
    method: str
    note: str | None = None

    @property
    def digest(self) -> str:
        """sha256 of the canonical text."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def _is_absolute(text: str) -> bool:
    from pathlib import PurePosixPath, PureWindowsPath

    return PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute()


def relative_to_root(text: str, root: str | None) -> str | None:
    """``text`` as a project-relative path when it is an absolute path under ``root``, else ``None``.

    Examples:
        >>> relative_to_root("/srv/p/data/x.csv", "/srv/p"), relative_to_root("/pricing", "/srv/p")
        ('<project>/data/x.csv', None)
    """
    from pathlib import PurePosixPath

    if not root or not text or not _is_absolute(text):
        return None
    path, base = PurePosixPath(text.replace("\\", "/")), PurePosixPath(root.replace("\\", "/"))
    if path == base or path.is_relative_to(base):
        rel = path.relative_to(base).as_posix()
        return "<project>" if rel == "." else f"<project>/{rel}"
    return None


def _relocate_paths(expressions: list[Any], root: str | None) -> None:
    """Rewrite path literals in place (project-relative; a COPY destination: its file name)."""
    from pathlib import PurePosixPath

    from sqlglot import exp

    for tree in expressions:
        if tree is None:
            continue
        copy_files = {id(f) for c in tree.find_all(exp.Copy) for f in (c.args.get("files") or [])}
        for lit in list(tree.find_all(exp.Literal)):
            if not lit.is_string:
                continue
            value = str(lit.this)
            rel = relative_to_root(value, root)
            if rel is None and id(lit) in copy_files and _is_absolute(value):
                rel = "<outside>/" + PurePosixPath(value.replace("\\", "/")).name
            if rel is not None:
                lit.replace(exp.Literal.string(rel))


def normalise_sql(
    sql: str, dialect: str | None = None, *, root: str | None = None
) -> NormalisedCode:
    r"""Canonical form of SQL: parsed and generated by sqlglot (no comments, uniform layout).

    Parsed in ``dialect``, generated in sqlglot's dialect-neutral form (the same statement gives
    the same text whichever dialect it was read with). Literals, operators and identifiers stay
    as written (``/100`` and ``/1000`` differ). String
    literals holding an absolute path under ``root`` (the project folder) become project-relative;
    an absolute ``COPY ... TO`` destination elsewhere is reduced to its file name. SQL that does
    not parse is normalised through sqlglot's tokenizer (comments and whitespace still go); text
    that cannot even be tokenised is kept exactly, and ``note`` says so.

    Examples:
        >>> normalise_sql("select 1").text == normalise_sql("SELECT   1 -- x").text
        True
        >>> normalise_sql("select x/100 from t").text == normalise_sql("select x/1000 from t").text
        False
        >>> normalise_sql("COPY t TO '/home/me/out.parquet'", "duckdb").text
        "COPY INTO t\nTO '<outside>/out.parquet'"
    """
    import sqlglot
    from sqlglot.errors import ErrorLevel, ParseError, TokenError

    try:
        trees = sqlglot.parse(sql, read=dialect, error_level=ErrorLevel.RAISE)
        _relocate_paths(trees, root)
        text = ";\n".join(
            # copy=False: the trees are discarded after this (sqlglot copies them otherwise)
            t.sql(pretty=True, comments=False, unsupported_level=ErrorLevel.IGNORE, copy=False)
            for t in trees
            if t is not None
        )
        return NormalisedCode(text, "sqlglot")
    except (ParseError, TokenError, ValueError, RecursionError):
        pass
    except Exception:  # noqa: BLE001 - sqlglot raises various errors on unsupported syntax
        pass
    tokens = sql_tokens(sql, dialect)
    if tokens is not None:
        return NormalisedCode(" ".join(tokens), "tokens")
    return NormalisedCode(
        _normalize_text(sql.encode("utf-8")).decode("utf-8").strip(),
        "exact",
        "the SQL could not be tokenised, so its exact text is hashed (formatting counts)",
    )


def sql_tokens(sql: str, dialect: str | None = None) -> list[str] | None:
    r"""SQL as sqlglot tokens, or ``None`` when it cannot be tokenised.

    Comments and whitespace are dropped; string literals are quoted.

    Examples:
        >>> sql_tokens("select 'a' -- c\n from t")
        ['SELECT', "'a'", 'FROM', 't']
    """
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.tokens import TokenType

    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    except Exception:  # noqa: BLE001 - TokenError and friends
        return None
    out = []
    for t in tokens:
        if t.token_type == TokenType.STRING:
            out.append("'" + t.text.replace("'", "''") + "'")
        elif t.token_type in (TokenType.VAR, TokenType.IDENTIFIER, TokenType.NUMBER):
            out.append(t.text if t.token_type != TokenType.IDENTIFIER else f'"{t.text}"')
        else:
            out.append(t.text.upper())  # keywords and operators: case does not matter
    return out


def normalise_python(source: str) -> NormalisedCode:
    """Canonical form of Python: the AST without positions (comments and formatting gone).

    ``text`` is ``ast.unparse`` of the tree (readable, for diffs); the digest is over it, which is a
    function of the AST only. Source that does not parse is kept exactly, and ``note`` says so.

    Examples:
        >>> normalise_python("x = ( 1 +2 )  # c").text == normalise_python("x = 1 + 2").text
        True
        >>> normalise_python("x = 1 +").method
        'exact'
    """
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError) as e:
        return NormalisedCode(
            _normalize_text(source.encode("utf-8")).decode("utf-8"),
            "exact",
            f"the Python does not parse ({type(e).__name__}), so its exact text is hashed",
        )
    return NormalisedCode(ast.unparse(tree), "ast")


def python_file_digest(path: str | os.PathLike[str]) -> str:
    r"""Digest of a Python file's normalised code (:func:`normalise_python`).

    Comments, blank lines and formatting do not change it. A file that does not parse is digested
    exactly.

    Examples:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "a.py").write_text("x = 1  # one\n"); _ = (d / "b.py").write_text("x=1\n")
        >>> python_file_digest(d / "a.py") == python_file_digest(d / "b.py")
        True
    """
    data = _normalize_text(Path(path).read_bytes()).decode("utf-8", errors="replace")
    return normalise_python(data).digest


def pack_code_parts(parts: Mapping[str, str]) -> str:
    r"""The normalised code parts of a fingerprint, compressed into one short text entry.

    What ``changed --explain`` diffs: stored with each materialization and on each definition.

    Examples:
        >>> unpack_code_parts(pack_code_parts({"sql": "SELECT\n  1"}))
        {'sql': 'SELECT\n  1'}
    """
    import base64
    import zlib

    from dagster_lineage.core.hashing import canonical_json

    data = zlib.compress(canonical_json(dict(parts)).encode("utf-8"), 9)
    return "z1:" + base64.b64encode(data).decode("ascii")


def unpack_code_parts(text: str | None) -> dict[str, str] | None:
    """Inverse of :func:`pack_code_parts` (``None`` when absent or unreadable).

    Examples:
        >>> unpack_code_parts("garbage") is None
        True
    """
    import base64
    import binascii
    import json
    import zlib

    if not text or not text.startswith("z1:"):
        return None
    try:
        data = json.loads(zlib.decompress(base64.b64decode(text[3:])).decode("utf-8"))
    except (ValueError, zlib.error, binascii.Error):
        return None
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None


def explain_code_parts(
    before: Mapping[str, str] | None, after: Mapping[str, str] | None, *, context: int = 2
) -> list[str]:
    r"""What changed between two sets of code parts: the part names and a short diff of each.

    Examples:
        >>> lines = explain_code_parts({"sql": "SELECT\n  a\nFROM t"}, {"sql": "SELECT\n  b\nFROM t"})
        >>> lines[0], lines[-2:]
        ('changed: sql', ['+  b', ' FROM t'])
    """
    import difflib

    if before is None or after is None:
        return [
            "the normalised code of "
            + ("the last success" if before is None else "the current definition")
            + " was not recorded, so no diff can be shown"
        ]
    names = sorted(set(before) | set(after))
    changed = [n for n in names if before.get(n) != after.get(n)]
    if not changed:
        return ["no recorded code part differs (the change is in what the parts do not show)"]
    out = ["changed: " + ", ".join(changed)]
    for name in changed:
        if name not in before:
            out.append(f"added: {name}")
            continue
        if name not in after:
            out.append(f"removed: {name}")
            continue
        diff = difflib.unified_diff(
            before[name].splitlines(),
            after[name].splitlines(),
            fromfile=f"{name} (last success)",
            tofile=f"{name} (now)",
            n=context,
            lineterm="",
        )
        out.extend(list(diff)[:40])
    return out
