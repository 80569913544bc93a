"""One set-based UPDATE for many rows, each with its own values.

Django's ``bulk_update`` writes ``CASE WHEN id = … THEN …`` per field and row, which PostgreSQL
plans and evaluates slowly for hundreds of rows (it was most of the time of a 500-list batch).
Here the new values travel as one array per column and join by id::

    UPDATE t SET a = v.a, b = v.b FROM unnest(%s::bigint[], %s::a_type[], %s::b_type[]) AS v(id, a, b)
    WHERE t.id = v.id
"""

from __future__ import annotations

from django.db import connection


def update_rows(model, objects, fields: list[str]) -> int:
    """Write ``fields`` of ``objects`` (model instances) back in one statement; returns rows updated."""
    objects = list(objects)
    if not objects:
        return 0
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    pk = meta.pk
    arrays = [[obj.pk for obj in objects]] + [[getattr(obj, f.attname) for obj in objects] for f in columns]
    casts = [f"%s::{pk.rel_db_type(connection) if pk.is_relation else pk.db_type(connection)}[]"] + [
        f"%s::{f.db_type(connection)}[]" for f in columns]
    names = ["id"] + [f"c{i}" for i in range(len(columns))]
    assignments = ", ".join(f"{quote(f.column)} = v.c{i}" for i, f in enumerate(columns))
    sql = (f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608 (model metadata only)
           f"FROM unnest({', '.join(casts)}) AS v({', '.join(names)}) WHERE t.{quote(pk.column)} = v.id")
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        return cursor.rowcount
