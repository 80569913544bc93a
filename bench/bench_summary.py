"""Export summary declaration (清单核放、汇总申报): the summary of one month with 1,000,000 released
export lists, in seconds.

The lists are loaded straight into the hub's tables with ``COPY`` (a ``Declaration`` and its
``DeclarationVersion`` per list, head and lines JSON as the hub stores them; not measured), then
three things are timed in this process, each one transaction, through the project's own code:

1. ``register``: the 无票免税 register of the month (``register.register_fill`` over the month's
   window: one row per released list line, statisticsFlag A and B) — in production this is done
   in batches as lists are released; the monthly job does it as a catch-all;
2. ``summary``: the monthly job itself, ``services.summary_month_run`` (the register already
   filled, so its catch-all finds nothing), which groups every statisticsFlag-B list of the month
   into summaries, lines and the gseqno mapping of every list line — **the figure**;
3. ``rerun``: the same job again, which must create nothing (idempotency), and how long it takes
   to find that out.

The data: ``BENCH_LISTS`` statisticsFlag-B lists released in the bench month (1,000,000; small:
10,000), of 1 to 3 lines (2 on average), from 200 consignors (small: 20), each shipping by 1 to
3 transport modes, for 2 owners, to 8 destination countries through 3 ports, with 15 HS codes of
a 300-code pool each; plus 5 % statisticsFlag-A lists of the same month and 5 % lists of the
month before (both must be left out). Every figure is checked: every B list line mapped exactly
once, none of the others, and the summed quantities and values equal to what was generated.

The benchmark works in its own database (``zone_portal_bench``, created and migrated when
missing, see ``bench/_common.py``); its lists are deleted at the end (``BENCH_KEEP_ROWS=1``
keeps them) and any left by an interrupted run are deleted at the start.

    BENCH_SCALE=small python bench/bench_summary.py   # 10,000 lists, well under a minute
    python bench/bench_summary.py                     # 1,000,000 lists

Results go to ``var/bench/summary.json`` (``BENCH_OUTPUT``). Exit status 1 when a check fails
(the figure would not measure a correct summary).
"""

from __future__ import annotations

import json
import os
import platform
import random
import secrets
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the project is not
    sys.path.insert(0, str(ROOT))

from bench._common import bench_admin, ensure_database, log, migrate, server_env  # noqa: E402

DEFAULT_OUTPUT = ROOT / "var" / "bench" / "summary.json"
SCALES = {"small": (10_000, 20), "full": (1_000_000, 200)}  # (B lists in the month, consignors)
BENCH_MONTH = date(2031, 10, 1)  # far from any real or demo data in the bench database
ZONE = ZoneInfo("Asia/Shanghai")
MARK = "BSUM"  # copNo prefix of the bench's lists: BSUM<run>-<n>
CHUNK = 50_000  # lists per COPY batch
VACUUM_AFTER = 100_000  # lists deleted after which the hub's tables are vacuumed

COUNTRIES = {"502": "502", "303": "303", "304": "300", "305": "300", "116": "116", "601": "601", "133": "133",
             "132": "132"}  # destination → currency
PORTS = ("2900", "3100", "2233")
TRAF_MODES = ("5", "2", "4")


def hs_pool(rng: random.Random, size: int = 300) -> list[str]:
    return sorted({f"{rng.randrange(1, 97):02d}{rng.randrange(100, 9999):04d}{rng.randrange(0, 100):02d}00"
                   for _ in range(size * 2)})[:size]


class Generator:
    """Deterministic lists: the same seed gives the same month."""

    def __init__(self, *, lists: int, consignors: int, run: str, organization_id: int, seed: int = 20311001):
        self.rng = random.Random(seed)
        self.lists, self.run, self.organization_id = lists, run, organization_id
        pool = hs_pool(self.rng)
        self.consignors = []
        for c in range(consignors):
            code = f"9133010{c:05d}BSUM0"[:18]
            modes = self.rng.sample(TRAF_MODES, self.rng.randint(1, 3))
            owners = [code, f"9133020{c:05d}OWNR0"[:18]]
            self.consignors.append((code, modes, owners, self.rng.sample(pool, 15)))
        self.expected = {"b_lists": 0, "b_lines": 0, "b_qty": 0, "b_value_cents": 0, "other_lists": 0,
                         "all_month_lines": 0}
        month_start = datetime(BENCH_MONTH.year, BENCH_MONTH.month, 1, tzinfo=ZONE)
        self.month_start, self.month_seconds = month_start, 31 * 86400
        self.head_template = None

    def head(self, n: int, *, flag: str, released: datetime, consignor) -> tuple[dict, list[dict]]:
        code, modes, owners, hs = consignor
        rng = self.rng
        country = rng.choice(list(COUNTRIES))
        cop_no = f"{MARK}{self.run}-{n}"
        head = {
            "guid": str(uuid.UUID(int=rng.getrandbits(128))).upper(), "appType": "1",
            "appTime": released.strftime("%Y%m%d%H%M%S"), "appStatus": "2", "customsCode": "2900",
            "ebpCode": "91330100BSUMEBP001", "ebpName": "基准电商平台", "orderNo": f"O{cop_no}",
            "logisticsCode": "91330100BSUMLOG001", "logisticsName": "基准物流", "logisticsNo": f"L{cop_no}",
            "copNo": cop_no, "preNo": "", "invtNo": f"2900{BENCH_MONTH.year}E{n:011d}", "ieFlag": "E",
            "portCode": rng.choice(PORTS), "ieDate": released.strftime("%Y%m%d"), "statisticsFlag": flag,
            "agentCode": code, "agentName": "基准报关", "ebcCode": code, "ebcName": f"基准跨境电商{code[-9:]}",
            "ownerCode": rng.choice(owners), "ownerName": "基准生产企业", "iacCode": "", "iacName": "",
            "emsNo": "", "tradeMode": "9610", "trafMode": rng.choice(modes), "trafName": "", "voyageNo": "",
            "billNo": "", "totalPackageNo": "", "loctNo": "", "licenseNo": "", "country": country, "POD": "USA",
            "freight": "5", "fCurrency": COUNTRIES[country], "fFlag": "3", "insuredFee": "0",
            "iCurrency": COUNTRIES[country], "iFlag": "3", "wrapType": "2", "packNo": "1",
            "grossWeight": "1.2", "netWeight": "1", "note": "",
        }
        lines = []
        for gnum in range(1, rng.choice((1, 2, 2, 3)) + 1):
            qty, price = rng.randint(1, 5), rng.randint(100, 9999)  # price in cents
            gcode = rng.choice(hs) if flag == "B" else "33040000" + "00"
            item_country = country if rng.random() < 0.9 else rng.choice(list(COUNTRIES))
            lines.append({
                "gnum": str(gnum), "itemNo": f"SKU{gnum}", "itemRecordNo": "", "itemName": f"商品{gcode[-6:]}",
                "gcode": gcode, "gname": f"商品{gcode[:4]}", "gmodel": "标准", "barCode": "无",
                "country": item_country, "currency": COUNTRIES[item_country], "qty": str(qty), "qty1": str(qty),
                "qty2": "", "unit": "011", "unit1": "011", "unit2": "", "price": f"{price / 100:.2f}",
                "totalPrice": f"{qty * price / 100:.2f}", "note": "",
            })
            if flag == "B" and released >= self.month_start:
                self.expected["b_lines"] += 1
                self.expected["b_qty"] += qty
                self.expected["b_value_cents"] += qty * price
            if released >= self.month_start:
                self.expected["all_month_lines"] += 1
        return head, lines

    def documents(self):
        """(n, flag, released_at, head, lines) of every list: the B lists of the month, then 5 %
        A lists of the month and 5 % B lists of the month before."""
        extra = self.lists // 20
        total = self.lists + 2 * extra
        for n in range(total):
            consignor = self.consignors[n % len(self.consignors)]
            if n < self.lists + extra:
                released = self.month_start + timedelta(seconds=self.rng.randrange(self.month_seconds))
                flag = "B" if n < self.lists else "A"
            else:
                released = self.month_start - timedelta(seconds=self.rng.randrange(1, 20 * 86400))
                flag = "B"
            if flag == "B" and released >= self.month_start:
                self.expected["b_lists"] += 1
            else:
                self.expected["other_lists"] += 1
            head, lines = self.head(n, flag=flag, released=released, consignor=consignor)
            yield n, flag, released, head, lines


# --- COPY ----------------------------------------------------------------------------------------

def copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, list):
        return "{" + ",".join(str(v) for v in value) + "}"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def columns(model) -> list:
    """Every concrete column but those the database fills itself (``db_default``)."""
    from django.db.models import NOT_PROVIDED

    return [f for f in model._meta.concrete_fields if f.db_default is NOT_PROVIDED]


def row(fields, values: dict) -> str:
    return "\t".join(copy_text(values[f.attname] if f.attname in values else f.get_default()) for f in fields)


def load(conn, generator: Generator) -> dict:
    """COPY the generated lists into filings_declaration and filings_declarationversion."""
    import orjson

    from filings.models import Declaration, DeclarationVersion

    d_fields, v_fields = columns(Declaration), columns(DeclarationVersion)
    d_sql = f"COPY {Declaration._meta.db_table} ({', '.join(f.column for f in d_fields)}) FROM STDIN"
    v_sql = f"COPY {DeclarationVersion._meta.db_table} ({', '.join(f.column for f in v_fields)}) FROM STDIN"
    total = generator.lists + 2 * (generator.lists // 20)
    d_start = conn.execute("SELECT nextval(pg_get_serial_sequence('filings_declaration', 'id'))").fetchone()[0]
    conn.execute("SELECT setval(pg_get_serial_sequence('filings_declaration', 'id'), %s)", [d_start + total])
    v_start = conn.execute("SELECT nextval(pg_get_serial_sequence('filings_declarationversion', 'id'))").fetchone()[0]
    conn.execute("SELECT setval(pg_get_serial_sequence('filings_declarationversion', 'id'), %s)", [v_start + total])
    conn.commit()
    started, build_s, copy_s = time.perf_counter(), 0.0, 0.0
    d_rows, v_rows = [], []

    def flush():
        nonlocal copy_s
        began = time.perf_counter()
        with conn.transaction(), conn.cursor() as cursor:
            with cursor.copy(d_sql) as copy:
                copy.write("\n".join(d_rows) + "\n")
            with cursor.copy(v_sql) as copy:
                copy.write("\n".join(v_rows) + "\n")
        copy_s += time.perf_counter() - began
        d_rows.clear()
        v_rows.clear()

    now = datetime.now(UTC)
    org = generator.organization_id
    for n, _flag, released, head, lines in generator.documents():
        began = time.perf_counter()
        amount = sum(float(line["totalPrice"]) for line in lines)
        d_rows.append(row(d_fields, {
            "id": d_start + n, "kind": "CEB603", "direction": "E", "doc_type": "inventory", "organization_id": org,
            "business_key": f"{head['agentCode']}|{head['copNo']}", "guid": head["guid"], "version": 1,
            "app_type": "1", "app_status": "2", "deleted": False, "order_no": head["orderNo"],
            "ebp_code": head["ebpCode"], "ebc_code": head["ebcCode"], "logistics_code": head["logisticsCode"],
            "agent_code": head["agentCode"], "logistics_no": head["logisticsNo"], "invt_no": head["invtNo"],
            "cop_no": head["copNo"], "trade_mode": "9610", "amount": f"{amount:.2f}", "currency": "",
            "parties": [org], "return_status": "800", "list_state": "released", "released_at": released,
            "declared_at": released, "updated_at": released,
        }))
        v_rows.append(row(v_fields, {
            "id": v_start + n, "declaration_id": d_start + n, "number": 1, "guid": head["guid"], "app_type": "1",
            "app_status": "2", "head": orjson.dumps(head).decode(), "lines": orjson.dumps(lines).decode(),
            "personal": "", "signature": "", "source": "json", "message_guid": "", "client_id": None,
            "received_at": now,
        }))
        build_s += time.perf_counter() - began
        if len(d_rows) >= CHUNK:
            flush()
    if d_rows:
        flush()
    conn.execute("ANALYZE filings_declaration")  # as autovacuum would soon: the planner sees the new rows
    conn.execute("ANALYZE filings_declarationversion")
    conn.commit()
    return {"lists": total, "first_declaration_id": d_start, "seconds": round(time.perf_counter() - started, 1),
            "build_s": round(build_s, 1), "copy_s": round(copy_s, 1),
            "lists_per_s_copy": round(total / copy_s) if copy_s else None}


def delete_rows(conn) -> dict:
    """Delete the bench's lists (this run's and any an interrupted run left) and what was made of them."""
    started = time.perf_counter()
    with conn.transaction():
        ids = "SELECT id FROM filings_declaration WHERE kind = 'CEB603' AND cop_no LIKE %s"
        like = [f"{MARK}%"]
        conn.execute("CREATE TEMP TABLE bench_ids ON COMMIT DROP AS " + ids, like)
        conn.execute("CREATE TEMP TABLE bench_summaries ON COMMIT DROP AS SELECT DISTINCT summary_id AS id "
                     "FROM summary_summaryitem WHERE declaration_id IN (SELECT id FROM bench_ids)")
        conn.execute("DELETE FROM summary_summaryitem WHERE summary_id IN (SELECT id FROM bench_summaries)")
        conn.execute("DELETE FROM summary_summaryline WHERE summary_id IN (SELECT id FROM bench_summaries)")
        runs = [r[0] for r in conn.execute("SELECT DISTINCT run_id FROM summary_summary WHERE id IN "
                                           "(SELECT id FROM bench_summaries)").fetchall()]
        conn.execute("DELETE FROM summary_summary WHERE id IN (SELECT id FROM bench_summaries)")
        conn.execute("DELETE FROM summary_summaryrun WHERE id = ANY(%s) AND NOT EXISTS "
                     "(SELECT 1 FROM summary_summary s WHERE s.run_id = summary_summaryrun.id)", [runs])
        conn.execute("DELETE FROM summary_exemptionrecord WHERE declaration_id IN (SELECT id FROM bench_ids)")
        conn.execute("DELETE FROM filings_declarationversion WHERE declaration_id IN (SELECT id FROM bench_ids)")
        deleted = conn.execute("DELETE FROM filings_declaration WHERE id IN (SELECT id FROM bench_ids)").rowcount
    if deleted >= VACUUM_AFTER:
        # The bench database is shared by every benchmark: leave the hub's tables as compact as
        # they were (dead rows of a million lists would slow every later sequential scan).
        conn.commit()
        conn.autocommit = True
        try:
            conn.execute("VACUUM (ANALYZE) filings_declaration, filings_declarationversion, summary_summaryitem, "
                         "summary_summaryline, summary_exemptionrecord")
        finally:
            conn.autocommit = False
    return {"lists": deleted, "seconds": round(time.perf_counter() - started, 1)}


# --- the measurements ----------------------------------------------------------------------------

def timed(label: str, function):
    started = time.perf_counter()
    result = function()
    elapsed = time.perf_counter() - started
    log(f"{label}: {elapsed:.2f} s")
    return result, elapsed


def statement_timer(phases: list):
    """A Django execute wrapper that records (statement, seconds) of every SQL statement."""
    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            phases.append((" ".join(sql.split())[:70], time.perf_counter() - started))
    return wrapper


def checks(expected: dict, run_id: int, first_id: int) -> tuple[dict, list[str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*), coalesce(sum(list_count), 0), coalesce(sum(item_count), 0), coalesce(sum(line_count), 0)
            FROM summary_summary WHERE run_id = %s""", [run_id])
        summaries, lists, items, lines = cursor.fetchone()
        cursor.execute("""
            SELECT coalesce(sum(l.qty), 0), coalesce(sum(l.total_price), 0), count(*)
            FROM summary_summaryline l JOIN summary_summary s ON s.id = l.summary_id WHERE s.run_id = %s""",
                       [run_id])
        qty, value, line_rows = cursor.fetchone()
        cursor.execute("""
            SELECT count(*), count(DISTINCT i.declaration_id),
                   count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM summary_summaryline l
                                     WHERE l.summary_id = i.summary_id AND l.gseqno = i.gseqno))
            FROM summary_summaryitem i JOIN summary_summary s ON s.id = i.summary_id WHERE s.run_id = %s""",
                       [run_id])
        mapped, mapped_lists, dangling = cursor.fetchone()
        cursor.execute("""
            SELECT count(*) FROM summary_summaryitem i JOIN filings_declaration d ON d.id = i.declaration_id
            JOIN filings_declarationversion v ON v.declaration_id = d.id
            WHERE d.id >= %s AND (v.head->>'statisticsFlag' <> 'B' OR d.released_at < %s)""",
                       [first_id, datetime(BENCH_MONTH.year, BENCH_MONTH.month, 1, tzinfo=ZONE)])
        wrongly = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM summary_exemptionrecord WHERE declaration_id >= %s", [first_id])
        register = cursor.fetchone()[0]
    found = {"summaries": summaries, "summary_lines": lines, "lists": lists, "list_lines": items, "mapped": mapped,
             "mapped_lists": mapped_lists, "qty": int(qty), "value_cents": round(value * 100),
             "register_rows": register}
    problems = []
    for name, got, want in (("lists", lists, expected["b_lists"]), ("mapped lists", mapped_lists, expected["b_lists"]),
                            ("list lines", items, expected["b_lines"]), ("mapped list lines", mapped,
                                                                         expected["b_lines"]),
                            ("summary lines", line_rows, lines), ("quantity", int(qty), expected["b_qty"]),
                            ("value (cents)", round(value * 100), expected["b_value_cents"]),
                            ("register rows", register, expected["all_month_lines"])):
        if got != want:
            problems.append(f"{name}: {got}, expected {want}")
    if dangling:
        problems.append(f"{dangling} list lines mapped to a gseqno their summary does not have")
    if wrongly:
        problems.append(f"{wrongly} lines of statisticsFlag-A or last month's lists were summarised")
    return found, problems


def machine(conn) -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
                 platform.processor())
    meminfo = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()
    settings = {name: conn.execute(f"SHOW {name}").fetchone()[0]
                for name in ("server_version", "shared_buffers", "work_mem", "synchronous_commit")}
    return {"nproc": len(os.sched_getaffinity(0)), "cpu_model": model,
            "memory_gib": round(int(meminfo[1]) / 1024 / 1024, 1), "python": platform.python_version(),
            "postgresql": settings}


def main() -> int:
    scale = os.environ.get("BENCH_SCALE", "full")
    lists, consignors = SCALES[scale]
    lists = int(os.environ.get("BENCH_LISTS", lists))
    output = Path(os.environ.get("BENCH_OUTPUT", DEFAULT_OUTPUT))
    keep = os.environ.get("BENCH_KEEP_ROWS") == "1"
    run = secrets.token_hex(3).upper()
    bench_url = ensure_database(os.environ["DATABASE_URL"])
    env = server_env(bench_url, f"zpbench-s{run}")
    migrate(env)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "CACHE_KEY_PREFIX")})
    import django

    django.setup()
    import psycopg
    from django.conf import settings
    from django.db import connection, transaction

    from filings.summary import register, services

    admin = bench_admin()
    conn = psycopg.connect(bench_url)
    leftovers = delete_rows(conn)
    if leftovers["lists"]:
        log(f"deleted {leftovers['lists']:,} lists an earlier run left")
    generator = Generator(lists=lists, consignors=consignors, run=run, organization_id=admin.organization_id)
    log(f"loading {lists:,} statisticsFlag-B lists of {BENCH_MONTH:%Y-%m} (+{2 * (lists // 20):,} others) with COPY")
    loaded = load(conn, generator)
    log(f"loaded {loaded['lists']:,} lists in {loaded['seconds']} s (rows built in {loaded['build_s']} s, "
        f"COPY {loaded['copy_s']} s)")

    report: dict = {"benchmark": "summary", "scale": scale, "run": run, "month": f"{BENCH_MONTH:%Y-%m}",
                    "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
                    "machine": machine(conn), "summary_work_mem": getattr(settings, "SUMMARY_WORK_MEM", "256MB"),
                    "data": {"b_lists_in_month": generator.expected["b_lists"],
                             "b_list_lines": generator.expected["b_lines"],
                             "other_lists": generator.expected["other_lists"], "consignors": consignors},
                    "load": loaded}
    start, end = services.month_window(BENCH_MONTH)
    problems: list[str] = []
    try:
        def fill():
            with transaction.atomic():
                return register.register_fill(org_of_code=services._org_of_code(), window=(start, end))

        written, register_s = timed("register fill of the month", fill)
        phases: list[tuple[str, float]] = []
        with connection.execute_wrapper(statement_timer(phases)):
            summary_run, summary_s = timed("monthly summary",
                                           lambda: services.summary_month_run(month=BENCH_MONTH))
        report["summary_statements_s"] = [(label, round(seconds, 2)) for label, seconds in phases if seconds >= 0.05]
        again, rerun_s = timed("monthly summary again", lambda: services.summary_month_run(month=BENCH_MONTH))
        if summary_run is None:
            problems.append("the monthly job created no run")
            found = {}
        else:
            found, problems = checks(generator.expected, summary_run.pk, loaded["first_declaration_id"])
        if again is not None:
            problems.append(f"the second run created {again.summary_count} summaries")
        report["figures"] = {
            "summary_s": round(summary_s, 2),
            "summary_lists_per_s": round(generator.expected["b_lists"] / summary_s),
            "register_fill_s": round(register_s, 2), "register_rows_written": written,
            "rerun_s": round(rerun_s, 2), "rerun_created": 0 if again is None else again.summary_count,
        }
        report["result"] = found
    finally:
        conn.rollback()
        if not keep:
            report["cleanup"] = delete_rows(conn)
        conn.close()
    report["problems"] = problems
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    m, f, r = report["machine"], report.get("figures", {}), report.get("result", {})
    print(f"machine: {m['nproc']} × {m['cpu_model']}, {m['memory_gib']} GiB, PostgreSQL "
          f"{m['postgresql']['server_version']} (shared_buffers {m['postgresql']['shared_buffers']})")
    if f:
        print(f"summary of {generator.expected['b_lists']:,} statisticsFlag-B lists ({generator.expected['b_lines']:,} "
              f"lines) of one month: {f['summary_s']} s ({f['summary_lists_per_s']:,} lists/s) → "
              f"{r.get('summaries', 0):,} summaries, {r.get('summary_lines', 0):,} summary lines, "
              f"{r.get('mapped', 0):,} list lines mapped; register fill {f['register_fill_s']} s "
              f"({f['register_rows_written']:,} rows); second run {f['rerun_s']} s, created {f['rerun_created']}")
    for label, seconds in report.get("summary_statements_s", []):
        print(f"  {seconds:7.2f} s  {label}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print(f"results in {output}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
