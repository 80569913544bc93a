"""The reconciliation statements: set-based SQL that turns every document of a bounded set of
order numbers into one result row per trade (三单比对, customs.md §1.4), written to the temporary
table ``recon_out`` of the calling transaction.

The scope is either a list of order numbers (a claimed batch of the work queue) or a half-open
range of order numbers (a back-fill); the statements are the same, only the way the documents are
found differs (``SCOPE_KEYS`` / ``SCOPE_RANGE``), and both reach them through the hub's
``declaration_order_idx`` (order_no, ebp_code), on all document tables at once (DESIGN.md §7:
a range on orders only is 9 x slower).

Import sets that need no pairing — one order, at most one payment, waybill and list, one ebpCode,
nearly all of them — are checked in one GROUP BY pass (``import_fast_group``); the rest, and every
export set, by the general statement below.

How documents become a set (import; export alike with the receipt for the payment and the
waybill found through the list's logisticsCode + logisticsNo, export waybills carrying no
orderNo):

- every order (ebpCode + orderNo) anchors a set; payments and lists of an orderNo without any
  order anchor their own set (ebpCode + orderNo), waybills of an orderNo without any other
  document one set under a blank ebpCode;
- a set takes the payment (list) of its own ebpCode, else one of the same orderNo whose ebpCode
  has no order — the same trade with a wrong ebpCode, reported as -900507 rather than as two
  half sets; the newest one when several were declared (-900510);
- the waybill is the one of the orderNo named by the list (logisticsCode + logisticsNo), else the
  newest.

Checks compare columns of ``filings_declaration`` (amount, currency, codes, the blind indexes of
buyer/payer and consignee) and, for list ↔ order, the JSON lines and head of the versions in force
(``jsonb_array_elements``, lines paired by gnum with a FULL JOIN). Failures of personal fields
carry no value here: ``reconcile.py`` fills them in masked, for the few sets that fail them.
"""

from __future__ import annotations

import functools

# The two ways a statement finds its documents. ``d`` is filings_declaration.
# keys: one index probe per order number (a LATERAL kept apart with OFFSET 0, so the planner never
# trades the probes for a scan of the whole table); range: one index range scan.
SCOPE_KEYS = """unnest(%(order_nos)s::text[]) AS k(order_no)
    CROSS JOIN LATERAL (SELECT * FROM filings_declaration x WHERE x.order_no = k.order_no OFFSET 0) d"""
SCOPE_RANGE = "filings_declaration d"
KEYS_WHERE = ""
RANGE_WHERE = "AND d.order_no >= %(lo)s AND d.order_no < %(hi)s"
RANGE_WHERE_OPEN = "AND d.order_no >= %(lo)s"

# Shorthand for one failure object; ``expected`` is the value of the document compared with.
_F = ("jsonb_build_object('code', {code}, 'doc', '{doc}', 'field', {field}, 'value', {value}, "
      "'against', {against}, 'against_field', {against_field}, 'expected', {expected})")


def _failure(code: int, doc: str, field: str, value: str = "NULL", against: str = "NULL",
             against_field: str = "NULL", expected: str = "NULL") -> str:
    return _F.format(code=code, doc=doc, field=field, value=value, against=against, against_field=against_field,
                     expected=expected)


def _num(expr: str) -> str:
    """A numeric column as money is written: at least two decimals, no trailing zeros beyond
    (223.20000 -> 223.20, 1.23450 -> 1.2345)."""
    return f"round({expr}, greatest(scale(trim_scale({expr})), 2))::text"


DOC_COLUMNS = ("d.id, d.doc_type, d.order_no, d.ebp_code, d.ebc_code, d.logistics_code, d.logistics_no, d.amount, "
               "d.currency, d.buyer_id_bidx, d.buyer_name_bidx, d.consignee_bidx, d.parties, d.declared_at, "
               "d.version, d.list_state")

# Lines of the list (lv) against the order (ov), paired by gnum; ``{name_check}`` is the
# direction's item identity rule (import: gname = itemName; export: itemNo = itemNo).
LINES_SQL = """
LEFT JOIN LATERAL (
    SELECT array_agg(z.code) AS codes, jsonb_agg(z.f) AS failures FROM (
        SELECT v.code, v.f FROM (
            SELECT coalesce(ol->>'gnum', ll->>'gnum') AS gnum, ol, ll
            FROM jsonb_array_elements(ov.lines) ol
            FULL JOIN jsonb_array_elements(lv.lines) ll ON (ol->>'gnum') = (ll->>'gnum')
            WHERE lv.lines IS NOT NULL
        ) g
        CROSS JOIN LATERAL (VALUES
            (-900511, CASE WHEN g.ol IS NULL OR g.ll IS NULL THEN jsonb_build_object(
                'code', -900511, 'doc', 'inventory', 'field', 'gnum', 'gnum', g.gnum,
                'value', CASE WHEN g.ll IS NULL THEN NULL ELSE g.gnum END, 'against', 'order',
                'against_field', 'gnum', 'expected', CASE WHEN g.ol IS NULL THEN NULL ELSE g.gnum END) END),
            ({name_code}, CASE WHEN g.ol IS NOT NULL AND g.ll IS NOT NULL
                AND (g.ll->>'{list_name}') IS DISTINCT FROM (g.ol->>'{order_name}') THEN jsonb_build_object(
                'code', {name_code}, 'doc', 'inventory', 'field', '{list_name}', 'gnum', g.gnum,
                'value', g.ll->>'{list_name}', 'against', 'order', 'against_field', '{order_name}',
                'expected', g.ol->>'{order_name}') END),
            (-900513, CASE WHEN g.ol IS NOT NULL AND g.ll IS NOT NULL
                AND (g.ll->>'qty')::numeric IS DISTINCT FROM (g.ol->>'qty')::numeric THEN jsonb_build_object(
                'code', -900513, 'doc', 'inventory', 'field', 'qty', 'gnum', g.gnum, 'value', g.ll->>'qty',
                'against', 'order', 'against_field', 'qty', 'expected', g.ol->>'qty') END),
            (-900515, CASE WHEN g.ol IS NOT NULL AND g.ll IS NOT NULL
                AND (g.ll->>'price')::numeric IS DISTINCT FROM (g.ol->>'price')::numeric THEN jsonb_build_object(
                'code', -900515, 'doc', 'inventory', 'field', 'price', 'gnum', g.gnum, 'value', g.ll->>'price',
                'against', 'order', 'against_field', 'price', 'expected', g.ol->>'price') END),
            (-900514, CASE WHEN g.ol IS NOT NULL AND g.ll IS NOT NULL
                AND (g.ll->>'totalPrice')::numeric IS DISTINCT FROM (g.ol->>'totalPrice')::numeric
                THEN jsonb_build_object(
                'code', -900514, 'doc', 'inventory', 'field', 'totalPrice', 'gnum', g.gnum,
                'value', g.ll->>'totalPrice', 'against', 'order', 'against_field', 'totalPrice',
                'expected', g.ol->>'totalPrice') END)
        ) v(code, f)
        WHERE v.f IS NOT NULL
        UNION ALL
        SELECT -900516, jsonb_build_object('code', -900516, 'doc', 'inventory', 'field', 'totalPrice',
                'value', round(t.total, greatest(scale(trim_scale(t.total)), 2))::text, 'against', 'order',
                'against_field', 'goodsValue',
                'expected', ov.head->>'goodsValue')
        FROM (SELECT sum((e->>'totalPrice')::numeric) AS total FROM jsonb_array_elements(lv.lines) e) t
        WHERE lv.lines IS NOT NULL AND t.total IS DISTINCT FROM (ov.head->>'goodsValue')::numeric
    ) z
) lines ON true
"""


# The statements insert into this table of the calling transaction.
CREATE_OUT = """
CREATE TEMPORARY TABLE IF NOT EXISTS recon_out (
    direction varchar(1), order_no varchar(60), ebp_code varchar(18), order_id bigint, payment_id bigint,
    waybill_id bigint, inventory_id bigint, inventory_state varchar(12), status varchar(12), codes int[],
    failures jsonb, missing varchar(20)[], since timestamptz, parties bigint[]
) ON COMMIT DELETE ROWS
"""


def _version(alias: str, declaration: str, version: str, condition: str) -> str:
    """The version in force of one declaration, read only when ``condition`` holds (a one-time
    filter: rows without a list never touch the versions table)."""
    return (f"LEFT JOIN LATERAL (SELECT v.head, v.lines FROM filings_declarationversion v "  # noqa: S608
            f"WHERE v.declaration_id = {declaration} AND v.number = {version} AND {condition} OFFSET 0) "
            f"{alias} ON true")


def _import_checks() -> dict:
    """What import sets are checked for, shared by the general statement and the fast path."""
    head_checks = [
        # (code, condition, failure)
        (-900501, "j.p_id IS NOT NULL AND j.o_amount IS DISTINCT FROM j.p_amount",
         _failure(-900501, "payment", "'amountPaid'", _num("j.p_amount"), "'order'", "'acturalPaid'",
                  _num("j.o_amount"))),
        (-900502, "j.p_id IS NOT NULL AND j.o_bid IS DISTINCT FROM j.p_bid",
         _failure(-900502, "payment", "'payerIdNumber'", against="'order'", against_field="'buyerIdNumber'")),
        (-900503, "j.p_id IS NOT NULL AND j.o_bname IS DISTINCT FROM j.p_bname",
         _failure(-900503, "payment", "'payerName'", against="'order'", against_field="'buyerName'")),
        (-900504, "j.w_id IS NOT NULL AND j.o_cons IS DISTINCT FROM j.w_cons",
         _failure(-900504, "waybill", "'consignee'", against="'order'", against_field="'consignee'")),
        (-900507, "j.p_id IS NOT NULL AND j.p_ebp <> j.ebp_code",
         _failure(-900507, "payment", "'ebpCode'", "j.p_ebp", "'order'", "'ebpCode'", "j.ebp_code")),
        (-900507, "j.l_id IS NOT NULL AND j.l_ebp <> j.ebp_code",
         _failure(-900507, "inventory", "'ebpCode'", "j.l_ebp", "'order'", "'ebpCode'", "j.ebp_code")),
        (-900508, "j.l_id IS NOT NULL AND j.w_id IS NOT NULL AND (j.l_lcode, j.l_lno) <> (j.w_lcode, j.w_lno)",
         _failure(-900508, "inventory", "'logisticsNo'", "j.l_lcode || ' ' || j.l_lno", "'waybill'",
                  "'logisticsNo'", "j.w_lcode || ' ' || j.w_lno")),
        (-900509, "j.o_currency <> '142'", _failure(-900509, "order", "'currency'", "j.o_currency",
                                                    expected="'142'")),
        (-900509, "j.p_id IS NOT NULL AND j.p_currency <> '142'",
         _failure(-900509, "payment", "'currency'", "j.p_currency", expected="'142'")),
        (-900509, "j.w_id IS NOT NULL AND j.w_currency <> '142'",
         _failure(-900509, "waybill", "'currency'", "j.w_currency", expected="'142'")),
        (-900509, "j.l_id IS NOT NULL AND j.l_currency <> '142'",
         _failure(-900509, "inventory", "'currency'", "j.l_currency", expected="'142'")),
        (-900510, "j.p_n > 1", _failure(-900510, "payment", "''", "j.p_n::text")),
        (-900510, "j.w_n > 1", _failure(-900510, "waybill", "''", "j.w_n::text")),
    ]
    return {
        "head_checks": head_checks,
        "complete": "j.order_id IS NOT NULL AND j.p_id IS NOT NULL AND j.w_id IS NOT NULL",
        "missing": """ARRAY[CASE WHEN j.order_id IS NULL THEN 'order' END, CASE WHEN j.p_id IS NULL THEN 'payment' END,
                         CASE WHEN j.w_id IS NULL THEN 'waybill' END]""",
        "order_version_condition": "j.l_id IS NOT NULL",
        "lines": LINES_SQL.format(name_code=-900512, list_name="gname", order_name="itemName"),
    }


@functools.lru_cache(maxsize=8)
def import_statement(scope: str, where: str) -> str:
    """Import: order (CEB311), payment (CEB411), waybill (CEB511), list (CEB621)."""
    return _statement(
        scope=scope, where=where, direction="I", doc_types="'order', 'payment', 'waybill', 'inventory'",
        payment_type="'payment'", **_import_checks(),
        waybills="""
wg AS (SELECT order_no, max(id) AS id, count(*) AS n FROM docs WHERE doc_type = 'waybill' GROUP BY order_no),""",
        waybill_anchor="""
    UNION ALL
    SELECT DISTINCT w.order_no, '', NULL::bigint FROM wg w
    WHERE NOT EXISTS (SELECT 1 FROM docs x WHERE x.order_no = w.order_no AND x.doc_type <> 'waybill')""",
        # the waybill of the orderNo that the list names, else the newest one
        waybill_choice="""
    LEFT JOIN wg ON wg.order_no = kl.order_no
    LEFT JOIN docs wn ON kl.l_id IS NOT NULL AND wn.doc_type = 'waybill' AND wn.order_no = kl.order_no
                         AND wn.logistics_no = kl.l_lno AND wn.logistics_code = kl.l_lcode""",
        waybill_id="coalesce(wn.id, wg.id)", waybill_n="wg.n", waybill_table="docs",
    )


# --- the import fast path ----------------------------------------------------------------------
# Most order numbers carry exactly one order, at most one payment, one waybill and one list, all
# of one ebpCode: their documents need no pairing. One GROUP BY over the scope's documents gives
# each such set in one row (``recon_g``); they are checked by the same tail as the general
# statement, and only the other order numbers (several orders or payments, a wrong ebpCode, no
# order yet) go through the general statement, by their keys.

FAST_COLUMNS = {
    "o": ("id AS order_id", "ebp_code AS ebp_code", "amount AS o_amount", "currency AS o_currency",
          "ebc_code AS o_ebc", "buyer_id_bidx AS o_bid", "buyer_name_bidx AS o_bname", "consignee_bidx AS o_cons",
          "parties AS o_parties", "declared_at AS o_at", "version AS o_version"),
    "p": ("id AS p_id", "ebp_code AS p_ebp", "ebc_code AS p_ebc", "amount AS p_amount", "currency AS p_currency",
          "buyer_id_bidx AS p_bid", "buyer_name_bidx AS p_bname", "parties AS p_parties", "declared_at AS p_at"),
    "w": ("id AS w_id", "logistics_code AS w_lcode", "logistics_no AS w_lno", "currency AS w_currency",
          "consignee_bidx AS w_cons", "parties AS w_parties", "declared_at AS w_at"),
    "l": ("id AS l_id", "ebp_code AS l_ebp", "ebc_code AS l_ebc", "logistics_code AS l_lcode",
          "logistics_no AS l_lno", "currency AS l_currency", "version AS l_version", "list_state AS l_state",
          "parties AS l_parties", "declared_at AS l_at"),
}
FAST_TYPES = {"o": "order", "p": "payment", "w": "waybill", "l": "inventory"}
FAST_SIMPLE = ("n_o = 1 AND n_p <= 1 AND n_w <= 1 AND n_l <= 1 AND (n_p = 0 OR p_ebp = ebp_code) "
               "AND (n_l = 0 OR l_ebp = ebp_code)")


COLUMN_TYPES = {"id": "bigint", "ebp_code": "varchar(18)", "ebc_code": "varchar(18)", "amount": "numeric(24, 5)",
                "currency": "varchar(3)", "buyer_id_bidx": "varchar(64)", "buyer_name_bidx": "varchar(64)",
                "consignee_bidx": "varchar(64)", "parties": "bigint[]", "declared_at": "timestamptz",
                "version": "integer", "logistics_code": "varchar(18)", "logistics_no": "varchar(60)",
                "list_state": "varchar(12)"}


def _fast_columns() -> list[tuple[str, str, str]]:
    """(document type, source column, alias) of ``recon_g``'s document columns."""
    return [(t, *item.split(" AS ")) for t, items in FAST_COLUMNS.items() for item in items]


# Kept for the connection's life, emptied at every commit: no catalog churn per batch.
CREATE_G = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS recon_g (
    order_no varchar(60), {", ".join(f"n_{t} bigint" for t in FAST_TYPES)},
    {", ".join(f"{alias} {COLUMN_TYPES[column]}" for _t, column, alias in _fast_columns())}
) ON COMMIT DELETE ROWS
"""


@functools.lru_cache(maxsize=8)
def import_fast_group(scope: str, where: str) -> str:
    """``recon_g``: one row per order number of the scope, its documents' columns side by side
    and how many of each type there are."""
    columns = [f"count(*) FILTER (WHERE d.doc_type = '{FAST_TYPES[t]}')" for t in FAST_TYPES]
    columns += [f"max(d.{column}) FILTER (WHERE d.doc_type = '{FAST_TYPES[t]}')" for t, column, _a in _fast_columns()]
    return f"""
INSERT INTO recon_g
SELECT d.order_no, {", ".join(columns)}
FROM {scope}
WHERE d.direction = 'I' AND d.doc_type IN ('order', 'payment', 'waybill', 'inventory') AND NOT d.deleted
  AND d.app_status = '2' {where}
GROUP BY d.order_no
"""  # noqa: S608 (constant SQL parts only)


@functools.lru_cache(maxsize=8)
def import_fast_statement() -> str:
    """The simple sets of ``recon_g`` into ``recon_out``."""
    return f"""
INSERT INTO recon_out
WITH j AS (
    SELECT g.*, nullif(g.n_p, 0) AS p_n, nullif(g.n_w, 0) AS w_n, nullif(g.n_l, 0) AS l_n
    FROM recon_g g WHERE {FAST_SIMPLE}
),
{_tail(direction="I", **_import_checks())}"""  # noqa: S608 (constant SQL parts only)


IMPORT_COMPLEX_KEYS = f"SELECT order_no FROM recon_g WHERE NOT ({FAST_SIMPLE})"  # noqa: S608



@functools.lru_cache(maxsize=8)
def export_statement(scope: str, where: str) -> str:
    """Export: order (CEB303), receipt (CEB403), list (CEB603), waybill (CEB505, through the list)."""
    head_checks = [
        (-900518, "j.l_id IS NOT NULL AND j.l_ebc <> j.o_ebc",
         _failure(-900518, "inventory", "'ebcCode'", "j.l_ebc", "'order'", "'ebcCode'", "j.o_ebc")),
        (-900519, "j.p_id IS NOT NULL AND j.p_ebc <> j.o_ebc",
         _failure(-900519, "receipt", "'ebcCode'", "j.p_ebc", "'order'", "'ebcCode'", "j.o_ebc")),
        (-900507, "j.p_id IS NOT NULL AND j.p_ebp <> j.ebp_code",
         _failure(-900507, "receipt", "'ebpCode'", "j.p_ebp", "'order'", "'ebpCode'", "j.ebp_code")),
        (-900507, "j.l_id IS NOT NULL AND j.l_ebp <> j.ebp_code",
         _failure(-900507, "inventory", "'ebpCode'", "j.l_ebp", "'order'", "'ebpCode'", "j.ebp_code")),
        (-900520, "j.p_id IS NOT NULL AND j.p_currency <> j.o_currency",
         _failure(-900520, "receipt", "'currency'", "j.p_currency", "'order'", "'currency'", "j.o_currency")),
        (-900510, "j.p_n > 1", _failure(-900510, "receipt", "''", "j.p_n::text")),
        (-900510, "j.l_n > 1", _failure(-900510, "inventory", "''", "j.l_n::text")),
    ]
    return _statement(
        scope=scope, where=where, direction="E", doc_types="'order', 'receipt', 'inventory'",
        payment_type="'receipt'", head_checks=head_checks,
        # export waybills carry no orderNo: the ones the sets' lists name
        waybills="""
wb AS (
    SELECT w.id, w.logistics_code, w.logistics_no, w.currency, w.consignee_bidx, w.parties, w.declared_at
    FROM (SELECT DISTINCT logistics_code, logistics_no FROM docs WHERE doc_type = 'inventory') n
    JOIN filings_declaration w ON w.logistics_no = n.logistics_no AND w.logistics_code = n.logistics_code
    WHERE w.kind = 'CEB505' AND NOT w.deleted AND w.app_status = '2'
),
wg AS (SELECT logistics_code, logistics_no, max(id) AS id, count(*) AS n FROM wb GROUP BY 1, 2),""",
        waybill_anchor="",
        waybill_choice="""
    LEFT JOIN wg ON wg.logistics_no = kl.l_lno AND wg.logistics_code = kl.l_lcode""",
        waybill_id="wg.id", waybill_n="wg.n", waybill_table="wb",
        complete="""j.order_id IS NOT NULL AND j.l_id IS NOT NULL AND j.w_id IS NOT NULL
                    AND (j.p_id IS NOT NULL OR (ov.head->>'orderType') = ANY(%(receipt_optional)s::text[]))""",
        missing="""ARRAY[CASE WHEN j.order_id IS NULL THEN 'order' END,
                         CASE WHEN j.p_id IS NULL AND (j.order_id IS NULL
                              OR NOT (ov.head->>'orderType') = ANY(%(receipt_optional)s::text[])) THEN 'receipt' END,
                         CASE WHEN j.l_id IS NULL THEN 'inventory' END, CASE WHEN j.w_id IS NULL THEN 'waybill' END]""",
        order_version_condition="true",
        lines=LINES_SQL.format(name_code=-900517, list_name="itemNo", order_name="itemNo"),
    )


def _statement(*, scope, where, direction, doc_types, payment_type, head_checks, waybills, waybill_anchor,
               waybill_choice, waybill_id, waybill_n, waybill_table, complete, missing, order_version_condition,
               lines) -> str:
    return f"""
INSERT INTO recon_out
WITH docs AS MATERIALIZED (
    SELECT {DOC_COLUMNS} FROM {scope}
    WHERE d.direction = '{direction}' AND d.doc_type IN ({doc_types}) AND NOT d.deleted AND d.app_status = '2' {where}
),
o AS (SELECT id, order_no, ebp_code FROM docs WHERE doc_type = 'order'),
pg AS (SELECT order_no, ebp_code, max(id) AS id, count(*) AS n FROM docs WHERE doc_type = {payment_type}
       GROUP BY order_no, ebp_code),
lg AS (SELECT order_no, ebp_code, max(id) AS id, count(*) AS n FROM docs WHERE doc_type = 'inventory'
       GROUP BY order_no, ebp_code),
{_leftover("pl", "pg")},
{_leftover("ll", "lg")},
{waybills.strip()}
anchors AS (
    SELECT order_no, ebp_code, id AS order_id FROM o
    UNION ALL
    SELECT DISTINCT g.order_no, g.ebp_code, NULL::bigint
    FROM (SELECT order_no, ebp_code FROM pg UNION ALL SELECT order_no, ebp_code FROM lg) g
    WHERE NOT EXISTS (SELECT 1 FROM o WHERE o.order_no = g.order_no)
    {waybill_anchor.strip()}
),
k AS (
    SELECT a.order_no, a.ebp_code, a.order_id,
           coalesce(pe.id, CASE WHEN a.order_id IS NOT NULL THEN pl.id END) AS p_id,
           coalesce(pe.n, CASE WHEN a.order_id IS NOT NULL THEN pl.n END) AS p_n,
           coalesce(le.id, CASE WHEN a.order_id IS NOT NULL THEN ll.id END) AS l_id,
           coalesce(le.n, CASE WHEN a.order_id IS NOT NULL THEN ll.n END) AS l_n
    FROM anchors a
    LEFT JOIN pg pe ON pe.order_no = a.order_no AND pe.ebp_code = a.ebp_code
    LEFT JOIN pl ON pl.order_no = a.order_no
    LEFT JOIN lg le ON le.order_no = a.order_no AND le.ebp_code = a.ebp_code
    LEFT JOIN ll ON ll.order_no = a.order_no
),
kl AS (
    SELECT k.*, l.ebp_code AS l_ebp, l.ebc_code AS l_ebc, l.logistics_code AS l_lcode, l.logistics_no AS l_lno,
           l.currency AS l_currency, l.version AS l_version, l.list_state AS l_state, l.parties AS l_parties,
           l.declared_at AS l_at
    FROM k LEFT JOIN (SELECT * FROM docs WHERE doc_type = 'inventory') l ON l.id = k.l_id
),
j AS (
    SELECT kl.*, o.amount AS o_amount, o.currency AS o_currency, o.ebc_code AS o_ebc,
           o.buyer_id_bidx AS o_bid, o.buyer_name_bidx AS o_bname, o.consignee_bidx AS o_cons,
           o.parties AS o_parties, o.declared_at AS o_at, o.version AS o_version,
           p.ebp_code AS p_ebp, p.ebc_code AS p_ebc, p.amount AS p_amount, p.currency AS p_currency,
           p.buyer_id_bidx AS p_bid, p.buyer_name_bidx AS p_bname, p.parties AS p_parties, p.declared_at AS p_at,
           w.id AS w_id, w.logistics_code AS w_lcode, w.logistics_no AS w_lno, w.currency AS w_currency,
           w.consignee_bidx AS w_cons, w.parties AS w_parties, w.declared_at AS w_at, {waybill_n} AS w_n
    FROM kl
    {waybill_choice.strip()}
    LEFT JOIN (SELECT * FROM docs WHERE doc_type = 'order') o ON o.id = kl.order_id
    LEFT JOIN (SELECT * FROM docs WHERE doc_type = {payment_type}) p ON p.id = kl.p_id
    LEFT JOIN {waybill_table} w ON w.id = {waybill_id}
),
{_tail(direction=direction, head_checks=head_checks, complete=complete, missing=missing,
       order_version_condition=order_version_condition, lines=lines)}"""  # noqa: S608 (constant SQL parts only)


def _tail(*, direction, head_checks, complete, missing, order_version_condition, lines) -> str:
    """The checks over the set's chosen documents (the CTE ``j``, one row a set) and the result
    rows: shared by the general statement and the import fast path."""
    codes = ",\n            ".join(f"CASE WHEN {cond} THEN {code} END" for code, cond, _f in head_checks)
    # the failures are built in the outer SELECT, over ``c`` (which carries every column of ``j``)
    failures = ",\n                ".join(f"CASE WHEN {cond} THEN {f} END".replace("j.", "c.")
                                          for _c, cond, f in head_checks)
    return f"""c AS (
    SELECT j.*, ov.head AS o_head, ({complete}) AS complete,
           array_remove(ARRAY[
            {codes}
           ]::int[], NULL) || coalesce(lines.codes, '{{}}'::int[]) AS codes,
           lines.failures AS line_failures,
           array_remove({missing}, NULL) AS missing
    FROM j
    {_version("ov", "j.order_id", "j.o_version", "j.order_id IS NOT NULL AND " + order_version_condition)}
    {_version("lv", "j.l_id", "j.l_version", "j.l_id IS NOT NULL AND j.order_id IS NOT NULL")}
    {lines.strip()}
)
SELECT '{direction}'::varchar(1) AS direction, c.order_no, c.ebp_code, c.order_id, c.p_id AS payment_id,
       c.w_id AS waybill_id, c.l_id AS inventory_id, c.l_state AS inventory_state,
       CASE WHEN NOT c.complete THEN
                CASE WHEN least(c.o_at, c.p_at, c.w_at, c.l_at) < %(incomplete_before)s
                     THEN 'incomplete' ELSE 'pending' END
            WHEN cardinality(c.codes) = 0 THEN 'matched' ELSE 'mismatched' END::varchar(12) AS status,
       CASE WHEN c.complete THEN c.codes ELSE '{{}}'::int[] END AS codes,
       CASE WHEN c.complete AND cardinality(c.codes) > 0 THEN
            (SELECT coalesce(jsonb_agg(f), '[]'::jsonb) FROM unnest(ARRAY[
                {failures}
            ]::jsonb[]) f WHERE f IS NOT NULL) || coalesce(c.line_failures, '[]'::jsonb)
            ELSE '[]'::jsonb END AS failures,
       c.missing::varchar(20)[] AS missing,
       least(c.o_at, c.p_at, c.w_at, c.l_at) AS since,
       {_parties()} AS parties
FROM c
"""  # noqa: S608 (constant table names and SQL parts only)


def _parties() -> str:
    """The organizations of the set's documents, each once (each document's own list is already
    without repeats; the set of them is sorted only when two documents share one)."""
    arrays = [f"coalesce(c.{x}_parties, '{{}}')" for x in "opwl"]
    overlaps = " OR ".join(f"{a} && {b}" for i, a in enumerate(arrays) for b in arrays[i + 1:])
    concat = " || ".join(arrays)
    return (f"CASE WHEN {overlaps} THEN ARRAY(SELECT DISTINCT x FROM unnest({concat}) x ORDER BY x) "  # noqa: S608
            f"ELSE {concat} END")


def _leftover(name: str, grouped: str) -> str:
    """The payments (lists) of an orderNo whose ebpCode has no order — the newest per orderNo —
    for the sets whose own ebpCode has none: the same trade declared with a wrong ebpCode."""
    return f"""{name} AS (
    SELECT DISTINCT ON (g.order_no) g.order_no, g.id, g.n FROM {grouped} g
    WHERE NOT EXISTS (SELECT 1 FROM o WHERE o.order_no = g.order_no AND o.ebp_code = g.ebp_code)
    ORDER BY g.order_no, g.id DESC
)"""  # noqa: S608 (constant table names and SQL parts only)
