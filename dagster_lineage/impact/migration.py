"""Turn a migration's SQL into proposed changes, per table (parsed with sqlglot in a dialect).

Recognised statements: ``ALTER TABLE t RENAME COLUMN a TO b``, ``ALTER TABLE t DROP COLUMN c``,
``ALTER TABLE t ALTER COLUMN c [SET DATA] TYPE x``, ``ALTER TABLE t ADD [COLUMN] c x``,
``ALTER TABLE t RENAME TO u``, ``DROP TABLE t``, ``DROP [MATERIALIZED] VIEW v``, PostgreSQL's
``ALTER TABLE t RENAME a TO b`` (``COLUMN`` omitted) and MySQL's ``CHANGE COLUMN a b x`` /
``MODIFY COLUMN c x``; several actions in one ``ALTER TABLE`` are all read. Statements that do not
change a table's columns (``CREATE INDEX``, ``INSERT``, ``UPDATE``, constraints, defaults, comments)
are listed in :attr:`Migration.ignored`. An ``ALTER`` or ``DROP`` that sqlglot cannot understand is
an error (skipping it could hide a breaking change).

Table names are normalised: unquoted, lower-cased, qualified parts joined by ``.``
(``main.raw_orders``). :meth:`Migration.changes_for` matches an asset key to them.

Examples:
    >>> m = parse_migration("ALTER TABLE main.raw_orders RENAME COLUMN order_total TO total_amount;"
    ...                     "ALTER TABLE main.raw_orders DROP COLUMN legacy_discount_code;", dialect="duckdb")
    >>> [c.describe() for c in m.changes_for(("raw_orders",))]
    ['rename column order_total -> total_amount', 'drop column legacy_discount_code']
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from dagster_lineage.core.model import AssetKeyPath, key_to_str
from dagster_lineage.errors import ChangeSpecError, SqlParseError
from dagster_lineage.impact.schema_changes import (
    ColumnAdded,
    ColumnDropped,
    ColumnRenamed,
    ColumnTypeChanged,
    SchemaChange,
    TableDropped,
    TableRenamed,
)


@dataclass(frozen=True)
class Migration:
    """The schema changes of a migration: ``(normalised table name, change)`` in statement order.

    Examples:
        >>> m = Migration((("main.t", TableDropped()),))
        >>> m.tables, m.changes_for("t")
        (('main.t',), (TableDropped(),))
    """

    entries: tuple[tuple[str, SchemaChange], ...] = ()
    ignored: tuple[str, ...] = ()
    source: str | None = None

    @property
    def tables(self) -> tuple[str, ...]:
        """Tables the migration changes, in first-seen order."""
        return tuple(dict.fromkeys(t for t, _ in self.entries))

    @property
    def changes(self) -> dict[str, tuple[SchemaChange, ...]]:
        """Changes by table, in statement order."""
        out: dict[str, list[SchemaChange]] = {}
        for t, c in self.entries:
            out.setdefault(t, []).append(c)
        return {t: tuple(cs) for t, cs in out.items()}

    def tables_for(self, asset: str | AssetKeyPath) -> tuple[str, ...]:
        """Migration tables naming ``asset``: one name's parts end with the other's.

        ``raw_orders`` and ``main.raw_orders`` both name asset ``raw_orders`` (or ``main/raw_orders``).

        Examples:
            >>> m = Migration((("main.orders", TableDropped()), ("orders", TableDropped())))
            >>> m.tables_for(("orders",))
            ('main.orders', 'orders')
        """
        parts = (
            tuple(p.lower() for p in asset)
            if isinstance(asset, tuple)
            else tuple(p.lower() for p in asset.replace("/", ".").split(".") if p)
        )

        def same(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
            n = min(len(a), len(b))
            return a[-n:] == b[-n:]

        return tuple(t for t in self.tables if same(tuple(t.split(".")), parts))

    def changes_for(self, asset: str | AssetKeyPath) -> tuple[SchemaChange, ...]:
        """Changes to the table(s) naming ``asset``.

        Raises :class:`ChangeSpecError` when no table (or an ambiguous set, e.g. ``a.orders`` and
        ``b.orders``) names it.
        """
        name = asset if isinstance(asset, str) else key_to_str(asset)
        where = f" in {self.source}" if self.source else ""
        tables = self.tables_for(asset)
        if not tables:
            raise ChangeSpecError(
                f"the migration{where} changes no table matching asset {name} "
                f"(it changes: {', '.join(self.tables) or 'nothing'})"
            )
        longest = max(tables, key=lambda t: t.count("."))
        if any(not longest.endswith(t) for t in tables):
            raise ChangeSpecError(
                f"asset {name} matches several tables of the migration{where}: "
                f"{', '.join(tables)}; name the asset with its full key (a/b)"
            )
        return tuple(c for t, c in self.entries if t in tables)


_RELATION_KINDS = frozenset({"TABLE", "VIEW"})
"""``DROP`` / ``ALTER`` kinds that change a relation consumers read (``VIEW`` covers materialized)."""


def _table_name(table: object) -> str:
    from sqlglot import exp

    assert isinstance(table, exp.Table)
    return ".".join(p.name.lower() for p in table.parts)


def _name(node: object) -> str:
    from sqlglot import exp

    assert isinstance(node, exp.Expression)
    return node.name


def parse_migration(
    sql: str, *, dialect: str | None = None, source: str | None = None
) -> Migration:
    """Parse a migration script into :class:`Migration` changes.

    Args:
        sql: one or more SQL statements.
        dialect: the sqlglot dialect (``duckdb``, ``postgres``, ``mysql``, ``snowflake``, ...).
        source: the file the SQL comes from, for messages.

    Raises:
        SqlParseError: unparsable SQL, or an ALTER/DROP that cannot be understood.
        ChangeSpecError: the migration changes no table.

    Examples:
        >>> parse_migration("ALTER TABLE t ALTER COLUMN c TYPE bigint", dialect="postgres").changes
        {'t': (ColumnTypeChanged(column='c', data_type='BIGINT', old_type=None),)}
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)  # the "falling back to Command" warning: we raise instead
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except SqlglotError as e:
        detail = str(e).splitlines()[0].rstrip(".")
        raise SqlParseError(detail, source=source, dialect=dialect) from None
    except ValueError as e:  # unknown dialect
        raise SqlParseError(str(e).rstrip("."), source=source, dialect=dialect) from None
    finally:
        logger.setLevel(level)
    entries: list[tuple[str, SchemaChange]] = []
    ignored: list[str] = []

    def dtype(node: exp.Expression | None) -> str | None:
        return node.sql(dialect=dialect) if node is not None else None

    for stmt in statements:
        text = stmt.sql(dialect=dialect)
        if isinstance(stmt, exp.Command) and stmt.name.upper() in ("ALTER", "DROP"):
            raise SqlParseError(
                f"unsupported statement '{text[:80]}'", source=source, dialect=dialect
            )
        if isinstance(stmt, exp.Drop):
            # a dropped view (or materialized view) disappears for its consumers like a table
            if (stmt.args.get("kind") or "").upper() not in _RELATION_KINDS:
                ignored.append(text)
                continue
            for t in stmt.args.get("tables") or [stmt.this]:
                entries.append((_table_name(t), TableDropped()))
            continue
        if (
            not isinstance(stmt, exp.Alter)
            or (stmt.args.get("kind") or "").upper() not in _RELATION_KINDS
        ):
            ignored.append(text)
            continue
        table = _table_name(stmt.this)
        # PostgreSQL's ``RENAME a TO b`` (COLUMN is optional): sqlglot reads it as a table rename
        # to ``a`` with the target ``b`` left in the statement's options
        rename_to = [
            o for o in stmt.args.get("options") or [] if isinstance(o, exp.ToTableProperty)
        ]
        for action in stmt.args.get("actions") or []:
            found: list[SchemaChange] = []
            if isinstance(action, exp.AlterRename) and rename_to:
                found.append(ColumnRenamed(_name(action.this), _name(rename_to[0].this)))
            elif isinstance(action, exp.RenameColumn):
                found.append(ColumnRenamed(_name(action.this), _name(action.args["to"])))
            elif (
                isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN"
            ):
                found += [ColumnDropped(_name(c)) for c in action.args.get("tables") or []]
            elif isinstance(action, exp.AlterColumn) and action.args.get("dtype") is not None:
                found.append(
                    ColumnTypeChanged(_name(action.this), str(dtype(action.args["dtype"])))
                )
            elif isinstance(action, exp.ColumnDef):
                found.append(ColumnAdded(_name(action.this), dtype(action.args.get("kind"))))
            elif isinstance(action, exp.AlterRename):
                found.append(TableRenamed(_table_name(action.this)))
            elif isinstance(action, exp.ModifyColumn) and isinstance(action.this, exp.ColumnDef):
                col = action.this
                old = action.args.get("rename_from")
                if old is not None and _name(old).lower() != col.name.lower():
                    found.append(ColumnRenamed(_name(old), col.name))  # CHANGE: type restated
                elif col.args.get("kind") is not None:
                    found.append(ColumnTypeChanged(col.name, str(dtype(col.args["kind"]))))
            else:
                ignored.append(f"{text} [{type(action).__name__}]")
            entries += [(table, c) for c in found]
    if not entries:
        where = f" in {source}" if source else ""
        raise ChangeSpecError(
            f"no column or table change found{where} (expected ALTER TABLE ... RENAME COLUMN / "
            "DROP COLUMN / ALTER COLUMN ... TYPE / ADD COLUMN / RENAME TO, or DROP TABLE)"
        )
    return Migration(tuple(entries), tuple(ignored), source)


def load_migration(path: str | Path, *, dialect: str | None = None) -> Migration:
    """Read and parse a migration file.

    Examples:
        >>> import tempfile, os
        >>> with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        ...     _ = f.write("DROP TABLE raw_orders;")
        >>> load_migration(f.name).changes_for("raw_orders")
        (TableDropped(),)
        >>> os.unlink(f.name)
    """
    p = Path(path)
    if not p.is_file():
        raise ChangeSpecError(f"migration file {p} does not exist")
    try:
        text = p.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise ChangeSpecError(f"cannot read migration file {p}: {e}") from None
    return parse_migration(text, dialect=dialect, source=str(p))
