"""The 无票免税 register (无票免税登记): the six fields per exported item that 财税〔2018〕103号
asks a zone exporter without purchase invoices to record on the zone's online platform — export
date, goods name, unit, quantity, unit price and amount (customs.md §4.4).

Filled set-based from the released export lists (CEB603, released or closed), one row per list
line: when lists are released (``list_state_changed`` → ``exemption_register_fill`` task with
their ids) and, as a catch-all, by the monthly summary job for the whole month. Rows are written
once (unique (declaration, gnum); lists already in the register are skipped), so both paths may
run in any order and any number of times.

- export date: the list's declared ``ieDate`` (出口日期) when it is a real date, else the day of
  release in the zone's time zone;
- goods name: the list line's ``itemName`` (企业商品名称, "汇总后用于退税品名"), else its ``gname``;
- unit, quantity, unit price, amount: the line's ``unit``, ``qty``, ``price``, ``totalPrice``,
  in the line's ``currency``.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import connection

from .grouping import EXPORTED_STATES
from .models import ExemptionRecord

# ieDate is checked by the hub only as 8 digits: parse it only when it is a calendar date (a
# to_date of 20260231 would abort the whole statement), else fall back to the day of release.
_IE_DATE = 'h."ieDate"'
EXPORT_DATE_SQL = f"""
    CASE WHEN {_IE_DATE} ~ '^(19|20)[0-9]{{2}}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])$'
          AND to_char(to_date(substr({_IE_DATE}, 1, 6) || '01', 'YYYYMMDD')
                      + (substr({_IE_DATE}, 7, 2)::int - 1), 'YYYYMMDD') = {_IE_DATE}
         THEN to_date({_IE_DATE}, 'YYYYMMDD')
         ELSE (d.released_at AT TIME ZONE %(tz)s)::date END
"""


def register_fill(*, org_of_code: dict[str, int], window: tuple[datetime, datetime] | None = None,
                  declaration_ids: list[int] | None = None, run_id: int | None = None) -> int:
    """Write the register rows of the released export lists released in ``window``, with the
    given ids, or summarised by run ``run_id``, that are not in the register yet; how many rows
    were written."""
    if window is None and not declaration_ids and run_id is None:
        return 0
    where = ["d.kind = 'CEB603'", "d.direction = 'E'", "NOT d.deleted", "d.list_state = ANY(%(states)s)",
             "d.released_at IS NOT NULL",
             f"NOT EXISTS (SELECT 1 FROM {ExemptionRecord._meta.db_table} r WHERE r.declaration_id = d.id)"]  # noqa: S608
    codes = list(org_of_code)
    params = {"states": list(EXPORTED_STATES), "tz": settings.TIME_ZONE, "codes": codes,
              "orgs": [org_of_code[c] for c in codes]}
    if window is not None:
        where += ["d.released_at >= %(start)s", "d.released_at < %(end)s"]
        params.update(start=window[0], end=window[1])
    if declaration_ids:
        where.append("d.id = ANY(%(ids)s)")
        params["ids"] = list(declaration_ids)
    if run_id is not None:
        where.append("d.id IN (SELECT i.declaration_id FROM summary_summaryitem i "
                     "JOIN summary_summary s ON s.id = i.summary_id WHERE s.run_id = %(run)s)")
        params["run"] = run_id
    sql = f"""
        INSERT INTO {ExemptionRecord._meta.db_table} (
            organization_id, ebc_code, ebc_name, declaration_id, invt_no, gnum, export_date, goods_name, unit,
            quantity, unit_price, amount, currency, gcode, statistics_flag, trade_mode, recorded_at)
        SELECT coalesce(m.org, d.organization_id), left(coalesce(h."ebcCode", ''), 18),
               left(coalesce(h."ebcName", ''), 100), d.id, left(coalesce(nullif(d.invt_no, ''), d.cop_no), 30),
               li.gnum::int, {EXPORT_DATE_SQL},
               left(coalesce(nullif(li."itemName", ''), li.gname, ''), 250),
               left(coalesce(li.unit, ''), 3), coalesce(nullif(li.qty, '')::numeric, 0),
               coalesce(nullif(li.price, '')::numeric, 0),
               coalesce(nullif(li."totalPrice", '')::numeric, 0), left(coalesce(li.currency, ''), 3),
               left(coalesce(li.gcode, ''), 10), left(coalesce(h."statisticsFlag", ''), 1),
               left(d.trade_mode, 4), now()
        FROM filings_declaration d
        JOIN filings_declarationversion v ON v.declaration_id = d.id AND v.number = d.version
        -- each version's head and lines decompressed and parsed once (see grouping.record_columns)
        CROSS JOIN LATERAL jsonb_to_record(v.head) AS h("ebcCode" text, "ebcName" text, "statisticsFlag" text,
                                                        "ieDate" text)
        CROSS JOIN LATERAL jsonb_to_recordset(v.lines) AS li(gnum text, "itemName" text, gname text, unit text,
                                                             qty text, price text, "totalPrice" text,
                                                             currency text, gcode text)
        LEFT JOIN unnest(%(codes)s::text[], %(orgs)s::bigint[]) AS m(code, org) ON m.code = upper(d.ebc_code)
        WHERE {' AND '.join(where)}
        ON CONFLICT (declaration_id, gnum) DO NOTHING
    """  # noqa: S608 - constants and the model's names only
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
