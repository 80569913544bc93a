"""Reconciliation (三单比对) of 1,000,000 import orders × 3 documents, end to end through the
platform's own code, next to ONE SQL statement that performs the same checks (the limit,
measured in the same run, on the same rows).

The goal (issue 5): the platform's path at **≥ 50 % of the single statement's speed** in orders/s,
with every planted mismatch found and none invented (asserted: the exit status is 1 otherwise).

The data: N orders (CEB311, 2 lines), their payments (CEB411) and waybills (CEB511), declared by
three organizations of the bench database (platform, payment company, logistics company), loaded
with COPY straight into the hub's tables (``filings_declaration`` with the blind indexes the hub
computes, ``filings_declarationversion`` with the head and lines JSON and the SM4-encrypted
personal fields), as the hub would have stored them. About 2 % of the orders carry one planted
mismatch, spread over nine rules (amountPaid, payer ID, payer name, consignee name / telephone /
address, the payment's ebpCode, the waybill's currency, a second payment); about 1 % miss a
document (payment, waybill or order; half of them declared two days ago, so they must come out
incomplete rather than pending).

Measured, one after the other on the same rows:

1. **the limit** — one ``CREATE TEMP TABLE … AS SELECT`` joining orders, payments and waybills and
   computing the same rule codes and completeness (hand-written, no batching, no writes beyond
   the temporary table), run before and after the platform: the faster run is the limit;
2. **the platform, by ranges** (the figure held to the goal) — what the back-fill tasks do with
   documents already in the hub (``reconciliation_backfill`` fans out one
   ``reconciliation_backfill_range`` task per range): ``services.order_no_ranges`` cuts the order
   numbers into ranges of ``BENCH_BATCH`` orders, and ``services.reconcile_backfill`` reconciles
   each in one transaction — the set-based statements, the masked personal-field failures, the
   results with their history, the ``reconciliation.result`` events (``publish_many``) — in
   ``BENCH_WORKERS`` processes (default 2: a Celery worker of concurrency 2 on this 2-core machine);
3. **the platform, by the work queue** (``BENCH_QUEUE=1``, default; results cleared first) — the
   event path with the same backlog: the sweep's set-based enqueue of every document's order
   key (``services.work_enqueue_missed``), then ``services.work_drain`` (the drain task's body:
   claim, reconcile, write, delete the queue rows, one transaction a batch) in the same number
   of processes.

Then every result is checked against the plan. The run's rows are deleted at the end
(``BENCH_KEEP_ROWS=1`` keeps them).

    BENCH_SCALE=small python bench/bench_reconcile.py   # 20,000 orders, well under a minute
    python bench/bench_reconcile.py                     # 1,000,000 orders

Knobs: ``BENCH_ORDERS`` (overrides the scale), ``BENCH_WORKERS`` (2), ``BENCH_BATCH`` (orders per
range or batch, default 10000), ``BENCH_QUEUE`` (1; 0 skips the work-queue measurement),
``BENCH_EVENTS`` (1; 0 skips publishing, to show what events cost), ``BENCH_OUTPUT``
(``var/bench/reconcile.json``).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import ensure_database, log, migrate, server_env  # noqa: E402

SCALES = {"small": 20_000, "full": 1_000_000}
DEFAULT_OUTPUT = ROOT / "var" / "bench" / "reconcile.json"
GOAL_RATIO = 0.5
BUYERS = 2000

# Plan of order i: i % 1000 < 20 → one planted mismatch (2 %), 20 ≤ … < 30 → a missing document (1 %).
MISMATCHES = ["amount", "payer_id", "payer_name", "consignee", "consignee_tel", "consignee_addr", "ebp", "currency",
              "dup_payment"]
EXPECTED_CODES = {"amount": [-900501], "payer_id": [-900502], "payer_name": [-900503], "consignee": [-900504],
                  "consignee_tel": [-900505], "consignee_addr": [-900506], "ebp": [-900507], "currency": [-900509],
                  "dup_payment": [-900510]}
MISSING = ["payment", "waybill", "order"]


def plan_of(i: int) -> tuple[str, str | None, bool]:
    """(kind, what, old): kind is clean / mismatch / missing."""
    bucket = i % 1000
    if bucket < 20:
        return "mismatch", MISMATCHES[(i // 1000 + bucket) % len(MISMATCHES)], False
    if bucket < 30:
        return "missing", MISSING[(i // 1000 + bucket) % len(MISSING)], bucket % 2 == 0
    return "clean", None, False


# --- data ------------------------------------------------------------------------------------

def buyer(index: int) -> dict:
    from stdnum.cn import ric

    body = f"110105{1950 + index % 50:04d}{1 + index % 12:02d}{1 + index % 28:02d}{index % 1000:03d}"
    return {"id": body + ric.calc_check_digit(body), "name": f"买家{index:05d}", "tel": f"139{index:08d}",
            "addr": f"浙江省杭州市西湖区文三路{index}号"}


class Personal:
    """Blind indexes and encrypted personal blobs, cached per buyer (the costly part of loading)."""

    def __init__(self):
        from zone_portal.core import crypto

        self.crypto = crypto
        self.cache: dict = {}

    def order(self, b: dict) -> tuple:
        key = ("o", b["id"], b["name"], b["tel"], b["addr"])
        if key not in self.cache:
            c = self.crypto
            blob = json.dumps({"buyerRegNo": "u" + b["tel"], "buyerName": b["name"], "buyerTelephone": b["tel"],
                               "buyerIdNumber": b["id"], "consignee": b["name"], "consigneeTelephone": b["tel"],
                               "consigneeAddress": b["addr"]}, ensure_ascii=False)
            self.cache[key] = (c.blind_index(b["id"], "id_number"), c.blind_index(b["name"], "text"),
                               c.blind_index("|".join((b["name"], b["tel"], b["addr"])), "text"), c.encrypt(blob))
        return self.cache[key]

    def payment(self, b: dict) -> tuple:
        key = ("p", b["id"], b["name"], b["tel"])
        if key not in self.cache:
            c = self.crypto
            blob = json.dumps({"payerIdNumber": b["id"], "payerName": b["name"], "telephone": b["tel"]},
                              ensure_ascii=False)
            self.cache[key] = (c.blind_index(b["id"], "id_number"), c.blind_index(b["name"], "text"), c.encrypt(blob))
        return self.cache[key]

    def waybill(self, b: dict) -> tuple:
        key = ("w", b["name"], b["tel"], b["addr"])
        if key not in self.cache:
            c = self.crypto
            blob = json.dumps({"consignee": b["name"], "consigneeTelephone": b["tel"], "consigneeAddress": b["addr"]},
                              ensure_ascii=False)
            self.cache[key] = (c.blind_index("|".join((b["name"], b["tel"], b["addr"])), "text"), c.encrypt(blob))
        return self.cache[key]


DECL_COLUMNS = ("id", "kind", "direction", "doc_type", "organization_id", "business_key", "guid", "app_type",
                "app_status", "deleted", "order_no", "ebp_code", "ebc_code", "pay_code", "logistics_code", "agent_code",
                "logistics_no", "invt_no", "cop_no", "trade_mode", "amount", "currency", "buyer_id_bidx",
                "buyer_name_bidx", "consignee_bidx", "parties", "return_status", "list_state", "declared_at",
                "updated_at", "version")
VERSION_COLUMNS = ("declaration_id", "number", "guid", "app_type", "app_status", "head", "lines", "personal",
                   "signature", "source", "message_guid", "received_at")


def new_guid() -> str:
    import uuid

    return str(uuid.uuid4()).upper()


def load(n: int, run: str, orgs: dict) -> dict:
    """COPY the run's documents into the hub's tables; returns what was planted."""
    from django.db import connection

    personal = Personal()
    buyers = [buyer(i) for i in range(BUYERS)]
    now = datetime.now(UTC)
    old = now - timedelta(days=2)
    plan = {}
    decl_rows, version_rows = [], []
    codes = orgs["codes"]
    with connection.cursor() as cursor:
        n_docs = n * 3 + n // 100  # the duplicate payments
        cursor.execute("SELECT nextval(pg_get_serial_sequence('filings_declaration', 'id')) "
                       "FROM generate_series(1, %s)", [n_docs + 10])
        ids = iter(row[0] for row in cursor.fetchall())
    for i in range(n):
        kind, what, is_old = plan_of(i)
        order_no = f"{run}-{i:07d}"
        plan[order_no] = (kind, what, is_old)
        at = old if is_old else now
        b = buyers[i % BUYERS]
        o_bid, o_bname, o_cons, o_blob = personal.order(b)
        p_bid, p_bname, p_blob = personal.payment(b)
        w_cons, w_blob = personal.waybill(b)
        paid = "223.20"
        pay_amount, pay_ebp, w_currency = paid, codes["platform"], "142"
        if what == "amount":
            pay_amount = "220.00"
        elif what == "payer_id":
            p_bid, p_bname, p_blob = personal.payment(dict(b, id=buyers[(i + 1) % BUYERS]["id"]))
        elif what == "payer_name":
            p_bid, p_bname, p_blob = personal.payment(dict(b, name=b["name"] + "乙"))
        elif what == "consignee":
            w_cons, w_blob = personal.waybill(dict(b, name=b["name"] + "丙"))
        elif what == "consignee_tel":
            w_cons, w_blob = personal.waybill(dict(b, tel="138" + b["tel"][3:]))
        elif what == "consignee_addr":
            w_cons, w_blob = personal.waybill(dict(b, addr=b["addr"] + "2幢"))
        elif what == "ebp":
            pay_ebp = codes["other_platform"]
        elif what == "currency":
            w_currency = "502"
        skip = what if kind == "missing" else None
        base = dict(direction="I", app_type="1", app_status="2", deleted=False, order_no=order_no, ebp_code="",
                    ebc_code="",
                    pay_code="", logistics_code="", agent_code="", logistics_no="", invt_no="", cop_no="",
                    trade_mode="", buyer_id_bidx=None, buyer_name_bidx=None, consignee_bidx=None, return_status="120",
                    list_state="", declared_at=at, updated_at=at, version=1)
        if skip != "order":
            guid = new_guid()
            decl_id = next(ids)
            decl_rows.append(dict(base, id=decl_id, kind="CEB311", doc_type="order", organization_id=orgs["platform"],
                                  business_key=f"{codes['platform']}|{order_no}", guid=guid, ebp_code=codes["platform"],
                                  ebc_code=codes["ebc"], amount=paid, currency="142", buyer_id_bidx=o_bid,
                                  buyer_name_bidx=o_bname, consignee_bidx=o_cons,
                                  parties=[orgs["platform"], orgs["ebc"]]))
            version_rows.append((decl_id, 1, guid, "1", "2", json.dumps(order_head(guid, order_no, codes),
                                                                        ensure_ascii=False),
                                 ORDER_LINES, o_blob, "", "json", "", at))
        payments = [] if skip == "payment" else [pay_amount]
        if what == "dup_payment":
            payments.append(pay_amount)
        for k, amount in enumerate(payments):
            guid = new_guid()
            decl_id = next(ids)
            pay_no = f"PAY-{order_no}-{k}"
            decl_rows.append(dict(base, id=decl_id, kind="CEB411", doc_type="payment", organization_id=orgs["payer"],
                                  business_key=f"{codes['payer']}|{pay_no}", guid=guid, ebp_code=pay_ebp,
                                  pay_code=codes["payer"], amount=amount, currency="142", buyer_id_bidx=p_bid,
                                  buyer_name_bidx=p_bname, parties=[orgs["payer"]]))
            version_rows.append((decl_id, 1, guid, "1", "2", json.dumps({
                "guid": guid, "appType": "1", "appTime": "20261122120000", "appStatus": "2", "payCode": codes["payer"],
                "payName": "基准支付", "payTransactionId": pay_no, "orderNo": order_no, "ebpCode": pay_ebp,
                "ebpName": "基准平台", "payerIdType": "1", "amountPaid": amount, "currency": "142",
                "payTime": "20261122120000"}, ensure_ascii=False), "[]", p_blob, "", "json", "", at))
        if skip != "waybill":
            guid = new_guid()
            decl_id = next(ids)
            waybill_no = f"WB-{order_no}"
            decl_rows.append(dict(base, id=decl_id, kind="CEB511", doc_type="waybill",
                                  organization_id=orgs["logistics"], business_key=f"{codes['logistics']}|{waybill_no}",
                                  guid=guid, logistics_code=codes["logistics"], logistics_no=waybill_no,
                                  amount=None, currency=w_currency, consignee_bidx=w_cons,
                                  parties=[orgs["logistics"]]))
            version_rows.append((decl_id, 1, guid, "1", "2", json.dumps({
                "guid": guid, "appType": "1", "appTime": "20261122120000", "appStatus": "2",
                "logisticsCode": codes["logistics"], "logisticsName": "基准物流", "logisticsNo": waybill_no,
                "orderNo": order_no, "freight": "10", "insuredFee": "0", "currency": w_currency, "weight": "0.8",
                "packNo": "1", "goodsInfo": "面霜、口红"}, ensure_ascii=False), "[]", w_blob, "", "json", "", at))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        columns = ", ".join(DECL_COLUMNS)
        with cursor.copy(f"COPY filings_declaration ({columns}) FROM STDIN") as copy:
            for row in decl_rows:
                copy.write_row(tuple(row[c] for c in DECL_COLUMNS))
        with cursor.copy(f"COPY filings_declarationversion ({', '.join(VERSION_COLUMNS)}) FROM STDIN") as copy:
            for row in version_rows:
                copy.write_row(row)
        cursor.execute("ANALYZE filings_declaration")
    log(f"COPY of {len(decl_rows):,} documents and their versions: {time.perf_counter() - started:.1f} s")
    return plan


ORDER_LINES = json.dumps([
    {"gnum": "1", "itemNo": "SKU-1", "itemName": "面霜", "gmodel": "50ml/瓶", "unit": "142", "qty": "2",
     "price": "60.00", "totalPrice": "120.00", "currency": "142", "country": "502"},
    {"gnum": "2", "itemNo": "SKU-2", "itemName": "口红", "gmodel": "3.5g/支", "unit": "011", "qty": "1",
     "price": "80.00", "totalPrice": "80.00", "currency": "142", "country": "303"}], ensure_ascii=False)


def order_head(guid: str, order_no: str, codes: dict) -> dict:
    return {"guid": guid, "appType": "1", "appTime": "20261122120000", "appStatus": "2", "orderType": "I",
            "orderNo": order_no, "ebpCode": codes["platform"], "ebpName": "基准平台", "ebcCode": codes["ebc"],
            "ebcName": "基准电商", "goodsValue": "200.00", "freight": "10.00", "discount": "5.00", "taxTotal": "18.20",
            "acturalPaid": "223.20", "currency": "142", "buyerIdType": "1", "consigneeDistrict": "330106"}


def organizations() -> dict:
    """Four organizations of the bench database (created on the first run)."""
    from zone_portal.accounts.models import Organization
    from zone_portal.accounts.validators import uscc_check_char

    orgs, codes = {}, {}
    for role, body in (("platform", "91330100RECNC0001"), ("ebc", "91330100RECNC0002"),
                       ("payer", "91330100RECNC0003"), ("logistics", "91330100RECNC0004"),
                       ("other_platform", "91330100RECNC0005")):
        uscc = body + uscc_check_char(body)
        org, _ = Organization.objects.get_or_create(uscc=uscc, defaults={
            "name": f"对账基准{role}", "kind": Organization.Kind.ENTERPRISE})
        orgs[role], codes[role] = org.pk, uscc
    orgs["codes"] = codes
    return orgs


# --- the two measurements --------------------------------------------------------------------

REFERENCE = """
CREATE TEMPORARY TABLE ref_out AS
WITH d AS (SELECT id, doc_type, order_no, ebp_code, amount, currency, buyer_id_bidx, buyer_name_bidx, consignee_bidx
           FROM filings_declaration WHERE order_no >= %(lo)s AND order_no < %(hi)s AND direction = 'I'
           AND NOT deleted AND app_status = '2'),
p AS (SELECT DISTINCT ON (order_no) order_no, ebp_code, amount, currency, buyer_id_bidx, buyer_name_bidx,
             count(*) OVER (PARTITION BY order_no) AS n
      FROM d WHERE doc_type = 'payment' ORDER BY order_no, id DESC),
w AS (SELECT DISTINCT ON (order_no) order_no, currency, consignee_bidx, count(*) OVER (PARTITION BY order_no) AS n
      FROM d WHERE doc_type = 'waybill' ORDER BY order_no, id DESC),
o AS (SELECT * FROM d WHERE doc_type = 'order')
SELECT o.order_no, CASE WHEN p.order_no IS NULL OR w.order_no IS NULL THEN 'pending' ELSE 'checked' END AS state,
       array_remove(ARRAY[
           CASE WHEN p.amount IS DISTINCT FROM o.amount THEN -900501 END,
           CASE WHEN p.buyer_id_bidx IS DISTINCT FROM o.buyer_id_bidx THEN -900502 END,
           CASE WHEN p.buyer_name_bidx IS DISTINCT FROM o.buyer_name_bidx THEN -900503 END,
           CASE WHEN w.consignee_bidx IS DISTINCT FROM o.consignee_bidx THEN -900504 END,
           CASE WHEN p.ebp_code <> o.ebp_code THEN -900507 END,
           CASE WHEN o.currency <> '142' OR p.currency <> '142' OR w.currency <> '142' THEN -900509 END,
           CASE WHEN p.n > 1 OR w.n > 1 THEN -900510 END], NULL) AS codes
FROM o LEFT JOIN p ON p.order_no = o.order_no LEFT JOIN w ON w.order_no = o.order_no
UNION ALL
SELECT x.order_no, 'pending', '{}'::int[] FROM (SELECT order_no FROM p UNION SELECT order_no FROM w) x
WHERE NOT EXISTS (SELECT 1 FROM o WHERE o.order_no = x.order_no)
"""


def backend_cpu_s() -> float:
    """CPU seconds the PostgreSQL backend of this process's connection has used (from /proc: the
    server runs on this machine). Counted per process, it holds whatever else the machine runs."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_reference(lo: str, hi: str) -> dict:
    """The limit, with the CPU its backend spent (the statement runs in one process: parallel
    query is off, so that its CPU is all counted; on 2 shared cores it gained nothing)."""
    from django.db import connection, transaction

    cpu_before = backend_cpu_s()
    load = os.getloadavg()[0]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        started = time.perf_counter()
        cursor.execute(REFERENCE, {"lo": lo, "hi": hi})
        elapsed = time.perf_counter() - started
        cpu = backend_cpu_s() - cpu_before
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE state = 'checked' AND codes = '{}'), "
                       "count(*) FILTER (WHERE cardinality(codes) > 0 AND state = 'checked'), "
                       "count(*) FILTER (WHERE state = 'pending') FROM ref_out")
        rows, matched, mismatched, pending = cursor.fetchone()
        cursor.execute("DROP TABLE ref_out")
    return {"seconds": round(elapsed, 3), "cpu_s": round(cpu, 2), "loadavg_1min_before": round(load, 2),
            "rows": rows, "matched": matched, "mismatched": mismatched, "pending": pending}


def _range_worker(bounds) -> tuple[int, int, float, float]:
    from filings.reconciliation import services

    db_before, py_before = backend_cpu_s(), time.process_time()
    outcome = services.reconcile_backfill(lo=bounds[0], hi=bounds[1], worker=f"bench-{os.getpid()}")
    return outcome.results, len(outcome.changed_ids), backend_cpu_s() - db_before, time.process_time() - py_before


def _drain_worker(args) -> tuple[int, float, float]:
    index, batch = args
    from django.db import connections

    from filings.reconciliation import services

    connections.close_all()
    db_before, py_before = backend_cpu_s(), time.process_time()
    done, _more = services.work_drain(worker=f"bench-{index}", limit=batch)
    cpu = (backend_cpu_s() - db_before, time.process_time() - py_before)
    connections.close_all()
    return done, *cpu


def measure_backfill(run: str, workers: int, batch: int) -> dict:
    """What the back-fill task does: cut the order numbers into ranges, reconcile each range in
    its own transaction, ``workers`` ranges at a time (Celery workers taking range tasks), with
    the CPU their PostgreSQL backends and their Python processes spent."""
    from django.db import connections

    from filings.reconciliation import services

    load = os.getloadavg()[0]
    started = time.perf_counter()
    ranges = services.order_no_ranges(size=batch, lo=run, hi=run + "~")
    cut = time.perf_counter() - started
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        done = pool.map(_range_worker, ranges, chunksize=1)
    elapsed = time.perf_counter() - started
    db_cpu, py_cpu = sum(d[2] for d in done), sum(d[3] for d in done)
    return {"seconds": round(elapsed, 3), "ranges": len(ranges), "cut_seconds": round(cut, 3),
            "results": sum(d[0] for d in done), "changed": sum(d[1] for d in done),
            "cpu_s": round(db_cpu + py_cpu, 2), "cpu_postgres_s": round(db_cpu, 2), "cpu_python_s": round(py_cpu, 2),
            "loadavg_1min_before": round(load, 2)}


def measure_queue(first_id: int, last_id: int, workers: int, batch: int) -> dict:
    """The event path with a backlog: the sweep's enqueue of every document's order key, then the
    drain task's claim → reconcile → write → delete, batch after batch, in ``workers`` processes."""
    from django.db import connections

    from filings.reconciliation import services

    started = time.perf_counter()
    queued = services.work_enqueue_missed(lo=first_id - 1, hi=last_id)
    enqueued = time.perf_counter() - started
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        done = pool.map(_drain_worker, [(i, batch) for i in range(workers)])
    elapsed = time.perf_counter() - started
    db_cpu, py_cpu = sum(d[1] for d in done), sum(d[2] for d in done)
    return {"seconds": round(elapsed, 3), "enqueue_seconds": round(enqueued, 3), "queued": queued,
            "keys_per_worker": [d[0] for d in done], "cpu_s": round(db_cpu + py_cpu, 2),
            "cpu_postgres_s": round(db_cpu, 2), "cpu_python_s": round(py_cpu, 2)}


def clear_results(run: str, *, vacuum: bool = True) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reconciliation_reconciliationresultchange c "
                       "USING reconciliation_reconciliationresult r "
                       "WHERE c.result_id = r.id AND r.order_no >= %s AND r.order_no < %s", [run, run + "~"])
        cursor.execute("DELETE FROM reconciliation_reconciliationresult WHERE order_no >= %s AND order_no < %s",
                       [run, run + "~"])
        if vacuum:
            cursor.execute("VACUUM ANALYZE reconciliation_reconciliationresult")


def verify(plan: dict, run: str) -> dict:
    """Every result against the plan: planted mismatches found with exactly their rule, clean
    orders matched, missing documents named (pending, or incomplete when old)."""
    from filings.reconciliation.models import ReconciliationResult, ReconciliationResultChange

    seen, problems = set(), []
    found = {"matched": 0, "mismatched": 0, "pending": 0, "incomplete": 0}
    rows = (ReconciliationResult.objects.filter(order_no__gte=run, order_no__lt=run + "~")
            .values_list("order_no", "status", "codes", "missing", "evaluations").iterator(chunk_size=20000))
    for order_no, status, codes, missing, evaluations in rows:
        found[status] += 1
        if order_no in seen:
            problems.append(f"{order_no}: two results")
        seen.add(order_no)
        kind, what, is_old = plan[order_no]
        if evaluations != 1:
            problems.append(f"{order_no}: evaluated {evaluations} times")
        if kind == "clean":
            ok = status == "matched" and codes == []
        elif kind == "mismatch":
            ok = status == "mismatched" and sorted(codes) == EXPECTED_CODES[what]
        else:
            ok = status == ("incomplete" if is_old else "pending") and missing == [what]
        if not ok:
            problems.append(f"{order_no}: planned {kind} {what}, found {status} {codes} {missing}")
    missing_results = [o for o in plan if o not in seen]
    history = ReconciliationResultChange.objects.filter(result__order_no__gte=run, result__order_no__lt=run + "~")
    return {"results": len(seen), "by_status": found, "problems": len(problems) + len(missing_results),
            "first_problems": (problems + [f"{o}: no result" for o in missing_results])[:10],
            "history_rows": history.count(),
            "planted": {"mismatch": sum(1 for p in plan.values() if p[0] == "mismatch"),
                        "missing": sum(1 for p in plan.values() if p[0] == "missing")}}


def cleanup(run: str, first_id: int, last_id: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        clear_results(run, vacuum=False)
        cursor.execute("DELETE FROM reconciliation_reconciliationwork WHERE order_no >= %s AND order_no < %s",
                       [run, run + "~"])
        cursor.execute("DELETE FROM reconciliation_reconciliationbatch WHERE worker LIKE 'bench-%%'")
        cursor.execute("DELETE FROM events_event WHERE event_type = 'reconciliation.result' AND subject LIKE %s",
                       [f"I:%:{run}-%"])
        cursor.execute("DELETE FROM filings_declarationversion WHERE declaration_id BETWEEN %s AND %s",
                       [first_id, last_id])
        cursor.execute("DELETE FROM filings_declaration WHERE id BETWEEN %s AND %s AND order_no >= %s "
                       "AND order_no < %s", [first_id, last_id, run, run + "~"])
    # as bench_declarations does: the next run (ours or another benchmark's) starts without the
    # dead rows of this one
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE filings_declaration, filings_declarationversion, events_event, "
                       "reconciliation_reconciliationresult, reconciliation_reconciliationresultchange, "
                       "reconciliation_reconciliationwork")


def machine() -> dict:
    import platform

    import django
    from django.db import connection

    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                  if line.startswith("model name")), platform.processor())
    meminfo = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
    return {"nproc": len(os.sched_getaffinity(0)), "cpu_model": model,
            "memory_gib": round(int(meminfo[1]) / 1024 / 1024, 1), "kernel": platform.release(),
            "python": platform.python_version(), "django": django.get_version(), "postgresql": pg,
            "shared_buffers": buffers, "loadavg_before": os.getloadavg()}


def main() -> int:
    scale = os.environ.get("BENCH_SCALE", "full")
    n = int(os.environ.get("BENCH_ORDERS") or SCALES[scale])
    workers = int(os.environ.get("BENCH_WORKERS", 2))
    batch = int(os.environ.get("BENCH_BATCH", 10000))
    output = Path(os.environ.get("BENCH_OUTPUT", DEFAULT_OUTPUT))
    run = "RB" + datetime.now(UTC).strftime("%m%d%H%M%S") + secrets.token_hex(2)
    bench_url = ensure_database(os.environ["DATABASE_URL"])
    env = server_env(bench_url, f"zpbench-{run}")
    migrate(env)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "CACHE_KEY_PREFIX")})
    import django

    django.setup()
    if os.environ.get("BENCH_EVENTS", "1") == "0":
        from filings.reconciliation import reconcile

        reconcile._publish = lambda events: 0  # measured without events, to show what they cost
    from django.db import connection

    from filings.reconciliation import tasks

    tasks.reconciliation_drain.delay = lambda *a, **k: None  # the bench drains by itself
    facts = machine()
    orgs = organizations()
    started = time.perf_counter()
    plan = load(n, run, orgs)
    log(f"built and loaded {n:,} orders in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM filings_declaration WHERE order_no >= %s AND order_no < %s",
                       [run, run + "~"])
        first_id, last_id = cursor.fetchone()
    try:
        # The machine is shared: the limit is measured right before and right after the platform,
        # and the faster of the two is held against it; CPU seconds are compared as well.
        references = [measure_reference(run, run + "~")]
        log(f"the limit (one SQL statement): {references[0]['seconds']} s")
        platform_run = measure_backfill(run, workers, batch)
        log(f"the platform (ranges, {workers} workers): {platform_run['seconds']} s, "
            f"{n / platform_run['seconds']:,.0f} orders/s, {platform_run['cpu_s']} CPU s")
        references.append(measure_reference(run, run + "~"))
        log(f"the limit again: {references[1]['seconds']} s")
        checked = verify(plan, run)
        queue_run = None
        if os.environ.get("BENCH_QUEUE", "1") == "1":
            clear_results(run)
            queue_run = measure_queue(first_id, last_id, workers, batch)
            log(f"the platform (work queue, {workers} workers): {queue_run['seconds']} s, "
                f"{n / queue_run['seconds']:,.0f} orders/s")
            queue_run["verification"] = verify(plan, run)
            references.append(measure_reference(run, run + "~"))
            log(f"the limit once more: {references[2]['seconds']} s")
            queue_run["limit_seconds"] = min(r["seconds"] for r in references[1:])
        reference = min(references[:2], key=lambda r: r["seconds"]) | {
            "runs": [{k: r[k] for k in ("seconds", "cpu_s", "loadavg_1min_before")} for r in references]}
    finally:
        if os.environ.get("BENCH_KEEP_ROWS") != "1":
            started = time.perf_counter()
            cleanup(run, first_id, last_id)
            log(f"cleaned up in {time.perf_counter() - started:.1f} s")
    ratio = reference["seconds"] / platform_run["seconds"]
    report = {
        "benchmark": "reconcile", "scale": scale, "run": run, "orders": n, "machine": facts,
        "workers": workers, "batch": batch, "events": os.environ.get("BENCH_EVENTS", "1") != "0",
        "reference": reference | {"orders_per_s": round(n / reference["seconds"])},
        "platform": platform_run | {"orders_per_s": round(n / platform_run["seconds"])},
        "ratio": round(ratio, 3), "goal_ratio": GOAL_RATIO, "verification": checked,
        "cpu_ratio": round(reference["cpu_s"] / platform_run["cpu_s"], 3) if platform_run["cpu_s"] else None,
        "queue_path": queue_run and (queue_run | {
            "orders_per_s": round(n / queue_run["seconds"]),
            "ratio": round(queue_run["limit_seconds"] / queue_run["seconds"], 3)}),
        "at": datetime.now(UTC).isoformat(),
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print(f"reconciliation of {n:,} orders × 3 documents: platform {n / platform_run['seconds']:,.0f} orders/s, "
          f"one SQL statement {n / reference['seconds']:,.0f} orders/s → {ratio:.2f} × the limit "
          f"(goal ≥ {GOAL_RATIO}); {checked['problems']} problems in {checked['results']:,} results → {output}")
    print(f"  CPU: the statement {reference['cpu_s']} s, the platform {platform_run['cpu_s']} s "
          f"(PostgreSQL {platform_run['cpu_postgres_s']} s + Python {platform_run['cpu_python_s']} s) "
          f"→ {report['cpu_ratio']} × the statement's CPU per order")
    if ratio < GOAL_RATIO:
        print(f"goal missed: {ratio:.2f} < {GOAL_RATIO}")
    if queue_run:
        print(f"  work-queue path (enqueue + drain): {n / queue_run['seconds']:,.0f} orders/s → "
              f"{queue_run['limit_seconds'] / queue_run['seconds']:.2f} × the limit; "
              f"{queue_run['verification']['problems']} problems")
    return 1 if checked["problems"] or (queue_run and queue_run["verification"]["problems"]) else 0


if __name__ == "__main__":
    sys.exit(main())
