"""Code fingerprint of a dbt node (pure: no Dagster or dbt import; sqlglot and Jinja's lexer).

Designed like dbt's ``state:modified`` and SQLMesh's fingerprints: the fingerprint changes when what
the node computes changes, and only then.

- **Compiled basis** (the usual case): the node's compiled SQL, normalised through sqlglot (parsed
  and generated: comments and formatting disappear, literals and operators stay), plus the config
  that changes its result (materialization, contract, incremental strategy, unique key, pre/post
  hooks...). The compiled SQL already holds everything rendered into it: every macro it uses
  (transitively), the ephemeral models inlined as CTEs, the vars and env vars it reads, the
  relations it refs. A macro refactor that renders the same SQL is not a change.
- **Template basis**, for a node whose Jinja (its own or any macro it uses, transitively) reads a
  run-time value (``run_started_at``, ``invocation_id``, ``modules.datetime``...) or introspects the
  warehouse (``is_incremental()``, ``adapter.get_relation``, ``run_query``...): its compiled SQL
  changes on every compile, or with the warehouse's state, so it is not hashed. Instead: the raw
  Jinja (Jinja's lexer plus sqlglot's tokenizer: comments and whitespace go, every token stays),
  the ``macro_sql`` of every macro it depends on (manifest ``depends_on.macros``, recursively), the
  fingerprints of the ephemeral models it inlines, the relations of its parents and itself, the
  config, and the names and values of the vars and env vars it reads.
- Seeds: dbt's file checksum plus config; sources: the relation; Python models: the AST.
- **Unknown**: a SQL model or snapshot on the compiled basis without compiled SQL (``dbt compile``
  failed, or the manifest was only parsed) gets :func:`~dagster_lineage.state.checksums.
  unknown_checksum` with the reason, which ``changed`` never compares with a normal fingerprint.

No absolute path is hashed: paths under the project folder are hashed project-relative, the
absolute destination of a ``COPY ... TO`` elsewhere by its file name; other literals stay as written
(``'/pricing'`` and ``'/signup'`` differ, ``x/100`` and ``x/1000`` differ).

Examples:
    >>> from dagster_lineage.integrations.dbt.checksum import code_checksum_for_dbt_node
    >>> node = {"resource_type": "model", "compiled_code": "select 1 as x",
    ...         "config": {"materialized": "view"}}
    >>> code_checksum_for_dbt_node(node) == code_checksum_for_dbt_node(
    ...     {**node, "compiled_code": "SELECT 1 AS x -- same"})
    True
    >>> code_checksum_for_dbt_node(node) != code_checksum_for_dbt_node(
    ...     {**node, "config": {"materialized": "table"}})
    True
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from dagster_lineage.core.hashing import canonical_json
from dagster_lineage.state.checksums import (
    FINGERPRINT_SCHEMES,
    NormalisedCode,
    code_checksum,
    normalise_python,
    normalise_sql,
    pack_code_parts,
    relative_to_root,
    sql_tokens,
    unknown_checksum,
)

DBT_FINGERPRINT_SCHEME = FINGERPRINT_SCHEMES["dbt_model"]
"""The scheme of dbt fingerprints (recorded with every materialization)."""

# Config entries that describe where, who or how it is documented, not what is computed.
_IGNORED_CONFIG_KEYS = frozenset(
    {"docs", "persist_docs", "meta", "tags", "group", "access", "enabled", "description"}
)

RUNTIME_NAMES = frozenset(
    {
        "run_started_at",
        "invocation_id",
        "invocation_args_dict",
        "thread_id",
        "modules",  # modules.datetime.now(), modules.random...
        "run_query",
        "load_result",
        "is_incremental",
        "selected_resources",
    }
)
"""Jinja names whose value differs between compiles (or with the warehouse's state)."""

INTROSPECTIVE_ADAPTER_METHODS = frozenset(
    {
        "get_relation",
        "get_columns_in_relation",
        "execute",
        "get_missing_columns",
        "list_relations_without_caching",
        "list_schemas",
        "check_schema_exists",
        "load_dataframe",
    }
)
"""``adapter.<method>`` calls that read the warehouse at compile time."""

UNKNOWN_NO_COMPILED_SQL = (
    "no compiled SQL in the manifest (dbt compile failed or the project was only parsed), so "
    "the code fingerprint could not be computed; compile the project to compare"
)

_PLACEHOLDER = "__dlj{}__"


@dataclass(frozen=True)
class JinjaSql:
    r"""A Jinja-SQL template normalised, with what its Jinja reads.

    Attributes:
        code: the canonical form (SQL tokens with each Jinja construct's own tokens in place).
        names: every Jinja name it mentions.
        runtime: the run-time or warehouse-reading names it uses (see :data:`RUNTIME_NAMES`).
        vars: the var names read with a constant name; ``env_vars`` likewise.
        dynamic: a ``var``/``env_var`` read whose name is not a constant (then all vars count).

    Examples:
        >>> j = normalise_jinja_sql("select {{ var('x') }} -- c\n, '{{ run_started_at }}'")
        >>> j.code.text, j.vars, sorted(j.runtime)
        ("SELECT {{ var ( 'x' ) }} , '{{ run_started_at }}'", ('x',), ['run_started_at'])
    """

    code: NormalisedCode
    names: frozenset[str] = frozenset()
    runtime: frozenset[str] = frozenset()
    vars: tuple[str, ...] = ()
    env_vars: tuple[str, ...] = ()
    dynamic: bool = False


def jinja_env_vars(text: str) -> tuple[str, ...]:
    """The env var names a Jinja text reads with constant names (Jinja's lexer, no SQL).

    Examples:
        >>> jinja_env_vars("path: {{ env_var('DB_PATH') }}  # {{ env_var('X', 'd') }}")
        ('DB_PATH', 'X')
    """
    import jinja2

    try:
        lexed = list(jinja2.Environment().lex(text))
    except Exception:  # noqa: BLE001 - TemplateSyntaxError: dbt reports it
        return ()
    sig = [(k, v.strip()) for _, k, v in lexed if k not in ("whitespace", "data")]
    return _reads(sig)[1]


def _reads(sig: Sequence[tuple[str, str]]) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """(var names, env var names, dynamic) read in a sequence of significant Jinja tokens."""
    import ast

    var_names: set[str] = set()
    env_names: set[str] = set()
    dynamic = False
    for i, (k, v) in enumerate(sig):
        if k != "name" or v not in ("var", "env_var") or sig[i + 1 : i + 2] != [("operator", "(")]:
            continue
        arg = sig[i + 2] if i + 2 < len(sig) else None
        if arg is None or arg[0] != "string":
            dynamic = True
            continue
        try:
            name = str(ast.literal_eval(arg[1]))
        except (ValueError, SyntaxError):
            dynamic = True
            continue
        (var_names if v == "var" else env_names).add(name)
    return tuple(sorted(var_names)), tuple(sorted(env_names)), dynamic


def normalise_jinja_sql(template: str, dialect: str | None = None) -> JinjaSql:
    r"""Normalise a Jinja-SQL template through Jinja's lexer and sqlglot's tokenizer.

    SQL comments, Jinja comments and whitespace disappear; every SQL token and every Jinja token
    stays (so a changed literal, operator, macro argument or var name changes the result). A
    template the lexers cannot read is kept exactly (``code.method == "exact"``, with a note).

    Examples:
        >>> a = normalise_jinja_sql("select {{ ref('a') }}.x {# c #}\n  from t")
        >>> b = normalise_jinja_sql("SELECT {{ref('a')}}.x FROM t -- other")
        >>> a.code.text == b.code.text, a.code.method
        (True, 'tokens')
    """
    import jinja2

    try:
        lexed = list(jinja2.Environment().lex(template))
    except Exception as e:  # noqa: BLE001 - TemplateSyntaxError and friends
        return JinjaSql(
            NormalisedCode(
                template.replace("\r\n", "\n").strip(),
                "exact",
                f"the Jinja could not be lexed ({type(e).__name__}), so its exact text is hashed",
            )
        )
    sql_parts: list[str] = []
    constructs: list[str] = []
    names: set[str] = set()
    runtime: set[str] = set()
    significant: list[tuple[str, str]] = []
    current: list[tuple[str, str]] | None = None
    for _line, kind, value in lexed:
        if kind == "data":
            sql_parts.append(value)
            continue
        if kind in ("comment_begin", "comment", "comment_end", "whitespace"):
            continue
        if kind.endswith("_begin"):
            current = [(kind, value.strip())]
            continue
        if current is None:
            current = []
        current.append((kind, value.strip()))
        if kind.endswith("_end"):
            sig = current
            current = None
            sql_parts.append(_PLACEHOLDER.format(len(constructs)))
            constructs.append(" ".join(v for _, v in sig))
            significant.extend(sig)
            for i, (k, v) in enumerate(sig):
                if k != "name":
                    continue
                names.add(v)
                if v in RUNTIME_NAMES:
                    runtime.add(v)
                nxt = sig[i + 1 : i + 4]
                if (
                    v == "adapter"
                    and len(nxt) >= 2
                    and nxt[0] == ("operator", ".")
                    and nxt[1][0] == "name"
                    and nxt[1][1] in INTROSPECTIVE_ADAPTER_METHODS
                ):
                    runtime.add(f"adapter.{nxt[1][1]}")
    var_names, env_names, dynamic = _reads(significant)
    sql_text = "".join(sql_parts)
    tokens = sql_tokens(sql_text, dialect)
    if tokens is None:
        code = NormalisedCode(
            template.replace("\r\n", "\n").strip(),
            "exact",
            "the SQL around the Jinja could not be tokenised, so its exact text is hashed",
        )
    else:
        rendered = []
        for tok in tokens:
            if "__dlj" in tok:
                for n in range(len(constructs)):
                    tok = tok.replace(_PLACEHOLDER.format(n), constructs[n])
            rendered.append(tok)
        code = NormalisedCode(" ".join(rendered), "tokens")
    return JinjaSql(code, frozenset(names), frozenset(runtime), var_names, env_names, dynamic)


def _jinja_to_json(j: JinjaSql) -> str:
    return canonical_json(
        {
            "text": j.code.text,
            "method": j.code.method,
            "note": j.code.note,
            "names": sorted(j.names),
            "runtime": sorted(j.runtime),
            "vars": list(j.vars),
            "env_vars": list(j.env_vars),
            "dynamic": j.dynamic,
        }
    )


def _jinja_from_json(text: str) -> JinjaSql:
    import json

    d = json.loads(text)
    return JinjaSql(
        NormalisedCode(str(d["text"]), str(d["method"]), d["note"]),
        frozenset(d["names"]),
        frozenset(d["runtime"]),
        tuple(d["vars"]),
        tuple(d["env_vars"]),
        bool(d["dynamic"]),
    )


def _normalise_value(value: Any, root: str | None, dialect: str | None) -> Any:
    if isinstance(value, str):
        rel = relative_to_root(value, root)
        return rel if rel is not None else value
    if isinstance(value, Mapping):
        return {str(k): _normalise_value(v, root, dialect) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise_value(v, root, dialect) for v in value]
    return value


def _normalise_hook(hook: Any, root: str | None, dialect: str | None) -> Any:
    sql = hook.get("sql") if isinstance(hook, Mapping) else hook
    if not isinstance(sql, str):
        return _normalise_value(hook, root, dialect)
    jinja = normalise_jinja_sql(sql, dialect)
    text = (
        normalise_sql(sql, dialect, root=root).text
        if not jinja.names and "{" not in sql
        else jinja.code.text
    )
    out: dict[str, Any] = {"sql": text}
    if isinstance(hook, Mapping) and "transaction" in hook:
        out["transaction"] = hook["transaction"]
    return out


def normalised_dbt_config(
    config: Mapping[str, Any] | None, *, root: str | None = None, dialect: str | None = None
) -> dict[str, Any]:
    r"""A node's config reduced to what changes its result (hooks normalised, paths relative).

    Examples:
        >>> normalised_dbt_config({"materialized": "table", "tags": ["x"], "meta": {"a": 1}})
        {'materialized': 'table'}
        >>> normalised_dbt_config({"post-hook": [{"sql": "select  1 -- c", "index": 0}]})
        {'post-hook': [{'sql': 'SELECT\n  1'}]}
    """
    out: dict[str, Any] = {}
    for k, v in sorted((config or {}).items()):
        if k in _IGNORED_CONFIG_KEYS or v in (None, [], {}, ""):
            continue
        if k in ("pre-hook", "post-hook", "pre_hook", "post_hook"):
            hooks = v if isinstance(v, list) else [v]
            out[k] = [_normalise_hook(h, root, dialect) for h in hooks]
        else:
            out[k] = _normalise_value(v, root, dialect)
    return out


class SqlMemo(Protocol):
    """Where :class:`DbtFingerprinter` keeps normalised-SQL digests (the lineage cache does)."""

    def get_fingerprint(self, key: str) -> tuple[str, str | None, str | None] | None:
        """(digest, note, canonical text) stored under ``key``, or ``None``."""

    def put_fingerprint(self, key: str, value: tuple[str, str | None, str | None]) -> None:
        """Store (digest, note, canonical text) under ``key``."""


@dataclass(frozen=True)
class DbtFingerprint:
    """The code fingerprint of one dbt node and what it was computed from.

    Attributes:
        checksum: the fingerprint (a 64-hex digest, or an ``unknown:`` checksum with the reason);
            dbt's ``code_version`` of the asset is this value.
        scheme: the fingerprint scheme (:data:`DBT_FINGERPRINT_SCHEME`).
        basis: ``compiled``, ``template``, ``seed``, ``source``, ``python`` or ``unknown``.
        parts: each hashed part by name (``sql``, ``template``, ``macro:<id>``, ``ephemeral:<id>``,
            ``config``, ``vars``...) in its canonical text, for ``changed --explain`` (``sql`` is
            absent when its digest came from the memo).
        notes: what the reader should know (parts hashed exactly because they did not parse,
            run-time values that moved the node to the template basis).

    Examples:
        >>> fp = dbt_fingerprint({"resource_type": "model", "compiled_code": "select 1"})
        >>> fp.basis, sorted(fp.parts)
        ('compiled', ['config', 'relation', 'sql'])
    """

    checksum: str
    scheme: str = DBT_FINGERPRINT_SCHEME
    basis: str = "compiled"
    parts: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_unknown(self) -> bool:
        """Whether it could not be computed the usual way."""
        return self.basis == "unknown"

    @property
    def explain_parts(self) -> dict[str, str]:
        """What ``changed --explain`` diffs: the hashed parts plus where they come from.

        ``sources`` (not hashed) names the model file with its normalised Jinja and the digest of
        every macro it uses, so a compiled-basis change can be traced to the file or macro.

        Examples:
            >>> fp = dbt_fingerprint({"resource_type": "model", "compiled_code": "select 1"})
            >>> sorted(fp.explain_parts)
            ['config', 'file:None', 'relation', 'sql']
        """
        return {**self.sources, **self.parts}

    @functools.cached_property
    def packed_explain_parts(self) -> str:
        """:attr:`explain_parts` packed by ``pack_code_parts`` (computed once, kept when pickled).

        Examples:
            >>> from dagster_lineage.state.checksums import unpack_code_parts
            >>> fp = dbt_fingerprint({"resource_type": "model", "compiled_code": "select 1"})
            >>> unpack_code_parts(fp.packed_explain_parts) == fp.explain_parts
            True
        """
        return pack_code_parts(self.explain_parts)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class DbtFingerprinter:
    """Fingerprints of the nodes of one manifest (macros and ephemeral models resolved once).

    Args:
        manifest: the parsed manifest (``None``: the node alone; macros then cannot be followed).
        root: the project folder (absolute paths under it are hashed project-relative).
        vars: the vars dbt was given (``--vars``), over the project's own (read by the caller).
        env: the environment the env vars are read from (default ``os.environ``).
        sql_memo: where normalised compiled SQL digests are kept between loads (the lineage
            cache), so a warm load parses no SQL; parts then carry only the digest.

    Examples:
        >>> f = DbtFingerprinter({"nodes": {}, "macros": {}})
        >>> f.fingerprint({"resource_type": "seed", "checksum": {"checksum": "ab"}}).basis
        'seed'
    """

    def __init__(
        self,
        manifest: Mapping[str, Any] | None = None,
        *,
        root: str | os.PathLike[str] | None = None,
        vars: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        sql_memo: SqlMemo | None = None,
    ) -> None:
        self.manifest = manifest or {}
        self.sql_memo = sql_memo
        self.root = os.fspath(root) if root is not None else None
        self.vars = dict(vars or {})
        self.env = env if env is not None else os.environ
        meta = self.manifest.get("metadata") or {}
        self.dialect = meta.get("adapter_type") if isinstance(meta, Mapping) else None
        self._macro_memo: dict[str, JinjaSql] = {}
        self._jinja_memo: dict[str, JinjaSql] = {}
        self._fp_memo: dict[str, DbtFingerprint] = {}

    def _jinja(self, template: str) -> JinjaSql:
        """:func:`normalise_jinja_sql` of ``template``, memoised here and in ``sql_memo``."""
        memo_key = _digest(
            canonical_json(["jinja", DBT_FINGERPRINT_SCHEME, self.dialect, template])
        )
        found = self._jinja_memo.get(memo_key)
        if found is not None:
            return found
        if self.sql_memo is not None:
            hit = self.sql_memo.get_fingerprint(memo_key)
            if hit is not None and hit[2] is not None:
                try:
                    found = _jinja_from_json(hit[2])
                except (ValueError, KeyError, TypeError):
                    found = None
        if found is None:
            found = normalise_jinja_sql(template, self.dialect)
            if self.sql_memo is not None:
                self.sql_memo.put_fingerprint(
                    memo_key, (found.code.digest, found.code.note, _jinja_to_json(found))
                )
        self._jinja_memo[memo_key] = found
        return found

    def _macro(self, uid: str) -> JinjaSql | None:
        if uid not in self._macro_memo:
            macro = (self.manifest.get("macros") or {}).get(uid)
            if macro is None:
                return None
            self._macro_memo[uid] = self._jinja(str(macro.get("macro_sql") or ""))
        return self._macro_memo[uid]

    def macro_closure(self, node: Mapping[str, Any]) -> list[str]:
        """The unique_ids of every macro ``node`` uses, transitively, sorted.

        Examples:
            >>> m = {"macros": {"macro.p.a": {"depends_on": {"macros": ["macro.p.b"]}},
            ...                 "macro.p.b": {"depends_on": {"macros": []}}}}
            >>> DbtFingerprinter(m).macro_closure({"depends_on": {"macros": ["macro.p.a"]}})
            ['macro.p.a', 'macro.p.b']
        """
        macros = self.manifest.get("macros") or {}
        seen: set[str] = set()
        todo = list((node.get("depends_on") or {}).get("macros") or [])
        while todo:
            uid = todo.pop()
            if uid in seen:
                continue
            seen.add(uid)
            todo.extend(((macros.get(uid) or {}).get("depends_on") or {}).get("macros") or [])
        return sorted(seen)

    def _ephemeral_parents(self, node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        nodes = self.manifest.get("nodes") or {}
        out = []
        for uid in (node.get("depends_on") or {}).get("nodes") or []:
            parent = nodes.get(uid)
            if parent is not None and (parent.get("config") or {}).get("materialized") == (
                "ephemeral"
            ):
                out.append(parent)
        return out

    def uses_runtime_values(self, node: Mapping[str, Any]) -> list[str]:
        """The run-time names its Jinja (or a macro it uses, or an inlined ephemeral) reads.

        Examples:
            >>> DbtFingerprinter().uses_runtime_values({"raw_code": "select '{{ invocation_id }}'"})
            ['invocation_id']
        """
        found = set(self._jinja(str(node.get("raw_code") or "")).runtime)
        for uid in self.macro_closure(node):
            macro = self._macro(uid)
            if macro is not None:
                found |= {f"{r} (in {uid})" for r in macro.runtime}
        for parent in self._ephemeral_parents(node):
            found |= {
                f"{r} (via {parent.get('unique_id')})" for r in self.uses_runtime_values(parent)
            }
        return sorted(found)

    def fingerprint(self, node: Mapping[str, Any]) -> DbtFingerprint:
        """The fingerprint of one manifest node (memoised per unique_id)."""
        uid = str(node.get("unique_id") or "")
        memo = self._fp_memo.get(uid) if uid else None
        if memo is not None:
            return memo
        fp = self._compute(node)
        if uid:
            self._fp_memo[uid] = fp
        return fp

    def _config(self, node: Mapping[str, Any]) -> str:
        return canonical_json(
            normalised_dbt_config(node.get("config"), root=self.root, dialect=self.dialect)
        )

    def _finish(
        self,
        node: Mapping[str, Any],
        basis: str,
        parts: dict[str, str],
        notes: list[str],
        digests: Mapping[str, str] | None = None,
        sources: Mapping[str, str] | None = None,
    ) -> DbtFingerprint:
        hashed = {k: _digest(v) for k, v in parts.items()}
        hashed.update(digests or {})
        checksum = code_checksum(
            {
                "scheme": DBT_FINGERPRINT_SCHEME,
                "resource_type": node.get("resource_type"),
                "basis": basis,
                "parts": dict(sorted(hashed.items())),
            }
        )
        return DbtFingerprint(
            checksum, DBT_FINGERPRINT_SCHEME, basis, parts, tuple(notes), dict(sources or {})
        )

    def _normalised_sql_digest(self, sql: str) -> tuple[str, str | None, str | None]:
        """(digest, canonical text or None when memoised, note) of compiled SQL."""
        memo_key = None
        if self.sql_memo is not None:
            memo_key = _digest(
                canonical_json([DBT_FINGERPRINT_SCHEME, self.dialect, self.root, sql])
            )
            hit = self.sql_memo.get_fingerprint(memo_key)
            if hit is not None:
                return hit[0], hit[2], hit[1]
        code = normalise_sql(sql, self.dialect, root=self.root)
        if memo_key is not None and self.sql_memo is not None:
            self.sql_memo.put_fingerprint(memo_key, (code.digest, code.note, code.text))
        return code.digest, code.text, code.note

    def _compute(self, node: Mapping[str, Any]) -> DbtFingerprint:
        rtype = node.get("resource_type")
        parts: dict[str, str] = {"config": self._config(node)}
        notes: list[str] = []
        if rtype == "seed":
            parts["file"] = str((node.get("checksum") or {}).get("checksum"))
            return self._finish(node, "seed", parts, notes)
        if rtype == "source":
            parts["relation"] = str(node.get("relation_name") or node.get("identifier") or "")
            return self._finish(node, "source", parts, notes)
        if node.get("language", "sql") == "python":
            code = normalise_python(str(node.get("raw_code") or ""))
            parts["python"] = code.text
            if code.note:
                notes.append(code.note)
            return self._finish(node, "python", parts, notes)
        runtime = self.uses_runtime_values(node)
        if runtime:
            return self._template(node, parts, runtime)
        compiled = node.get("compiled_code")
        if not compiled:
            if rtype in ("model", "snapshot"):
                return DbtFingerprint(
                    unknown_checksum(UNKNOWN_NO_COMPILED_SQL),
                    DBT_FINGERPRINT_SCHEME,
                    "unknown",
                    {},
                    (UNKNOWN_NO_COMPILED_SQL,),
                )
            compiled = node.get("raw_code") or ""
        digest, text, note = self._normalised_sql_digest(str(compiled))
        if text is not None:
            parts["sql"] = text
        if note:
            notes.append(note)
        parts["relation"] = str(node.get("relation_name") or "")
        return self._finish(node, "compiled", parts, notes, {"sql": digest}, self._sources(node))

    def _sources(self, node: Mapping[str, Any]) -> dict[str, str]:
        """The model file's normalised Jinja and its macros' digests (for explanations)."""
        out = {
            f"file:{node.get('original_file_path') or node.get('unique_id')}": self._jinja(
                str(node.get("raw_code") or "")
            ).code.text
        }
        for uid in self.macro_closure(node):
            macro = self._macro(uid)
            out[f"macro:{uid}"] = "sha256 " + (_digest(macro.code.text)[:16] if macro else "?")
        return out

    def _template(
        self, node: Mapping[str, Any], parts: dict[str, str], runtime: Sequence[str]
    ) -> DbtFingerprint:
        notes = [
            "reads run-time values ("
            + ", ".join(runtime)
            + "): fingerprinted from its Jinja, macros and config, not its compiled SQL"
        ]
        own = self._jinja(str(node.get("raw_code") or ""))
        parts["template"] = own.code.text
        if own.code.note:
            notes.append(own.code.note)
        var_names, env_names, dynamic = set(own.vars), set(own.env_vars), own.dynamic
        for uid in self.macro_closure(node):
            macro = self._macro(uid)
            if macro is None:
                parts[f"macro:{uid}"] = "(not in the manifest)"
                continue
            parts[f"macro:{uid}"] = macro.code.text
            var_names |= set(macro.vars)
            env_names |= set(macro.env_vars)
            dynamic = dynamic or macro.dynamic
        for parent in self._ephemeral_parents(node):
            parts[f"ephemeral:{parent.get('unique_id')}"] = self.fingerprint(parent).checksum
        nodes = self.manifest.get("nodes") or {}
        sources = self.manifest.get("sources") or {}
        relations = sorted(
            str((nodes.get(p) or sources.get(p) or {}).get("relation_name") or p)
            for p in (node.get("depends_on") or {}).get("nodes") or []
        )
        parts["relations"] = canonical_json(
            {"self": node.get("relation_name"), "parents": relations}
        )
        if dynamic:
            var_names |= set(self.vars)
            notes.append("reads a var or env var by a computed name: all given vars count")
        parts["vars"] = canonical_json(
            {
                "vars": {n: self.vars.get(n) for n in sorted(var_names)},
                "env": {
                    n: (
                        "(secret)"
                        if n.startswith("DBT_ENV_SECRET")
                        else _normalise_value(self.env.get(n), self.root, self.dialect)
                    )
                    for n in sorted(env_names)
                },
            }
        )
        return self._finish(node, "template", parts, notes)


def dbt_fingerprint(
    node: Mapping[str, Any], manifest: Mapping[str, Any] | None = None, **kwargs: Any
) -> DbtFingerprint:
    """The fingerprint of one node (see :class:`DbtFingerprinter` for ``kwargs``).

    Examples:
        >>> dbt_fingerprint({"resource_type": "model"}).is_unknown
        True
    """
    return DbtFingerprinter(manifest, **kwargs).fingerprint(node)


def code_checksum_for_dbt_node(
    node: Mapping[str, Any], manifest: Mapping[str, Any] | None = None
) -> str:
    """The code fingerprint checksum of a dbt manifest node (see the module docstring).

    Args:
        node: one entry of ``manifest["nodes"]`` or ``manifest["sources"]`` (a dict).
        manifest: the whole manifest, to follow macros and ephemeral models.

    Returns:
        A 64-character hex digest, the same on any machine for the same code and config, or an
        ``unknown:`` checksum when there is no compiled SQL to fingerprint.

    Examples:
        >>> a = {"resource_type": "model", "compiled_code": "select 1",
        ...      "config": {"post-hook": [{"sql": "copy t to '/a/x.csv'"}]}}
        >>> b = {**a, "config": {"post-hook": [{"sql": "copy t to '/b/x.csv'"}]}}
        >>> code_checksum_for_dbt_node(a) == code_checksum_for_dbt_node(b)
        True
    """
    return dbt_fingerprint(node, manifest).checksum
