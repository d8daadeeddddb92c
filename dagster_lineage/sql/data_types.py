"""Column data types as text: the one place that normalises them.

Three questions, three functions over one normal form:

- :func:`normalize_type`: the type as shown and stored in records (lower case, whitespace collapsed,
  no space after commas): ``DECIMAL(10, 2)`` -> ``decimal(10,2)``.
- :func:`type_key`: the type as hashed into schema checksums (:func:`normalize_type` without any
  whitespace), so ``double precision`` and ``DOUBLE  PRECISION`` hash alike.
- :func:`canonical_type`: the type for equality across dialect spellings (sqlglot's canonical SQL;
  ``int4`` equals ``integer``, ``text`` equals ``varchar``), for comparing schemas.

Examples:
    >>> normalize_type(" DECIMAL(10, 2) "), type_key("Double  Precision")
    ('decimal(10,2)', 'doubleprecision')
    >>> canonical_type("int4") == canonical_type("INTEGER")
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache


def normalize_type(data_type: object) -> str | None:
    """Lower-case, whitespace-collapsed type text (no space after commas); ``None`` when empty.

    Examples:
        >>> normalize_type(" DECIMAL(10, 2) "), normalize_type("double   precision")
        ('decimal(10,2)', 'double precision')
        >>> normalize_type(None) is None and normalize_type("  ") is None
        True
    """
    if data_type is None:
        return None
    text = " ".join(str(data_type).split()).lower().replace(", ", ",")
    return text or None


def type_key(data_type: str | None) -> str | None:
    """The type as hashed into schema checksums: :func:`normalize_type` without any whitespace.

    Examples:
        >>> type_key("DECIMAL(10, 2)"), type_key(None)
        ('decimal(10,2)', None)
    """
    text = normalize_type(data_type)
    return text.replace(" ", "") if text else None


@lru_cache(maxsize=512)
def canonical_type(data_type: str) -> str:
    """Canonical form of a SQL type for comparisons (sqlglot; ``text`` and ``varchar`` are equal).

    Examples:
        >>> canonical_type("int4") == canonical_type("INTEGER")
        True
        >>> canonical_type("numeric(10,2)")
        'decimal(10, 2)'
    """
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        text = exp.DataType.build(data_type, dialect="postgres").sql().lower()
    except (SqlglotError, ValueError):
        text = " ".join(data_type.lower().split())
    return "text" if text in ("varchar", "text", "string") else text


class TypeChangeKind(str, Enum):
    """What a column's new type does to the values it held (ordered from harmless to worst).

    Examples:
        >>> TypeChangeKind.WIDEN.destructive, TypeChangeKind.NARROW.destructive
        (False, True)
    """

    SAME = "same"
    WIDEN = "widen"
    PRECISION_LOSS = "precision_loss"
    NARROW = "narrow"
    INCOMPATIBLE = "incompatible"
    UNKNOWN = "unknown"

    @property
    def destructive(self) -> bool:
        """Whether existing values may fail, overflow, truncate or change meaning."""
        return self not in (TypeChangeKind.SAME, TypeChangeKind.WIDEN)


@dataclass(frozen=True)
class TypeChange:
    """A column's type change, classified: its :class:`TypeChangeKind` and why, in one sentence.

    Examples:
        >>> classify_type_change("decimal(12,2)", "decimal(10,2)").reason
        'narrowing from decimal(12,2) to decimal(10,2): values of 9 or more integer digits overflow'
    """

    kind: TypeChangeKind
    old: str | None
    new: str
    reason: str


_SIGNED_BITS = {"TINYINT": 8, "SMALLINT": 16, "INT": 32, "BIGINT": 64, "INT128": 128, "INT256": 256}
_UNSIGNED_BITS = {"UTINYINT": 8, "USMALLINT": 16, "UINT": 32, "UBIGINT": 64, "UINT128": 128}
_INT_DIGITS = {8: 3, 16: 5, 32: 10, 64: 19, 128: 39, 256: 77}  # decimal digits of the max value
_UINT_DIGITS = {8: 3, 16: 5, 32: 10, 64: 20, 128: 39}
_FLOAT_MANTISSA = {"FLOAT": 24, "DOUBLE": 53}  # exact integers up to 2**mantissa
_TEXT = {"TEXT", "VARCHAR", "CHAR", "NVARCHAR", "NCHAR", "NAME", "BPCHAR"}
_TS_RANK = {"TIMESTAMP_S": 0, "TIMESTAMP_MS": 1, "TIMESTAMP": 2, "TIMESTAMPNTZ": 2}
_TS_RANK.update({"DATETIME": 2, "DATETIME64": 2, "TIMESTAMP_NS": 3})
_TZ = {"TIMESTAMPTZ", "TIMESTAMPLTZ"}


def _parsed(data_type: str, dialect: str | None) -> tuple[str, list[int | None]] | None:
    """(sqlglot type name, integer parameters) of ``data_type``; ``None`` when it does not parse."""
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        dt = exp.DataType.build(data_type, dialect=dialect)
    except (SqlglotError, ValueError, AttributeError):
        return None
    params: list[int | None] = []
    for e in dt.expressions:
        try:
            params.append(int(e.sql()))
        except ValueError:
            params.append(None)  # MAX, a type argument...
    return dt.this.name, params


def _int_width(name: str) -> tuple[int, bool] | None:
    if name in _SIGNED_BITS:
        return _SIGNED_BITS[name], True
    if name in _UNSIGNED_BITS:
        return _UNSIGNED_BITS[name], False
    return None


@lru_cache(maxsize=4096)  # the impact walk asks once per consumer: parse each pair once
def classify_type_change(
    old: str | None, new: str, dialect: str | None = None
) -> TypeChange:
    """Classify changing a column from ``old`` to ``new`` (types parsed in ``dialect``).

    Compares sqlglot's parsed ``DataType``s, not strings: integer widths and signedness,
    decimal precision and scale, float widths, text lengths, date/timestamp precision and time
    zones. A change into another family (text to number, number to text, time to timestamp...)
    is ``incompatible``: casts may fail and expressions on the column may no longer bind.

    Examples:
        >>> classify_type_change("int", "bigint").kind.value
        'widen'
        >>> classify_type_change("bigint", "int").kind.value
        'narrow'
        >>> classify_type_change("timestamp", "date").reason
        'precision loss from timestamp to date: the time of day is dropped'
        >>> classify_type_change("varchar(20)", "varchar(50)").kind.value
        'widen'
        >>> classify_type_change("int4", "integer").kind.value, classify_type_change(None, "int").kind.value
        ('same', 'unknown')
    """
    K = TypeChangeKind

    def out(kind: TypeChangeKind, detail: str = "") -> TypeChange:
        label = {
            K.SAME: "the same type",
            K.WIDEN: "widening",
            K.PRECISION_LOSS: "precision loss",
            K.NARROW: "narrowing",
            K.INCOMPATIBLE: "an incompatible type",
            K.UNKNOWN: "an unknown change",
        }[kind]
        text = f"{label} from {old} to {new}" if old else f"{label} to {new}"
        return TypeChange(kind, old, new, text + (f": {detail}" if detail else ""))

    if not old:
        return out(K.UNKNOWN, "the old type is not known")
    a, b = _parsed(old, dialect), _parsed(new, dialect)
    if a is None or b is None:
        return out(K.UNKNOWN, f"{old if a is None else new} is not a type sqlglot reads")
    (an, ap), (bn, bp) = a, b
    if (an, ap) == (bn, bp):
        return out(K.SAME)

    ai, bi = _int_width(an), _int_width(bn)
    if ai and bi:
        (abits, asigned), (bbits, bsigned) = ai, bi
        if asigned and not bsigned:
            return out(K.NARROW, "negative values fail")
        if bbits > abits or (bbits == abits and asigned == bsigned):
            return out(K.WIDEN) if (bbits, bsigned) != (abits, asigned) else out(K.SAME)
        if not asigned and bsigned and bbits > abits:
            return out(K.WIDEN)
        return out(K.NARROW, "large values overflow")
    if an == "BOOLEAN" and bi:
        return out(K.WIDEN, "true and false become 1 and 0")
    if ai and bn == "DECIMAL":
        digits = (_INT_DIGITS if ai[1] else _UINT_DIGITS)[ai[0]]
        if not bp or bp[0] is None:
            return out(K.WIDEN)
        precision, scale = bp[0], (bp[1] or 0) if len(bp) > 1 else 0
        if precision - scale >= digits:
            return out(K.WIDEN)
        return out(K.NARROW, f"values of {precision - scale + 1} or more digits overflow")
    if ai and bn in _FLOAT_MANTISSA:
        if ai[0] < _FLOAT_MANTISSA[bn]:
            return out(K.WIDEN)
        return out(K.PRECISION_LOSS, f"integers beyond 2^{_FLOAT_MANTISSA[bn]} are rounded")
    if an == "DECIMAL" and bn == "DECIMAL":
        if not bp or bp[0] is None:
            return out(K.WIDEN)  # unbounded numeric
        if not ap or ap[0] is None:
            return out(K.NARROW, "an unbounded numeric gets a fixed precision: values may overflow")
        p1, s1 = ap[0], (ap[1] or 0) if len(ap) > 1 else 0
        p2, s2 = bp[0], (bp[1] or 0) if len(bp) > 1 else 0
        if p2 - s2 < p1 - s1:
            return out(K.NARROW, f"values of {p2 - s2 + 1} or more integer digits overflow")
        if s2 < s1:
            return out(K.PRECISION_LOSS, f"{s1 - s2} fraction digit(s) are rounded off")
        return out(K.WIDEN)
    if an == "DECIMAL" and bn in _FLOAT_MANTISSA:
        digits = {"FLOAT": 6, "DOUBLE": 15}[bn]  # significant digits that survive a round trip
        if ap and ap[0] is not None and ap[0] <= digits:
            return out(K.WIDEN)
        return out(K.PRECISION_LOSS, f"digits beyond the {digits} a {bn.lower()} keeps are rounded")
    if an in _FLOAT_MANTISSA and bn in _FLOAT_MANTISSA:
        if _FLOAT_MANTISSA[bn] >= _FLOAT_MANTISSA[an]:
            return out(K.WIDEN)
        return out(K.PRECISION_LOSS, "digits beyond single precision are rounded")
    if an in _FLOAT_MANTISSA and (bn == "DECIMAL" or bi):
        return out(K.NARROW, "fractions are rounded and large values overflow")
    if an in _TEXT and bn in _TEXT:
        alen = ap[0] if ap else None
        blen = bp[0] if bp else None
        if blen is None or (alen is not None and blen >= alen):
            return out(K.WIDEN)
        return out(K.NARROW, f"strings longer than {blen} characters are cut or fail")
    if bn == "TIMESTAMP_NS" and (an == "DATE" or _TS_RANK.get(an, 9) < _TS_RANK[bn]):
        # nanoseconds in 64 bits: finer, but only years 1677-2262 fit
        return out(K.NARROW, "values outside the years 1677-2262 overflow")
    if an == "DATE" and bn in _TS_RANK | dict.fromkeys(_TZ, 0):
        return out(K.WIDEN)
    if an in _TS_RANK and bn in _TS_RANK:
        if _TS_RANK[bn] >= _TS_RANK[an]:
            return out(K.WIDEN)
        return out(K.PRECISION_LOSS, "sub-second digits are dropped")
    if (an in _TS_RANK or an in _TZ) and bn == "DATE":
        return out(K.PRECISION_LOSS, "the time of day is dropped")
    if (an in _TS_RANK and bn in _TZ) or (an in _TZ and bn in _TS_RANK):
        return out(K.PRECISION_LOSS, "the values' time zone meaning changes")
    if an in _TZ and bn in _TZ:
        return out(K.SAME)
    if bn in _TEXT:
        return out(K.INCOMPATIBLE, "it becomes text: arithmetic and comparisons on it change")
    return out(K.INCOMPATIBLE, "casts may fail and expressions on it may no longer bind")
