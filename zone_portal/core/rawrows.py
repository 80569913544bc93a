"""Model instances from rows of a raw SELECT, for hot look-ups where compiling the ORM query
costs more than running it (a signed API request's client, the hub's existing documents).

``select_list(model, exclude)`` names the columns; ``instance(model, fields, values)`` builds the
instance as the ORM would (``from_db``: the field converters run, omitted fields are deferred).
"""

from __future__ import annotations

from django.db import connection


def concrete_fields(model, exclude: tuple[str, ...] = ()) -> list:
    return [f for f in model._meta.concrete_fields if f.name not in exclude]


def select_list(fields, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(f'{prefix}"{f.column}"' for f in fields)


def instance(model, fields, values):
    values = list(values)
    for i, field in enumerate(fields):
        convert = getattr(field, "from_db_value", None)
        if convert is not None:
            values[i] = convert(values[i], None, connection)
    return model.from_db("default", [f.attname for f in fields], values)
