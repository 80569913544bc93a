"""COPY: what goes in comes out the same, whatever the characters."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from zone_portal.core import pgcopy

pytestmark = pytest.mark.django_db


@pytest.fixture
def table():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE copy_probe (id bigserial PRIMARY KEY, t text, b boolean, "
                       "n numeric(24, 5), at timestamptz, ids bigint[], j jsonb)")
    return "copy_probe"


def test_every_kind_of_value_round_trips(table):
    at = datetime(2026, 11, 23, 8, 30, 1, 123456, tzinfo=UTC)
    rows = [
        ("tab\there, new\nline, back\\slash, cr\rend", True, Decimal("123.45678"), at, [1, 22, 333],
         '{"name": "张三\\t", "n": 1}'),
        (None, False, None, None, [], "[]"),
        ("中文　全角 and \\N literally", None, Decimal("-0.00001"), at, [7], "null"),
    ]
    with connection.cursor() as cursor:
        assert pgcopy.copy_rows(cursor, table, ("t", "b", "n", "at", "ids", "j"), rows) == 3
        cursor.execute(f"SELECT t, b, n, at, ids, j FROM {table} ORDER BY id")
        back = cursor.fetchall()
    # Django's backend reads jsonb as text and decodes it in the field: decoded here
    assert back[0][:5] == (rows[0][0], True, Decimal("123.45678"), at, [1, 22, 333])
    assert json.loads(back[0][5]) == {"name": "张三\t", "n": 1}
    assert back[1][:5] == (None, False, None, None, []) and json.loads(back[1][5]) == []
    assert back[2][0] == "中文　全角 and \\N literally" and back[2][2] == Decimal("-0.00001")


def test_reserved_ids_are_new_ascending_and_used_as_given(table):
    with connection.cursor() as cursor:
        ids = pgcopy.reserve_ids(cursor, table, 5)
        assert ids == sorted(ids) and len(set(ids)) == 5
        pgcopy.copy_rows(cursor, table, ("id", "t"), [(pk, f"row {pk}") for pk in ids])
        cursor.execute(f"INSERT INTO {table} (t) VALUES ('after') RETURNING id")
        assert cursor.fetchone()[0] > ids[-1], "the sequence moved past the reserved ids"
    assert pgcopy.reserve_ids(connection.cursor(), table, 0) == []


def test_a_value_without_a_text_form_is_refused(table):
    with connection.cursor() as cursor, pytest.raises(Exception, match="cannot adapt type 'dict'"):
        pgcopy.copy_rows(cursor, table, ("t",), [({"a": 1},)])


@pytest.mark.parametrize("count", [1, pgcopy.SMALL_ROWS, pgcopy.SMALL_ROWS + 1, 700])
def test_insert_rows_returns_the_ids_in_the_rows_order_by_either_way(table, count):
    rows = [(f"row {i}", json.dumps({"i": i})) for i in range(count)]
    with connection.cursor() as cursor:
        ids = pgcopy.insert_rows(cursor, table, ("t", "j"), rows)
        assert len(ids) == count
        cursor.execute(f"SELECT id, t FROM {table}")
        stored = dict(cursor.fetchall())
    assert [stored[pk] for pk in ids] == [t for t, _j in rows]


def test_an_array_literal_reads_back_as_the_same_texts():
    values = ["plain", "comma,inside", 'q"uote', "back\\slash", "{braces}", "NULL", "", "  spaced  ", "中文",
              "tab\there", "new\nline"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text[]", [pgcopy.array_literal(values)])
        assert cursor.fetchone()[0] == values
        cursor.execute("SELECT %s::text[]", [pgcopy.array_literal([])])
        assert cursor.fetchone()[0] == []
