"""The summary itself, as set-based SQL: released statisticsFlag-B export lists → summary
declarations, their lines, and the mapping of every list line to its summary line (gseqno).

One run is a handful of statements in the caller's transaction, whatever the number of lists
(DESIGN.md §7: set-based SQL over a bounded range, never a task or a query per list):

1. ``summary_stage``: one row per list line of the lists in scope — read once from the hub's
   tables (the version in force of each list), with the head key (``hkey``) and line key
   (``lkey``) as text;
2. ``summary_groups``: one row per head key, with the summary's id taken from its sequence;
3. ``summary_line_groups``: one row per (head key, line key), numbered 1..n inside its summary
   (gseqno, in key order);
4. INSERT … SELECT of the summaries, their lines and the list-line mapping.

A list line is in at most one summary (unique (declaration, gnum) on the mapping): lists already
summarised are left out of the stage, so running again creates nothing twice. Runs are
serialised by a transaction-level advisory lock, so two runs never pick the same list.
The key names come from ``keys.Grouping``, which admits only CEB603 field names: they are the
only values written into the SQL text; everything else is a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import connection

from filings.models import Declaration

from .keys import ITEM_NAME_KEY, Grouping
from .models import Summary, SummaryItem, SummaryLine

# A list counts as exported once released (放行) or closed (结关) by customs; a list that was
# returned, cancelled or is still held is not summarised.
EXPORTED_STATES = (Declaration.ListState.RELEASED.value, Declaration.ListState.CLOSED.value)
SUMMARY_STATISTICS_FLAG = "B"  # customs.md §4.2: A (简化申报) lists are not summarised
LOCK_KEY = 7_015_792  # pg_advisory_xact_lock key of the summary runs (CEB701 / CEB792)
SEPARATOR = "chr(31)"  # between key values in hkey / lkey: a character no code or name contains

# Head fields copied onto the summary; a key that is not grouped by is left blank rather than
# showing one arbitrary list's value.
KEYED_HEAD_COLUMNS = {"ownerCode": ("owner_code", "owner_name"), "trafMode": ("traf_mode",),
                      "country": ("country",), "portCode": ("port_code",)}


@dataclass
class Scope:
    """Which released lists a run covers: released in [window_start, window_end), optionally one
    consignor's, optionally only the listed invtNo (a CEB701 without a time window)."""

    window_start: datetime
    window_end: datetime
    ebc_code: str = ""
    invt_nos: list[str] = field(default_factory=list)


@dataclass
class Counts:
    lists: int = 0
    items: int = 0
    summaries: int = 0


# Fields read from every list's head and lines, besides the configured keys.
HEAD_FIELDS = ("statisticsFlag", "customsCode", "ebcCode", "ebcName", "ownerCode", "ownerName", "trafMode", "country",
               "portCode", "agentCode", "agentName", "grossWeight", "netWeight")
LINE_FIELDS = ("gnum", "gcode", "gname", "itemName", "country", "currency", "unit", "qty", "unit1", "qty1", "unit2",
               "qty2", "totalPrice")


def record_columns(names) -> str:
    """A column definition list for jsonb_to_record(set): each name a text column. Reading the
    fields this way decompresses and parses a version's head (lines) once, where one ``->>`` per
    field would decompress the TOASTed JSON again for every field of every line."""
    return ", ".join(f'"{name}" text' for name in dict.fromkeys(names))


def _head_key_sql(grouping: Grouping) -> str:
    parts = [f'coalesce(h."{name}", \'\')' for name in grouping.head]
    return f"concat_ws({SEPARATOR}, {', '.join(parts)})"


def _line_key_sql(grouping: Grouping) -> str:
    parts = []
    for name in grouping.lines:
        if name == ITEM_NAME_KEY:  # the list's original item name, or its goods name when it has none
            parts.append("coalesce(nullif(li.\"itemName\", ''), li.gname, '')")
        else:
            parts.append(f'coalesce(li."{name}", \'\')')
    return f"concat_ws({SEPARATOR}, {', '.join(parts)})"


def _stage(cursor, grouping: Grouping, scope: Scope) -> None:
    where = ["d.kind = 'CEB603'", "d.direction = 'E'", "NOT d.deleted", "d.list_state = ANY(%(states)s)",
             "d.released_at >= %(start)s", "d.released_at < %(end)s", 'h."statisticsFlag" = %(flag)s',
             "NOT EXISTS (SELECT 1 FROM summary_summaryitem i WHERE i.declaration_id = d.id)"]
    params = {"states": list(EXPORTED_STATES), "start": scope.window_start, "end": scope.window_end,
              "flag": SUMMARY_STATISTICS_FLAG}
    if scope.ebc_code:
        where.append("upper(d.ebc_code) = upper(%(ebc)s)")
        params["ebc"] = scope.ebc_code
    if scope.invt_nos:
        where.append("d.invt_no = ANY(%(invt_nos)s)")
        params["invt_nos"] = list(scope.invt_nos)
    line_names = list(dict.fromkeys((*LINE_FIELDS, *grouping.lines)))
    first = "li.ord = 1"
    # Head values only on each list's first line (NULL elsewhere costs one bit): they are needed
    # once per list, and the stage holds one row per list line.
    sql = f"""
        CREATE TEMP TABLE summary_stage ON COMMIT DROP AS
        SELECT d.id AS declaration_id,
               CASE WHEN {first} THEN d.organization_id END AS declarant_id,
               coalesce(nullif(d.invt_no, ''), d.cop_no) AS invt_no, d.logistics_no,
               {_head_key_sql(grouping)} AS hkey, {_line_key_sql(grouping)} AS lkey,
               {first} AS first_line,
               CASE WHEN {first} THEN h."customsCode" END AS customs_code,
               CASE WHEN {first} THEN h."ebcCode" END AS ebc_code,
               CASE WHEN {first} THEN h."ebcName" END AS ebc_name,
               CASE WHEN {first} THEN h."ownerCode" END AS owner_code,
               CASE WHEN {first} THEN h."ownerName" END AS owner_name,
               CASE WHEN {first} THEN h."trafMode" END AS traf_mode,
               CASE WHEN {first} THEN h.country END AS country,
               CASE WHEN {first} THEN h."portCode" END AS port_code,
               CASE WHEN {first} THEN h."agentCode" END AS agent_code,
               CASE WHEN {first} THEN h."agentName" END AS agent_name,
               CASE WHEN {first} THEN nullif(h."grossWeight", '')::numeric END AS gross_weight,
               CASE WHEN {first} THEN nullif(h."netWeight", '')::numeric END AS net_weight,
               li.gnum::int AS gnum, li.gcode, li.gname, coalesce(nullif(li."itemName", ''), li.gname) AS item_name,
               li.country AS item_country, li.currency, li.unit, nullif(li.qty, '')::numeric AS qty,
               li.unit1, nullif(li.qty1, '')::numeric AS qty1, nullif(li.unit2, '') AS unit2,
               nullif(li.qty2, '')::numeric AS qty2, nullif(li."totalPrice", '')::numeric AS total_price
        FROM filings_declaration d
        JOIN filings_declarationversion v ON v.declaration_id = d.id AND v.number = d.version
        CROSS JOIN LATERAL jsonb_to_record(v.head) AS h({record_columns((*HEAD_FIELDS, *grouping.head))})
        CROSS JOIN LATERAL ROWS FROM (jsonb_to_recordset(v.lines) AS ({record_columns(line_names)}))
             WITH ORDINALITY AS li({", ".join(f'"{n}"' for n in line_names)}, ord)
        WHERE {' AND '.join(where)}
    """  # noqa: S608 - field names are constants or CEB603 field names checked by keys.grouping_for
    cursor.execute(sql, params)
    cursor.execute("ANALYZE summary_stage")


def _groups(cursor) -> None:
    table = Summary._meta.db_table
    cursor.execute(f"""
        CREATE TEMP TABLE summary_groups ON COMMIT DROP AS
        WITH agg AS (
            SELECT hkey, min(customs_code) AS customs_code, min(ebc_code) AS ebc_code, min(ebc_name) AS ebc_name,
                   min(owner_code) AS owner_code, min(owner_name) AS owner_name, min(traf_mode) AS traf_mode,
                   min(country) AS country, min(port_code) AS port_code, min(agent_code) AS agent_code,
                   min(agent_name) AS agent_name, count(*) FILTER (WHERE first_line) AS list_count,
                   count(*) AS item_count, coalesce(sum(gross_weight), 0) AS gross_weight,
                   coalesce(sum(net_weight), 0) AS net_weight
            FROM summary_stage GROUP BY hkey
        ), declarants AS (
            SELECT hkey, array_agg(declarant_id) AS declarants
            FROM (SELECT DISTINCT hkey, declarant_id FROM summary_stage WHERE first_line) pairs
            GROUP BY hkey
        )
        SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS summary_id, agg.*, declarants.declarants
        FROM agg JOIN declarants USING (hkey)
    """)  # noqa: S608 - the table name is the model's
    cursor.execute("ANALYZE summary_groups")


def _line_groups(cursor) -> None:
    cursor.execute("""
        CREATE TEMP TABLE summary_line_groups ON COMMIT DROP AS
        SELECT g.summary_id, l.*, row_number() OVER (PARTITION BY g.summary_id ORDER BY l.lkey) AS gseqno
        FROM (
            SELECT hkey, lkey, min(gcode) AS gcode, min(gname) AS gname, min(item_name) AS item_name,
                   min(item_country) AS country, min(currency) AS currency, min(unit) AS unit, sum(qty) AS qty,
                   min(unit1) AS unit1, sum(qty1) AS qty1, min(unit2) AS unit2, sum(qty2) AS qty2,
                   sum(total_price) AS total_price, count(*) AS item_count
            FROM summary_stage GROUP BY hkey, lkey
        ) l JOIN summary_groups g USING (hkey)
    """)
    cursor.execute("ANALYZE summary_line_groups")


def _insert_summaries(cursor, *, run_id: int, month: date, grouping: Grouping, org_of_code: dict[str, int],
                      decl_agent: tuple[str, str] | None, now: datetime) -> int:
    blanked = {column for key, columns in KEYED_HEAD_COLUMNS.items() if key not in grouping.head
               for column in columns}

    def col(name: str) -> str:
        return "''" if name in blanked else f"left(coalesce(g.{name}, ''), {Summary._meta.get_field(name).max_length})"

    codes = list(org_of_code)
    params = {
        "run": run_id, "month": month, "names": list(grouping.head), "year": f"{month:%Y}", "now": now,
        "codes": codes, "orgs": [org_of_code[c] for c in codes],
        "decl_code": decl_agent[0] if decl_agent else None, "decl_name": decl_agent[1] if decl_agent else None,
        "status": Summary.Status.GENERATED.value,
    }
    number = "lpad((g.summary_id %% 1000000000)::text, 9, '0')"
    customs = "rpad(left(coalesce(nullif(g.customs_code, ''), '0000'), 4), 4, '0')"
    cursor.execute(f"""
        INSERT INTO summary_summary (
            id, run_id, organization_id, parties, month, group_key, key_values, guid, sum_no, decl_seq_no, entry_id,
            customs_code, ebc_code, ebc_name, owner_code, owner_name, traf_mode, country, port_code, agent_code,
            agent_name, decl_agent_code, decl_agent_name, gross_weight, net_weight, list_count, item_count,
            line_count, status, confirmed_at, confirmed_by_id, created_at)
        SELECT g.summary_id, %(run)s, coalesce(m.org, g.declarants[1]),
               ARRAY(SELECT DISTINCT x FROM unnest(g.declarants || m.org) AS x WHERE x IS NOT NULL ORDER BY x),
               %(month)s, left(g.hkey, 1000), jsonb_object(%(names)s::text[], string_to_array(g.hkey, chr(31))),
               upper(gen_random_uuid()::text),
               {customs} || %(year)s || 'H' || {number}, {customs} || %(year)s || 'D' || {number}, '',
               {col('customs_code')}, left(coalesce(g.ebc_code, ''), 18), {col('ebc_name')}, {col('owner_code')},
               {col('owner_name')}, {col('traf_mode')}, {col('country')}, {col('port_code')}, {col('agent_code')},
               {col('agent_name')}, left(coalesce(%(decl_code)s, g.agent_code, ''), 18),
               left(coalesce(%(decl_name)s, g.agent_name, ''), 100), g.gross_weight, g.net_weight, g.list_count,
               g.item_count, coalesce(lc.lines, 0), %(status)s, NULL, NULL, %(now)s
        FROM summary_groups g
        LEFT JOIN (SELECT summary_id, count(*) AS lines FROM summary_line_groups GROUP BY summary_id) lc
               USING (summary_id)
        LEFT JOIN unnest(%(codes)s::text[], %(orgs)s::bigint[]) AS m(code, org) ON m.code = upper(g.ebc_code)
    """, params)  # noqa: S608 - column names are the model's
    return cursor.rowcount


def _insert_lines(cursor, grouping: Grouping) -> None:
    by_item_name = ITEM_NAME_KEY in grouping.lines
    # Without itemNameFlag a line is named by the goods' classification (商品综合分类名): the HS
    # code's name where the code table has it; with it, by the list's original item name.
    gname = ("left(coalesce(lg.item_name, ''), 300)" if by_item_name
             else "left(coalesce(h.name_zh, lg.gname, ''), 300)")
    cursor.execute(f"""
        INSERT INTO {SummaryLine._meta.db_table} (
            summary_id, gseqno, group_key, key_values, gcode, gname, item_name, country, currency, unit, qty,
            unit1, qty1, unit2, qty2, total_price, item_count)
        SELECT lg.summary_id, lg.gseqno, left(lg.lkey, 1000),
               jsonb_object(%(names)s::text[], string_to_array(lg.lkey, chr(31))), left(coalesce(lg.gcode, ''), 10),
               {gname}, {"left(coalesce(lg.item_name, ''), 250)" if by_item_name else "''"},
               left(coalesce(lg.country, ''), 3), left(coalesce(lg.currency, ''), 3), left(coalesce(lg.unit, ''), 3),
               coalesce(lg.qty, 0), left(coalesce(lg.unit1, ''), 3), coalesce(lg.qty1, 0),
               left(coalesce(lg.unit2, ''), 3), lg.qty2, coalesce(lg.total_price, 0), lg.item_count
        FROM summary_line_groups lg
        LEFT JOIN codes_hscode h ON h.hs_code = lg.gcode
        ORDER BY lg.summary_id, lg.gseqno
    """, {"names": list(grouping.lines)})  # noqa: S608 - column names are the model's


def _insert_items(cursor) -> int:
    # The planner under-estimates this join (the head and line keys are correlated) and picks a
    # merge join that sorts both sides by their text keys; a hash join took half the time for
    # 400,000 list lines (bench/bench_summary.py). Only for this statement.
    cursor.execute("SELECT current_setting('enable_mergejoin')")
    previous = cursor.fetchone()[0]
    cursor.execute("SELECT set_config('enable_mergejoin', 'off', true)")
    cursor.execute(f"""
        INSERT INTO {SummaryItem._meta.db_table} (
            summary_id, gseqno, declaration_id, invt_no, logistics_no, gnum, gcode)
        SELECT lg.summary_id, lg.gseqno, s.declaration_id, left(s.invt_no, 30), left(coalesce(s.logistics_no, ''), 60),
               s.gnum, left(coalesce(s.gcode, ''), 10)
        FROM summary_stage s
        JOIN summary_line_groups lg ON lg.hkey = s.hkey AND lg.lkey = s.lkey
        -- in summary order: each summary's rows are written together, which its BRIN index relies on
        ORDER BY lg.summary_id, s.declaration_id, s.gnum
    """)  # noqa: S608 - the table name is the model's
    written = cursor.rowcount
    cursor.execute("SELECT set_config('enable_mergejoin', %s, true)", [previous])
    return written


def summarise(*, run_id: int, month: date, grouping: Grouping, scope: Scope, org_of_code: dict[str, int],
              decl_agent: tuple[str, str] | None = None, now: datetime) -> Counts:
    """Group the lists of ``scope`` not yet summarised into summaries of run ``run_id``. Must run
    inside the caller's transaction (the temporary tables live until its commit)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute("SELECT set_config('work_mem', %s, true)",
                       [str(getattr(settings, "SUMMARY_WORK_MEM", "256MB"))])
        cursor.execute("DROP TABLE IF EXISTS summary_stage, summary_groups, summary_line_groups")
        _stage(cursor, grouping, scope)
        cursor.execute("SELECT count(*) FILTER (WHERE first_line), count(*) FROM summary_stage")
        lists, items = cursor.fetchone()
        if not items:
            cursor.execute("DROP TABLE summary_stage")
            return Counts()
        _groups(cursor)
        _line_groups(cursor)
        summaries = _insert_summaries(cursor, run_id=run_id, month=month, grouping=grouping,
                                      org_of_code=org_of_code, decl_agent=decl_agent, now=now)
        _insert_lines(cursor, grouping)
        _insert_items(cursor)
        cursor.execute("DROP TABLE summary_stage, summary_groups, summary_line_groups")
    return Counts(lists=lists, items=items, summaries=summaries)
