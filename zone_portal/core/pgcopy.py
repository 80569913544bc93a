"""Bulk writes with PostgreSQL ``COPY … FROM STDIN`` in the text format.

A multi-row ``INSERT`` of a thousand rows makes the client build, and the driver split and bind,
a statement with tens of thousands of placeholders; ``COPY`` sends the rows as text and the
server parses them. For tables with a sequence, ``reserve_ids`` takes the ids first, so the
caller knows each row's id without a ``RETURNING``.

Values are rendered by ``text`` (``None`` → ``\\N``; booleans, numbers, dates, texts escaped;
lists of integers as array literals). JSON columns take the JSON text the caller rendered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

CHUNK_ROWS = 5000
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def escape_text(value: str) -> str:
    """A text in COPY's text format. translate() walks a mapping per character: only for the
    rare text that needs it (the ``in`` tests are C scans)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPES)
    return value



def _text_array(value) -> str:
    if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return "{" + ",".join(str(v) for v in value) + "}"
    raise TypeError("only arrays of integers have a COPY text form here")


_BY_TYPE = {str: escape_text, int: str, Decimal: str, bool: lambda v: "t" if v else "f", type(None): lambda v: "\\N",
            datetime: datetime.isoformat, date: date.isoformat, list: _text_array, tuple: _text_array}


def text(value) -> str:
    """One value in COPY's text format (dispatched on the exact type; subclasses by isinstance)."""
    render = _BY_TYPE.get(type(value))
    if render is None:
        for kind, candidate in _BY_TYPE.items():
            if kind is not bool and isinstance(value, kind):
                render = candidate
                break
        else:
            raise TypeError(f"no COPY text form for {type(value).__name__}")
    return render(value)


def copy_rows(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """``COPY table (columns) FROM STDIN`` of ``rows`` (tuples in the order of ``columns``) on a
    Django cursor; returns how many rows were sent."""
    raw = getattr(cursor, "cursor", cursor)  # Django's CursorWrapper → the psycopg cursor
    sent, buffer = 0, []
    by_type = _BY_TYPE
    with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            # text()'s dispatch inlined: one call per value instead of two (the hot loop of a bulk write)
            buffer.append("\t".join([(by_type.get(type(v)) or text)(v) for v in row]))
            if len(buffer) >= CHUNK_ROWS:
                copy.write("\n".join(buffer) + "\n")
                sent, buffer = sent + len(buffer), []
        if buffer:
            copy.write("\n".join(buffer) + "\n")
            sent += len(buffer)
    return sent


SMALL_ROWS = 50


def insert_rows(cursor, table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> list[int]:
    """Insert ``rows`` (in the order of ``columns``, without the id) and return their new ids in
    the rows' order: a few rows by one ``INSERT … VALUES … RETURNING id`` (one round trip), many
    by ``reserve_ids`` and ``COPY`` (no statement of thousands of placeholders)."""
    if not rows:
        return []
    if len(rows) <= SMALL_ROWS:
        values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
        cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} RETURNING id",  # noqa: S608
                       [v for row in rows for v in row])
        return [row[0] for row in cursor.fetchall()]
    ids = reserve_ids(cursor, table, len(rows))
    copy_rows(cursor, table, ("id", *columns), ([pk, *row] for pk, row in zip(ids, rows, strict=True)))
    return ids


def reserve_ids(cursor, table: str, count: int, column: str = "id") -> list[int]:
    """``count`` new values of the sequence behind ``table.column``, ascending."""
    if count <= 0:
        return []
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                   [table, column, count])
    return sorted(row[0] for row in cursor.fetchall())
