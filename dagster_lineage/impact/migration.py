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
    cancelled: tuple[str, ...] = ()
    """Tables the migration touches whose changes cancel out (renamed and renamed back...)."""

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
        return _naming(self.tables, asset)

    def changes_for(self, asset: str | AssetKeyPath) -> tuple[SchemaChange, ...]:
        """Changes to the table(s) naming ``asset``.

        Raises :class:`ChangeSpecError` when no table (or an ambiguous set, e.g. ``a.orders`` and
        ``b.orders``) names it.
        """
        name = asset if isinstance(asset, str) else key_to_str(asset)
        where = f" in {self.source}" if self.source else ""
        tables = self.tables_for(asset)
        if not tables and _naming(self.cancelled, asset):
            raise ChangeSpecError(
                f"the migration{where} leaves {name} as it was: its changes cancel out "
                "(read in order), so there is nothing to check"
            )
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


@dataclass
class _Column:
    """One column as a migration's statements leave it (``original`` is ``None`` when added)."""

    original: str | None
    current: str
    new_type: str | None = None
    dropped: bool = False
    old_type: str | None = None

    def net(self) -> SchemaChange | None:
        """The one change this column's statements amount to, or ``None``."""
        if self.original is None:  # added by the migration
            return None if self.dropped else ColumnAdded(self.current, self.new_type)
        if self.dropped:
            return ColumnDropped(self.original)
        if self.current.lower() != self.original.lower():
            return ColumnRenamed(self.original, self.current)
        if self.new_type is not None:
            return ColumnTypeChanged(self.original, self.new_type, self.old_type)
        return None


def _naming(tables: tuple[str, ...], asset: str | AssetKeyPath) -> tuple[str, ...]:
    """The ``tables`` that name ``asset``: one name's dotted parts end with the other's."""
    parts = (
        tuple(p.lower() for p in asset)
        if isinstance(asset, tuple)
        else tuple(p.lower() for p in asset.replace("/", ".").split(".") if p)
    )

    def same(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
        n = min(len(a), len(b))
        return a[-n:] == b[-n:]

    return tuple(t for t in tables if same(tuple(t.split(".")), parts))


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
    net, cancelled = net_changes(entries)
    return Migration(net, tuple(ignored), source, cancelled)


def net_changes(
    entries: list[tuple[str, SchemaChange]],
) -> tuple[tuple[tuple[str, SchemaChange], ...], tuple[str, ...]]:
    """Read a migration's changes as a sequence: what each table looks like at the end.

    Each statement applies to the table as the previous ones left it: a column renamed and then
    retyped under its new name is one column; renamed and renamed back is no change; added and
    then renamed or retyped is one added column; added then dropped is nothing; a table renamed
    and then altered under its new name is the same table. A column both renamed and retyped is
    reported as the rename (its consumers by name break either way). Returns the net
    ``(table, change)`` pairs, each table's changes in statement order, and the tables whose
    changes cancel out.

    Examples:
        >>> from dagster_lineage.impact.schema_changes import ColumnRenamed, ColumnTypeChanged
        >>> net, _ = net_changes([("t", ColumnRenamed("a", "b")),
        ...                       ("t", ColumnTypeChanged("b", "bigint"))])
        >>> net
        (('t', ColumnRenamed(column='a', new_name='b')),)
        >>> net_changes([("t", ColumnRenamed("a", "b")), ("t", ColumnRenamed("b", "a"))])
        ((), ('t',))
    """
    alias: dict[str, str] = {}  # a table's later name -> the name the migration started from
    order: list[str] = []
    # per table: current column name (lower) -> what happened to that column so far
    columns: dict[str, dict[str, _Column]] = {}
    table_changes: dict[str, list[SchemaChange]] = {}
    for table, change in entries:
        base = alias.get(table, table)
        if base not in columns:
            order.append(base)
            columns[base] = {}
            table_changes[base] = []
        cols = columns[base]
        if isinstance(change, (TableRenamed, TableDropped)):
            if isinstance(change, TableRenamed):
                alias[change.new_name] = base
            table_changes[base].append(change)
        elif isinstance(change, ColumnAdded):
            cols[change.column.lower()] = _Column(None, change.column, change.data_type)
        elif isinstance(change, ColumnRenamed):
            col = cols.pop(change.column.lower(), None) or _Column(change.column, change.column)
            col.current = change.new_name
            cols[change.new_name.lower()] = col
        elif isinstance(change, (ColumnDropped, ColumnTypeChanged)):
            col = cols.setdefault(change.column.lower(), _Column(change.column, change.column))
            if isinstance(change, ColumnDropped):
                col.dropped = True
            else:
                col.new_type = change.data_type
                col.old_type = col.old_type or change.old_type
    net: list[tuple[str, SchemaChange]] = []
    cancelled: list[str] = []
    for base in order:
        found = [c for col in columns[base].values() if (c := col.net()) is not None]
        found += table_changes[base]
        if found:
            net += [(base, c) for c in found]
        else:
            cancelled.append(base)
    return tuple(net), tuple(cancelled)


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
        text = p.read_text(encoding="utf-8-sig")  # a BOM is not SQL
    except (OSError, UnicodeDecodeError) as e:
        raise ChangeSpecError(f"cannot read migration file {p}: {e}") from None
    return parse_migration(text, dialect=dialect, source=str(p))
