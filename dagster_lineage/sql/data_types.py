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
