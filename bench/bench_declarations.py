"""The declaration hub's benchmarks: bulk JSON, CEB XML and the single-document POST, each figure
beside its reference and its goal.

Goals (the issue's, on this 2-core machine with a 2-process server):

1. ``/api/v1/filings/declarations/bulk/`` (1,000 documents a request, signed, full validation,
   authorization and encryption): **>= 20,000 documents/s and >= 5 x the plain DRF path**.
   References measured in the same run: raw PostgreSQL ``COPY`` of the same rows into the same
   three tables (the limit), and a plain DRF ``ModelSerializer(many=True)`` + ``bulk_create``
   endpoint (``bench/plain_declarations.py``) driven exactly like the hub. Also measured in this
   process, without HTTP: ``ingest()`` alone, the lint (``ingest(store=False)``: every check,
   no write), and a cProfile of one ``ingest()`` of 1,000 documents (top 15 in
   ``var/bench/declarations_profile.txt``).
2. ``/api/v1/ceb/`` with 100-document CEB311 messages (``filings.hub.ceb.render_message``):
   **>= 5,000 documents/s**.
3. ``POST /api/v1/filings/declarations/`` of one order: **>= 500 requests/s with p99 < 25 ms**;
   reference: the floor of every signed idempotent POST (``bench_api_requests.py``'s
   ``signed_post``, one audit event), measured in the same run.

The documents are valid import documents of four filed enterprises of the bench database (a
platform declaring orders with 2 lines, a payment company its payments, a logistics company its
waybills, the e-commerce enterprise its 9610 inventory lists); each bulk request is one sender's
1,000 documents, the senders taking turns, so that every 4 requests declare the order, payment,
waybill and list of the same 1,000 order numbers. Every document has its own guid and keys.

The machinery is ``bench/_common.py`` (the one of ``bench_api_requests.py``): its own database
(``zone_portal_bench``), real gunicorn with 2 processes of 4 threads (gthread, as docker-compose.yml
runs it), load-generator processes sending signed requests with ``Idempotency-Key``, every answer
checked, CPU accounting from ``/proc``. The
bodies are rendered once per run in this process and each request replaces one 6-character mark
(client and request number) in them, so the load generator spends ~2 ms of CPU on a
1,000-document request. After the run the stored rows are counted against the accepted answers,
then the run's rows are deleted (``BENCH_KEEP_ROWS=1`` keeps them).

    BENCH_SCALE=small python bench/bench_declarations.py   # every path, a few thousand documents, < 1 min
    python bench/bench_declarations.py                     # 20 s of load per HTTP scenario

Knobs: ``BENCH_DURATION`` (s per HTTP scenario, full scale), ``BENCH_BULK_CLIENTS`` (2),
``BENCH_CLIENTS`` (single POST, 4), ``BENCH_WORKERS`` (2), ``BENCH_THREADS`` (4; 1 = sync workers),
``BENCH_MAX_REQUESTS`` (20000), ``BENCH_OUTPUT`` (``var/bench/declarations.json``).
Exit status 1 when any request failed, any document was refused, or the stored rows do not match
the answers: the generator or the platform is wrong, and the figures would not measure the path.
"""

from __future__ import annotations

import base64
import contextlib
import cProfile
import functools
import hashlib
import io
import json
import multiprocessing
import os
import pstats
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the project is not
    sys.path.insert(0, str(ROOT))

from bench._common import (  # noqa: E402
    HOST,
    OTHERS_NOTICEABLE,
    Scale,
    api_client_for_run,
    bench_admin,
    delete_cache_keys,
    ensure_database,
    free_port,
    gunicorn_command,
    log,
    machine_facts,
    migrate,
    run_scenario,
    server_env,
    signed_headers,
    stop_server,
    wait_ready,
)

DEFAULT_OUTPUT = ROOT / "var" / "bench" / "declarations.json"

GOAL_BULK_DOCS_PER_S = 20_000
GOAL_BULK_VS_DRF = 5.0
GOAL_CEB_DOCS_PER_S = 5_000
GOAL_SINGLE_RPS = 500
LIMIT_SINGLE_P99_MS = 25.0

BULK_DOCUMENTS = 1000  # per request, the endpoint's maximum
CEB_DOCUMENTS = 100  # per message, the spec's maximum

BULK_PATH = "/api/v1/filings/declarations/bulk/"
SINGLE_PATH = "/api/v1/filings/declarations/"
CEB_PATH = "/api/v1/ceb/"

# A 6-character mark in the rendered bodies, replaced per request by the client (2 hex digits) and
# the request group (4 hex digits): every request's guids and keys are new.
MARK = "@@@@@@"
MAX_GROUP = 0xFFFF

# The hex digit of each scenario in the guids and order numbers of its documents.
CODES = {"hub_bulk": 1, "drf_bulk": 2, "ceb": 3, "single": 4, "in_process": 5, "lint": 6, "copy": 7, "profile": 8}

ROTATION = ("order", "payment", "waybill", "list")  # the bulk senders take turns in this order
KIND_OF = {"order": "CEB311", "payment": "CEB411", "waybill": "CEB511", "list": "CEB621"}
SENDER_OF = {"order": "platform", "payment": "payer", "waybill": "logistics", "list": "ebc"}

# The bench's filed enterprises: USCC body (+ check character), name, filed roles.
PARTIES = {
    "platform": ("91110105BENCHD001", "基准电商平台有限公司", ["ebp"]),
    "ebc": ("91110105BENCHD002", "基准跨境电商有限公司", ["ebc"]),
    "payer": ("91110105BENCHD003", "基准支付有限公司", ["payment"]),
    "logistics": ("91110105BENCHD004", "基准物流有限公司", ["logistics"]),
}
ALL_WRITE_SCOPES = [f"{kind}:{mode}" for kind in ("order", "payment", "waybill", "inventory_list")
                    for mode in ("read", "write")]


@dataclass(frozen=True)
class Plan:
    name: str
    bulk: Scale  # hub and plain DRF bulk JSON (requests of 1,000 documents)
    ceb: Scale  # CEB messages of 100 documents
    single: Scale  # single-document POST, and its floor
    in_process_s: float  # ingest() in this process: whole rounds of the 4 senders until ingest() ran this long ...
    in_process_batches: int  # ... or this many batches of 1,000
    copy_batches: int  # COPY reference: batches of 1,000 (a third on one connection, the rest on two)


FULL_S = float(os.environ.get("BENCH_DURATION", "20"))
PLANS = {
    "small": Plan("small", bulk=Scale("small", 0.0, 10.0, 2), ceb=Scale("small", 0.3, 2.0, 20),
                  single=Scale("small", 0.3, 2.0, 200), in_process_s=0.0, in_process_batches=4,
                  copy_batches=3),
    "full": Plan("full", bulk=Scale("full", 3.0, FULL_S, 1_000_000), ceb=Scale("full", 3.0, FULL_S, 1_000_000),
                 single=Scale("full", 3.0, FULL_S, 1_000_000), in_process_s=10.0, in_process_batches=400,
                 copy_batches=90),
}


# --- documents -----------------------------------------------------------------------------------

NOW = "20261122120000"
DSIG = "http://www.w3.org/2000/09/xmldsig"
AREAS = ("110105", "310104", "330106", "360426", "440305", "440106", "320102", "420106")  # valid 1985-2005


def buyer_id(index: int) -> str:
    """A valid resident ID number (area code, birth date, check digit), one per document index:
    1,000 buyers, each buying again in every request group (not real people's numbers)."""
    from datetime import date, timedelta

    born = date(1985, 1, 1) + timedelta(days=(index * 37) % 7_300)
    body = f"{AREAS[index % len(AREAS)]}{born:%Y%m%d}{index % 1000:03d}"
    check = (1 - 2 * int(body, 13)) % 11  # GB 11643, as stdnum.cn.ric.calc_check_digit
    return body + ("X" if check == 10 else str(check))


def guid(run8: str, scenario: int, kind_index: int, index: int, mark: str = MARK) -> str:
    """36 characters, upper-case hex in the 8-4-4-4-12 layout once the mark is replaced."""
    return f"{run8}-{scenario:X}{kind_index:X}00-0000-{index:04X}-{mark}000000"


def order_no(run8: str, scenario: int, index: int, mark: str = MARK) -> str:
    return f"{run8}{scenario:X}{mark}{index:03X}"  # 18 characters; copNo "C…" stays within C..20


def signature(index: int) -> str:
    """A ds:Signature of the size and shape an SM2 signature of a list has (~1.3 kB). The hub
    keeps it as received (SM2 verification is a later step), so its values need not verify."""
    digest = base64.b64encode(hashlib.sha256(f"digest{index}".encode()).digest()).decode()
    value = base64.b64encode(hashlib.sha512(f"value{index}".encode()).digest()).decode()
    certificate = base64.b64encode(hashlib.shake_256(b"bench certificate").digest(560)).decode()
    return (f'<ds:Signature xmlns:ds="{DSIG}#"><ds:SignedInfo><ds:CanonicalizationMethod '
            f'Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/><ds:SignatureMethod '
            f'Algorithm="{DSIG}#sm2-sm3"/><ds:Reference URI=""><ds:Transforms><ds:Transform '
            f'Algorithm="{DSIG}#enveloped-signature"/></ds:Transforms><ds:DigestMethod Algorithm="{DSIG}#sm3"/>'
            f"<ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>"
            f"<ds:SignatureValue>{value}</ds:SignatureValue><ds:KeyInfo><ds:KeyName>0000BENCH</ds:KeyName>"
            f"<ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
            f"</ds:Signature>")


def document(what: str, codes: dict[str, str], *, run8: str, scenario: int, index: int) -> dict:
    """One valid import document of ``what`` (order, payment, waybill, list), as a partner sends it."""
    number = order_no(run8, scenario, index)
    head = {"guid": guid(run8, scenario, ROTATION.index(what), index), "appType": "1", "appTime": NOW,
            "appStatus": "2"}
    lines: list[dict] = []
    if what == "order":
        head.update({
            "orderType": "I", "orderNo": number, "ebpCode": codes["platform"], "ebpName": PARTIES["platform"][1],
            "ebcCode": codes["ebc"], "ebcName": PARTIES["ebc"][1], "goodsValue": "200.00", "freight": "10.00",
            "discount": "5.00", "taxTotal": "18.20", "acturalPaid": "223.20", "currency": "142",
            "buyerRegNo": f"buyer{index:04d}", "buyerName": "李四", "buyerTelephone": "13900001111",
            "buyerIdType": "1", "buyerIdNumber": buyer_id(index), "consignee": "李四",
            "consigneeTelephone": "13900001111", "consigneeAddress": "浙江省杭州市西湖区文三路1号",
            "consigneeDistrict": "330106",
        })
        lines = [
            {"gnum": "1", "itemNo": "SKU-1", "itemName": "面霜", "gmodel": "50ml/瓶", "unit": "142", "qty": "2",
             "price": "60.00", "totalPrice": "120.00", "currency": "142", "country": "502"},
            {"gnum": "2", "itemNo": "SKU-2", "itemName": "口红", "gmodel": "3.5g/支", "unit": "011", "qty": "1",
             "price": "80.00", "totalPrice": "80.00", "currency": "142", "country": "303"},
        ]
    elif what == "payment":
        head.update({
            "payCode": codes["payer"], "payName": PARTIES["payer"][1], "payTransactionId": f"PAY{number}",
            "orderNo": number, "ebpCode": codes["platform"], "ebpName": PARTIES["platform"][1], "payerIdType": "1",
            "payerIdNumber": buyer_id(index), "payerName": "李四", "telephone": "13900001111", "amountPaid": "223.20",
            "currency": "142", "payTime": NOW,
        })
    elif what == "waybill":
        head.update({
            "logisticsCode": codes["logistics"], "logisticsName": PARTIES["logistics"][1], "logisticsNo": f"WB{number}",
            "orderNo": number, "freight": "10", "insuredFee": "0", "currency": "142", "weight": "0.8", "packNo": "1",
            "goodsInfo": "面霜、口红", "consignee": "李四", "consigneeAddress": "浙江省杭州市西湖区文三路1号",
            "consigneeTelephone": "13900001111",
        })
    else:
        head.update({
            "appStatus": "2", "orderNo": number, "ebpCode": codes["platform"], "ebpName": PARTIES["platform"][1],
            "ebcCode": codes["ebc"], "ebcName": PARTIES["ebc"][1], "logisticsNo": f"WB{number}",
            "logisticsCode": codes["logistics"], "logisticsName": PARTIES["logistics"][1], "copNo": f"C{number}",
            "assureCode": codes["ebc"], "ieFlag": "I", "declTime": "20261122", "customsCode": "2900",
            "portCode": "2900", "buyerIdType": "1", "buyerIdNumber": buyer_id(index), "buyerName": "李四",
            "buyerTelephone": "13900001111", "consigneeAddress": "浙江省杭州市西湖区文三路1号",
            "agentCode": codes["ebc"], "agentName": PARTIES["ebc"][1], "tradeMode": "9610", "trafMode": "5",
            "trafNo": "CA1234", "voyageNo": "CA1234", "billNo": "999-12345678", "country": "502", "freight": "10",
            "insuredFee": "0", "currency": "142", "packNo": "1", "grossWeight": "0.9", "netWeight": "0.8",
        })
        lines = [
            {"gnum": "1", "itemNo": "SKU-1", "itemName": "面霜", "gcode": "3304990000", "gname": "面霜",
             "gmodel": "50ml/瓶", "country": "502", "currency": "142", "qty": "2", "unit": "142", "qty1": "0.1",
             "unit1": "035", "price": "60.00", "totalPrice": "120.00"},
            {"gnum": "2", "itemNo": "SKU-2", "itemName": "口红", "gcode": "3304100000", "gname": "口红",
             "gmodel": "3.5g/支", "country": "303", "currency": "142", "qty": "1", "unit": "011", "qty1": "0.0035",
             "unit1": "035", "price": "80.00", "totalPrice": "80.00"},
        ]
    item = {"kind": KIND_OF[what], "head": head}
    if lines:
        item["lines"] = lines
    if what == "list":  # a list declared with appStatus 2 must be signed (-900117)
        item["signature"] = signature(index)
    return item


def bulk_template(what: str, codes: dict[str, str], *, run8: str, scenario: int, count: int = BULK_DOCUMENTS) -> bytes:
    docs = [document(what, codes, run8=run8, scenario=scenario, index=i) for i in range(count)]
    return json.dumps({"documents": docs}, ensure_ascii=False, separators=(",", ":")).encode()


def ceb_template(codes: dict[str, str], *, run8: str, scenario: int) -> bytes:
    from filings.hub import ceb
    from filings.hub.spec import KINDS

    docs = [document("order", codes, run8=run8, scenario=scenario, index=i) for i in range(CEB_DOCUMENTS)]
    return ceb.render_message(KINDS["CEB311"], [(d["head"], d["lines"]) for d in docs], cop_code=codes["platform"],
                              cop_name=PARTIES["platform"][1], message_guid=guid(run8, scenario, 15, 0xFFFF),
                              dxp_id="DXPENTBENCH00001")


def fill(template: bytes, client: int, group: int) -> bytes:
    if group > MAX_GROUP:
        raise RuntimeError(f"more than {MAX_GROUP + 1} requests of one client: widen the mark")
    return template.replace(MARK.encode(), f"{client:02X}{group:04X}".encode())


# --- the load generator's requests (run in its processes; standard library only) -------------------

def count_is(needle: bytes, expected: int, body: bytes) -> bool:
    return body.count(needle) == expected


def build_declaration_request(job: dict, seq: int) -> tuple[str, str, bytes, dict[str, str], object]:
    """The ``seq``-th request of a client: the next sender's template with this request's mark.

    ``job["rotation"]`` lists the senders in turn; request ``seq`` uses sender
    ``rotation[(seq - 1) % n]`` and group ``(seq - 1) // n``, so the n senders of one group declare
    the same order numbers. The proof is ``job["proof"]`` (bytes, marked like the body) or a callable.
    """
    rotation = job["rotation"]
    what = rotation[(seq - 1) % len(rotation)]
    group = (seq - 1) // len(rotation)
    body = fill(job["templates"][what], job["client"], group)
    key_id, signing_key = job["senders"][what]
    headers = {"Accept": job["accept"], "Content-Type": job["content_type"],
               "Idempotency-Key": f"{job['run8']}-{job['scenario']}-{job['client']}-{seq}"}
    headers.update(signed_headers(key_id, bytes.fromhex(signing_key), "POST", job["path"], body))
    proof = job["proof"]
    if isinstance(proof, bytes):
        proof = fill(proof, job["client"], group)
    return "POST", job["path"], body, headers, proof


# --- the bench enterprises -------------------------------------------------------------------------

def bench_parties() -> dict[str, object]:
    """The four enterprises of the bench database, each registered with an administrator and
    filed with its role (created on the first run).

    The filing is written directly (an approved version in force, status FILED), as the hub's test
    fixtures do: the review workflow needs officers of four departments and is not what is measured.
    """
    from django.db import transaction
    from django.utils import timezone

    from filings.hub import authority
    from filings.models import EnterpriseFiling, EnterpriseFilingVersion
    from zone_portal.accounts import services
    from zone_portal.accounts.models import User
    from zone_portal.accounts.validators import uscc_check_char
    from zone_portal.core.errors import Conflict

    admins = {}
    for i, (role, (body, name, roles)) in enumerate(PARTIES.items()):
        username = f"bench_decl_{role}"
        admin = User.objects.filter(username=username).select_related("organization").first()
        if admin is None:
            try:
                admin = services.enterprise_register(data=services.Registration(
                    organization_name=name, organization_name_en=f"Benchmark {role}", uscc=body + uscc_check_char(body),
                    contact_name="基准", mobile=f"1380013802{i}", email=f"{role}@bench.example.invalid",
                    username=username, password=secrets.token_urlsafe(24)))
            except Conflict:  # a concurrent first run registered it
                admin = User.objects.select_related("organization").get(username=username)
        org = admin.organization
        with transaction.atomic():
            filing, _created = EnterpriseFiling.objects.select_for_update().get_or_create(organization=org)
            if filing.status != EnterpriseFiling.Status.FILED:
                version = EnterpriseFilingVersion.objects.create(
                    filing=filing, number=filing.versions.count() + 1, status=EnterpriseFilingVersion.Status.APPROVED,
                    roles=roles, uscc=org.uscc, name=name, legal_representative="基准", contact_name="基准",
                    registered_address="浙江省杭州市滨江区网商路699号", contact_mobile=f"1380013802{i}",
                    contact_email=f"{role}@bench.example.invalid", business_scope="跨境电子商务零售进出口",
                    created_by=admin, submitted_at=timezone.now(), decided_at=timezone.now())
                filing.status, filing.effective_version = EnterpriseFiling.Status.FILED, version
                filing.filing_no, filing.filed_at = f"ZFBENCH{org.pk:08d}", timezone.now()
                filing.save()
                transaction.on_commit(authority.bump_generation)
        admins[role] = admin
    return admins


# --- in this process: ingest() alone, the lint, the profile, COPY -----------------------------------

def parsed_documents(body: bytes):
    """The hub's Documents of a bulk body, as the view builds them (less the per-scope check)."""
    import orjson

    from filings.hub.spec import KINDS
    from filings.hub.validate import Document

    items = orjson.loads(body)["documents"]
    return items, [Document(kind=KINDS[item["kind"]], head=item["head"], lines=item.get("lines", []), index=i,
                            signature=item.get("signature", "")) for i, item in enumerate(items)]


# (module, attribute, label, top level): functions of ingest() timed by wrapping them in this process.
PHASES = (
    ("filings.hub.ingest", "validate_document", "field and cross-field validation", True),
    ("filings.hub.ingest", "_authorize", "authorization of the codes and roles", True),
    ("filings.hub.ingest", "_check_goods", "goods record check", True),
    ("filings.hub.ingest", "_mark_batch_duplicates", "duplicates inside the batch", True),
    ("filings.hub.ingest", "_lookup_existing", "existing guids and keys, SELECT … FOR UPDATE", True),
    ("filings.hub.ingest", "_decide", "decisions against the stored state", True),
    ("filings.hub.ingest", "_insert_declarations", "declarations: columns + INSERT … ON CONFLICT RETURNING", True),
    ("filings.hub.ingest", "_update_declarations", "declarations changed (appType 2/3)", True),
    ("filings.models:DeclarationVersion", "bulk_create", "versions: bulk_create (SM4, JSON)", True),
    ("filings.models:DeclarationReceipt", "bulk_create", "receipts: bulk_create", True),
    ("filings.hub.events", "publish_outcomes", "events outbox (COPY) and the after-commit signal", True),
    ("commit", "commit", "COMMIT", True),
    ("filings.hub.ingest", "_columns", "… within the declarations: their columns, blind indexes included", False),
    ("zone_portal.core.crypto", "encrypt", "… within the versions: SM4-GCM of the personal fields", False),
    ("sql", "execute", "… across all: SQL statements (psycopg binding client-side + PostgreSQL)", False),
)


@contextlib.contextmanager
def phase_timers(totals: dict[str, list]):
    """Wrap the functions of ``PHASES`` (and the connection's SQL and commit) with wall-clock
    timers adding to ``totals[label] = [seconds, calls]``; everything is restored on exit. A
    function that is not there any more is simply not timed."""
    import importlib

    from django.db import connections

    connection = connections["default"]
    restore = []

    def timed(label, original):
        entry = totals.setdefault(label, [0.0, 0])

        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                entry[0] += time.perf_counter() - started
                entry[1] += 1
        return wrapper

    sql_entry = None
    for where, name, label, _top in PHASES:
        if where == "sql":
            sql_entry = totals.setdefault(label, [0.0, 0])
            continue
        if where == "commit":
            target = connection
        elif ":" in where:
            module, model = where.split(":")
            target = getattr(importlib.import_module(module), model).objects
        else:
            target = importlib.import_module(where)
        original = getattr(target, name, None)
        if original is None:
            continue
        had_own = name in vars(target)
        setattr(target, name, timed(label, original))
        restore.append((target, name, original if had_own else None))

    def sql_timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_entry[0] += time.perf_counter() - started
            sql_entry[1] += 1

    try:
        with connection.execute_wrapper(sql_timer):
            yield totals
    finally:
        for target, name, original in reversed(restore):
            if original is None:
                delattr(target, name)
            else:
                setattr(target, name, original)


def measure_in_process(plan: Plan, templates: dict[str, bytes], parties: dict, clients: dict, run8: str) -> dict:
    """ingest() of 1,000-document batches (senders in turn), each preceded by the lint of the same
    documents; also the JSON parse and the answer's rendering the view adds around ingest()."""
    import orjson

    from filings.hub.ingest import ingest

    timers = {"parse": 0.0, "lint": 0.0, "ingest": 0.0, "render": 0.0}
    phase_totals: dict[str, list] = {}
    refused = batches = 0
    samples = {}
    # Whole rounds of the four senders, until ingest() alone has run ``in_process_s``.
    while batches < plan.in_process_batches and (
            batches == 0 or batches % len(ROTATION) or timers["ingest"] < plan.in_process_s):
        what = ROTATION[batches % len(ROTATION)]
        group = batches // len(ROTATION)
        body = fill(templates[what], 0, group)
        lint_docs = parsed_documents(body)[1]
        t0 = time.perf_counter()
        items, docs = parsed_documents(body)
        t1 = time.perf_counter()
        lint = ingest(lint_docs, organization_id=parties[SENDER_OF[what]], store=False)
        t2 = time.perf_counter()
        with phase_timers(phase_totals):
            outcomes = ingest(docs, organization_id=parties[SENDER_OF[what]], client_id=clients[SENDER_OF[what]])
        t3 = time.perf_counter()
        answer = orjson.dumps({"accepted": sum(o.accepted for o in outcomes),
                               "results": [o.as_dict() for o in outcomes]})
        t4 = time.perf_counter()
        for name, seconds in zip(timers, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            timers[name] += seconds
        refused += sum(not o.accepted for o in outcomes) + sum(bool(o.problems) for o in lint)
        if group == 0:
            samples[what] = items[0]
        batches += 1
        del answer
    documents = batches * BULK_DOCUMENTS
    rate = {name: round(documents / seconds) if seconds else None for name, seconds in timers.items()}
    top = sum(phase_totals.get(label, [0.0])[0] for _w, _n, label, is_top in PHASES if is_top)
    phases = {label: {"ms_per_1000_documents": round(1000 * seconds / batches, 1), "calls": calls,
                      "share_of_ingest": round(seconds / timers["ingest"], 3)}
              for label, (seconds, calls) in phase_totals.items()}
    phases["rest of ingest() (outcomes, receipts' rows, bookkeeping)"] = {
        "ms_per_1000_documents": round(1000 * (timers["ingest"] - top) / batches, 1),
        "share_of_ingest": round((timers["ingest"] - top) / timers["ingest"], 3)}
    return {
        "batches": batches, "documents": documents, "refused": refused,
        "seconds": {name: round(seconds, 3) for name, seconds in timers.items()},
        "documents_per_s": rate,
        "ms_per_1000_documents": {name: round(1000 * seconds / batches, 1) for name, seconds in timers.items()},
        "ingest_phases": phases,
        "samples": samples,
    }


PROFILE_PHASES = (  # (file suffix, function, what it is)
    ("filings/hub/ingest.py", "ingest", "ingest() in all"),
    ("filings/hub/validate.py", "validate_document", "field and cross-field validation (per document)"),
    ("filings/hub/validate.py", "check", "compiled field checks"),
    ("filings/hub/ingest.py", "_authorize", "authorization of codes and roles (per document)"),
    ("filings/hub/ingest.py", "_check_goods", "goods record check (1210/1239 lists)"),
    ("filings/hub/ingest.py", "_mark_batch_duplicates", "duplicates inside the batch"),
    ("filings/hub/ingest.py", "_lookup_existing", "existing guids and keys (SELECT … FOR UPDATE)"),
    ("filings/hub/ingest.py", "_decide", "decisions against the stored state"),
    ("filings/hub/ingest.py", "_store", "storing: rows, receipts, events"),
    ("filings/hub/ingest.py", "_insert_declarations", "INSERT … ON CONFLICT of the declarations"),
    ("filings/hub/ingest.py", "_columns", "declaration columns (per document)"),
    ("filings/hub/ingest.py", "_blind_indexes", "blind indexes, HMAC-SM3 (per document)"),
    ("django/db/models/query.py", "bulk_create", "bulk_create of versions and receipts"),
    ("zone_portal/core/crypto.py", "encrypt", "SM4-GCM encryption of the personal fields"),
    ("django/db/models/fields/json.py", "get_db_prep_value", "JSONField encoding (head, lines, keys, problems)"),
    ("filings/hub/events.py", "publish_outcomes", "events outbox (declaration.accepted …)"),
    ("django/db/backends/utils.py", "_execute", "SQL statements: time waiting on PostgreSQL + driver"),
    ("psycopg/cursor.py", "execute", "psycopg execute"),
)


def profile_ingest(templates: dict[str, bytes], parties: dict, clients: dict, output: Path, run_info: str) -> dict:
    """cProfile of one ingest() of 1,000 orders (the biggest documents), warm; the top 15 by
    cumulative and by own time to ``output``; the phases' cumulative share."""
    from filings.hub.ingest import ingest

    _items, docs = parsed_documents(fill(templates["order"], 0, 0))
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    outcomes = ingest(docs, organization_id=parties["platform"], client_id=clients["platform"])
    profiler.disable()
    wall = time.perf_counter() - started
    refused = sum(not o.accepted for o in outcomes)
    text = io.StringIO()
    text.write(f"cProfile of one ingest() of {len(docs)} import orders (CEB311, 2 lines each), warm, "
               f"{wall:.3f} s under the profiler; {refused} refused. {run_info}\n\n")
    stats = pstats.Stats(profiler, stream=text)
    for order in ("cumulative", "tottime"):
        text.write(f"=== top 15 by {order} ===\n")
        stats.sort_stats(order).print_stats(15)
    output.write_text(text.getvalue())
    total = None
    phases = {}
    for (filename, _line, function), (_cc, calls, _tt, cumulative, _callers) in stats.stats.items():
        for suffix, name, label in PROFILE_PHASES:
            if function == name and filename.endswith(suffix):
                entry = phases.setdefault(f"{suffix}:{name}", {"what": label, "calls": 0, "cumulative_s": 0.0})
                entry["calls"] += calls
                entry["cumulative_s"] += cumulative
    total = phases.get("filings/hub/ingest.py:ingest", {}).get("cumulative_s") or wall
    for entry in phases.values():
        entry["share_of_ingest"] = round(entry["cumulative_s"] / total, 3)
        entry["cumulative_s"] = round(entry["cumulative_s"], 4)
    order = {f"{s}:{n}": i for i, (s, n, _l) in enumerate(PROFILE_PHASES)}
    return {"wall_s_under_profiler": round(wall, 3), "refused": refused, "file": str(output),
            "phases": dict(sorted(phases.items(), key=lambda kv: order[kv[0]]))}


def copy_columns(model) -> list:
    """The model's columns a COPY writes: every concrete field but those the database fills
    (``db_default``, e.g. the receipts' transaction id). From the model, so a field added later
    (with its default) is written too."""
    from django.db.models import NOT_PROVIDED

    return [f for f in model._meta.concrete_fields if f.db_default is NOT_PROVIDED]


def copy_value(field, values: dict):
    """A field's value for COPY: from ``values`` (by attname) or the field's default; JSON
    encoded, and encrypted where the model field encrypts."""
    import orjson
    from django.db.models import JSONField

    from zone_portal.core import crypto
    from zone_portal.core.fields import EncryptedTextField

    value = values[field.attname] if field.attname in values else field.get_default()
    if isinstance(field, JSONField):
        return orjson.dumps(value).decode()
    if isinstance(field, EncryptedTextField) and value:
        return crypto.encrypt(value)
    return value


def copy_rows(template: bytes, group: int, *, organization_id: int, parties_of: dict, client_id: int, now):
    """The values of one batch's rows (id and the parent ids left out), keyed by attname."""
    import orjson

    from bench.plain_declarations import document_rows

    rows = []
    for item in orjson.loads(fill(template, 0, group))["documents"]:
        declaration, version, receipt = document_rows(item, organization_id=organization_id, parties_of=parties_of)
        rows.append((
            declaration | {"organization_id": organization_id, "declared_at": now, "updated_at": now, "version": 1},
            version | {"source": "json", "client_id": client_id, "received_at": now},
            receipt | {"organization_id": organization_id, "return_time": now, "problems": []},
        ))
    return rows


def copy_text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, list):
        return "{" + ",".join(str(v) for v in value) + "}"  # bigint[] (parties)
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_data(rows: list[tuple]) -> bytes:
    return "".join("\t".join(copy_text(v) for v in row) + "\n" for row in rows).encode()


def prepare_copy_batches(count: int, conn, templates: dict[str, bytes], parties: dict, parties_of: dict,
                         clients: dict) -> list[tuple[bytes, bytes, bytes]]:
    """``count`` batches of 1,000 documents (senders in turn) as the COPY data of the three
    tables, ids reserved from the sequences: all the client-side work, done before the clock."""
    from django.utils import timezone

    from filings.models import Declaration, DeclarationReceipt, DeclarationVersion

    fields = [copy_columns(model) for model in (Declaration, DeclarationVersion, DeclarationReceipt)]
    batches = []
    for b in range(count):
        what = ROTATION[b % len(ROTATION)]
        sender = SENDER_OF[what]
        rows = copy_rows(templates[what], b // len(ROTATION), organization_id=parties[sender],
                         parties_of=parties_of, client_id=clients[sender], now=timezone.now())
        ids = conn.execute("SELECT nextval(pg_get_serial_sequence('filings_declaration', 'id')), "
                           "nextval(pg_get_serial_sequence('filings_declarationversion', 'id')) "
                           "FROM generate_series(1, %s)", [len(rows)]).fetchall()
        conn.commit()
        data = [[], [], []]
        for (d, v), (declaration, version, receipt) in zip(ids, rows, strict=True):
            for i, values in enumerate((declaration | {"id": d}, version | {"id": v, "declaration_id": d},
                                        receipt | {"declaration_id": d, "version_id": v})):
                data[i].append(tuple(copy_value(f, values) for f in fields[i] if f.attname != "id" or i < 2))
        batches.append(tuple(copy_data(rows) for rows in data))
    return batches


def copy_statements() -> list[str]:
    from filings.models import Declaration, DeclarationReceipt, DeclarationVersion

    statements = []
    for i, model in enumerate((Declaration, DeclarationVersion, DeclarationReceipt)):
        columns = [f.column for f in copy_columns(model) if f.attname != "id" or i < 2]
        statements.append(f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN")
    return statements


def copy_batches(conn, batches: list[tuple[bytes, bytes, bytes]], statements: list[str],
                 start=None) -> tuple[float, float]:
    """COPY the batches, one transaction each (3 COPY statements and the commit); (start, end)."""
    if start is not None:
        start.wait()
    began = time.perf_counter()
    for batch in batches:
        with conn.transaction(), conn.cursor() as cursor:
            for statement, data in zip(statements, batch, strict=True):
                with cursor.copy(statement) as copy:
                    copy.write(data)
    return began, time.perf_counter()


def measure_copy(plan: Plan, bench_url: str, templates: dict[str, bytes], parties: dict, parties_of: dict,
                 clients: dict) -> dict:
    """COPY of the same rows into the same three tables, 1,000 documents a transaction: a third of
    the batches on one connection, the rest on two connections at once (as the hub has two
    workers). The COPY data is prepared beforehand, so this is PostgreSQL's own limit."""
    import threading

    import psycopg

    statements = copy_statements()
    with psycopg.connect(bench_url) as conn:
        prepared = prepare_copy_batches(plan.copy_batches, conn, templates, parties, parties_of, clients)
    single, parallel = prepared[: len(prepared) // 3], prepared[len(prepared) // 3:]
    result = {"transaction": f"{BULK_DOCUMENTS} documents (3 COPY statements) per transaction",
              "preparation": "rows JSON-encoded and encrypted, ids reserved and COPY text rendered before the clock"}
    with psycopg.connect(bench_url) as conn:
        began, ended = copy_batches(conn, single, statements)
    documents = len(single) * BULK_DOCUMENTS
    result["one_connection"] = {"documents": documents, "seconds": round(ended - began, 3),
                                "documents_per_s": round(documents / (ended - began)),
                                "rows_per_s": round(3 * documents / (ended - began))}
    start = threading.Barrier(2)
    spans: list[tuple[float, float]] = []
    conns = [psycopg.connect(bench_url) for _ in range(2)]
    try:
        threads = [threading.Thread(target=lambda c=c, part=parallel[i::2]: spans.append(
            copy_batches(c, part, statements, start))) for i, c in enumerate(conns)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for c in conns:
            c.close()
    documents = len(parallel) * BULK_DOCUMENTS
    wall = max(e for _b, e in spans) - min(b for b, _e in spans)
    result["two_connections"] = {"documents": documents, "seconds": round(wall, 3),
                                 "documents_per_s": round(documents / wall), "rows_per_s": round(3 * documents / wall)}
    result["documents_per_s"] = result["two_connections"]["documents_per_s"]
    result["rows_per_s"] = result["two_connections"]["rows_per_s"]
    return result


def check_rows(samples: dict, parties: dict, parties_of: dict) -> list[str]:
    """Differences between what the hub stored for one document of each sender and the rows the
    references write for it (empty: the references write the same rows)."""
    from bench.plain_declarations import DECLARATION_FIELDS, document_rows
    from filings.models import Declaration, DeclarationReceipt, DeclarationVersion

    differences = []
    for what, item in samples.items():
        declaration, version, receipt = document_rows(item, organization_id=parties[SENDER_OF[what]],
                                                      parties_of=parties_of)
        stored = Declaration.objects.filter(guid=item["head"]["guid"]).values(*DECLARATION_FIELDS).first()
        if stored is None:
            differences.append(f"{what}: not stored")
            continue
        differences += [f"{what}: declaration.{name} hub {stored[name]!r} reference {declaration[name]!r}"
                        for name in DECLARATION_FIELDS if stored[name] != declaration[name]]
        stored_version = DeclarationVersion.objects.get(guid=item["head"]["guid"])
        for name in ("head", "lines", "signature"):
            if getattr(stored_version, name) != version[name]:
                differences.append(f"{what}: version.{name} differs")
        if (json.loads(stored_version.personal) if stored_version.personal else {}) != (
                json.loads(version["personal"]) if version["personal"] else {}):
            differences.append(f"{what}: version.personal differs")
        stored_receipt = DeclarationReceipt.objects.filter(guid=item["head"]["guid"]).first()
        for name in ("keys", "return_status", "return_info"):
            if getattr(stored_receipt, name) != receipt[name]:
                differences.append(f"{what}: receipt.{name} hub {getattr(stored_receipt, name)!r} "
                                   f"reference {receipt[name]!r}")
    return differences


# --- stored rows, clean-up ---------------------------------------------------------------------------

def stored_counts(run8: str) -> dict[str, dict[str, int]]:
    """Declarations, versions and receipts of this run per scenario (the guid's 10th character)."""
    from django.db import connection

    counts: dict[str, dict[str, int]] = {}
    code_name = {f"{code:X}": name for name, code in CODES.items()}
    with connection.cursor() as cursor:
        for table in ("filings_declaration", "filings_declarationversion", "filings_declarationreceipt"):
            cursor.execute(f"SELECT substr(guid, 10, 1), count(*) FROM {table} WHERE guid LIKE %s "
                           "GROUP BY 1", [f"{run8}-%"])
            for code, count in cursor.fetchall():
                counts.setdefault(code_name.get(code, code), {})[table.removeprefix("filings_")] = count
    return counts


def delete_run_rows(run8: str) -> dict[str, int]:
    """Delete what this run wrote (children first: the foreign keys have no ON DELETE), then
    VACUUM ANALYZE so that the next run starts from the same state without autovacuum running."""
    from django.db import connection, transaction

    deleted = {}
    pattern = f"{run8}-%"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM events_event WHERE subject LIKE %s", [f"CEB___:{pattern}"])
        deleted["events_event"] = cursor.rowcount
        for table in ("filings_declarationreceipt", "filings_declarationversion", "filings_declaration"):
            cursor.execute(f"DELETE FROM {table} WHERE guid LIKE %s", [pattern])
            deleted[table] = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE filings_declaration, filings_declarationversion, filings_declarationreceipt, "
                       "events_event")
    return deleted


def table_state() -> dict[str, dict]:
    """Rows (estimate) and size of the hub's tables: the bench database is shared by every
    benchmark, and a table of millions of rows inserts slower than an empty one."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, n_live_tup, n_dead_tup, pg_total_relation_size(relid) FROM pg_stat_user_tables "
                       "WHERE relname IN ('filings_declaration', 'filings_declarationversion', "
                       "'filings_declarationreceipt', 'events_event') ORDER BY relname")
        return {name: {"live_rows": live, "dead_rows": dead, "mb": round(size / 1e6)}
                for name, live, dead, size in cursor.fetchall()}


# --- report ---------------------------------------------------------------------------------------

def ratio(value: float | None, reference: float | None) -> float | None:
    return round(value / reference, 3) if value and reference else None


def figures_of(report: dict) -> list[dict]:
    """Every headline figure with its reference and goal, as ratios."""
    s, inproc, copy = report["scenarios"], report["in_process"], report["copy"]
    hub, drf, ceb = (s[name]["documents_per_s"] for name in ("hub_bulk", "drf_bulk", "ceb"))
    single, floor = s["single"], s["single_floor"]
    ingest_rate = inproc["documents_per_s"]["ingest"]
    vs_drf = ratio(hub, drf)
    return [
        {"figure": "bulk JSON through the hub (HTTP)", "value": hub, "unit": "documents/s",
         "goal": GOAL_BULK_DOCS_PER_S, "ratio_to_goal": ratio(hub, GOAL_BULK_DOCS_PER_S),
         "reference_copy": copy["documents_per_s"], "ratio_to_copy": ratio(hub, copy["documents_per_s"]),
         "reference_drf": drf, "ratio_to_drf": vs_drf, "goal_ratio_to_drf": GOAL_BULK_VS_DRF,
         "ratio_to_drf_goal": ratio(vs_drf, GOAL_BULK_VS_DRF)},
        {"figure": "plain DRF ModelSerializer(many=True) + bulk_create (HTTP), reference", "value": drf,
         "unit": "documents/s", "note": f"the hub's goal is {GOAL_BULK_VS_DRF:.0f} x this"},
        {"figure": "raw COPY of the same rows, reference (the limit)", "value": copy["documents_per_s"],
         "unit": "documents/s", "rows_per_s": copy["rows_per_s"], "note": "two connections at once",
         "one_connection_documents_per_s": copy["one_connection"]["documents_per_s"]},
        {"figure": "ingest() in one process, no HTTP", "value": ingest_rate, "unit": "documents/s",
         "goal": GOAL_BULK_DOCS_PER_S, "ratio_to_goal": ratio(ingest_rate, GOAL_BULK_DOCS_PER_S),
         "reference_copy_one_connection": copy["one_connection"]["documents_per_s"],
         "ratio_to_copy_one_connection": ratio(ingest_rate, copy["one_connection"]["documents_per_s"]),
         "note": "one process on one core; the HTTP figure has two workers"},
        {"figure": "lint, ingest(store=False), in one process", "value": inproc["documents_per_s"]["lint"],
         "unit": "documents/s", "goal": GOAL_BULK_DOCS_PER_S,
         "ratio_to_goal": ratio(inproc["documents_per_s"]["lint"], GOAL_BULK_DOCS_PER_S)},
        {"figure": "CEB XML through the hub (HTTP, 100-document CEB311 messages)", "value": ceb,
         "unit": "documents/s", "goal": GOAL_CEB_DOCS_PER_S, "ratio_to_goal": ratio(ceb, GOAL_CEB_DOCS_PER_S),
         "reference_bulk_json": hub, "ratio_to_bulk_json": ratio(ceb, hub)},
        {"figure": "single-document POST of an order", "value": single["requests_per_s"], "unit": "requests/s",
         "goal": GOAL_SINGLE_RPS, "ratio_to_goal": ratio(single["requests_per_s"], GOAL_SINGLE_RPS),
         "p50_ms": single["latency_ms"]["p50"], "p99_ms": single["latency_ms"]["p99"],
         "limit_p99_ms": LIMIT_SINGLE_P99_MS, "ratio_to_p99_limit": ratio(single["latency_ms"]["p99"],
                                                                           LIMIT_SINGLE_P99_MS),
         "reference_signed_post_floor": floor["requests_per_s"],
         "ratio_to_floor": ratio(single["requests_per_s"], floor["requests_per_s"])},
    ]


def print_report(report: dict, output: Path) -> None:
    m = report["machine"]
    print(f"machine: {m['nproc']} × {m['cpu_model']}, {m['memory_gib']} GiB, Python {m['python']}, "
          f"PostgreSQL {m['postgresql']}, Redis {m['redis']}; {m['server']}")
    print("tables at the start: " + ", ".join(f"{name} {t['live_rows']:,} rows ({t['dead_rows']:,} dead), {t['mb']} MB"
                                              for name, t in report["tables_at_start"].items()))
    f = {x["figure"]: x for x in report["figures"]}
    hub = f["bulk JSON through the hub (HTTP)"]
    print(f"bulk JSON, hub (HTTP, {BULK_DOCUMENTS}/request): {hub['value']:,} documents/s = "
          f"{hub['ratio_to_goal']} × the {GOAL_BULK_DOCS_PER_S:,}/s goal; {hub['ratio_to_copy']} × raw COPY "
          f"({hub['reference_copy']:,}/s); {hub['ratio_to_drf']} × plain DRF ({hub['reference_drf']:,}/s) = "
          f"{hub['ratio_to_drf_goal']} × the {GOAL_BULK_VS_DRF:.0f}× goal")
    inproc = report["in_process"]
    print(f"  in one process, no HTTP: ingest() {inproc['documents_per_s']['ingest']:,} documents/s "
          f"({inproc['ms_per_1000_documents']['ingest']} ms per 1,000), lint {inproc['documents_per_s']['lint']:,}/s "
          f"({inproc['ms_per_1000_documents']['lint']} ms), JSON parse {inproc['ms_per_1000_documents']['parse']} ms, "
          f"answer rendering {inproc['ms_per_1000_documents']['render']} ms per 1,000")
    print("  where ingest() spends its time (ms per 1,000 documents, wall clock, no profiler): " + "; ".join(
        f"{label} {p['ms_per_1000_documents']}" for label, p in inproc["ingest_phases"].items()))
    copy = report["copy"]
    print(f"  raw COPY of the same rows: {copy['documents_per_s']:,} documents/s ({copy['rows_per_s']:,} rows/s) "
          f"on two connections, {copy['one_connection']['documents_per_s']:,}/s on one; ingest() alone = "
          f"{ratio(inproc['documents_per_s']['ingest'], copy['one_connection']['documents_per_s'])} × one-connection "
          f"COPY; profile of one ingest() in {report['profile']['file']}")
    ceb = f["CEB XML through the hub (HTTP, 100-document CEB311 messages)"]
    print(f"CEB XML, hub (HTTP, {CEB_DOCUMENTS}/message): {ceb['value']:,} documents/s = {ceb['ratio_to_goal']} × "
          f"the {GOAL_CEB_DOCS_PER_S:,}/s goal ({ceb['ratio_to_bulk_json']} × bulk JSON)")
    single = f["single-document POST of an order"]
    print(f"single POST of an order: {single['value']:,.0f} req/s = {single['ratio_to_goal']} × the "
          f"{GOAL_SINGLE_RPS} req/s goal; p50 {single['p50_ms']} ms, p99 {single['p99_ms']} ms = "
          f"{single['ratio_to_p99_limit']} × the {LIMIT_SINGLE_P99_MS:.0f} ms limit; "
          f"{single['ratio_to_floor']} × the signed-POST floor ({single['reference_signed_post_floor']:,.0f} req/s)")
    for name, summary in report["scenarios"].items():
        cores, per = summary["cpu_cores"], summary["cpu_ms_per_request"]
        others = ", ".join(summary["busiest_other_processes"]) or "-"
        print(f"  {name}: {summary['requests']} requests, p50 {summary['latency_ms']['p50']} ms, p99 "
              f"{summary['latency_ms']['p99']} ms, {summary['errors']} errors; cores: gunicorn {cores['gunicorn']}, "
              f"PostgreSQL {cores['postgresql']}, Redis {cores['redis']}, load generator {cores['load_generator']}, "
              f"other {cores['other_processes']} ({others}); CPU per request: gunicorn {per['gunicorn']} ms, "
              f"PostgreSQL + Redis {per['postgresql_and_redis']} ms")
    busy = [name for name, s in report["scenarios"].items() if s["cpu_cores"]["other_processes"] > OTHERS_NOTICEABLE]
    if busy:
        print(f"note: other processes shared the CPU during {', '.join(busy)}: those figures understate the platform")
    if report["row_check"]:
        print(f"note: the reference rows differ from the hub's: {report['row_check'][:5]}")
    print(f"results in {output}")


def problems_of(report: dict) -> list[str]:
    """Why the run does not measure the intended paths (empty: it does)."""
    problems = [f"{name}: {s['errors'] + s['warmup_errors']} wrong answers, e.g. {s['error_samples']}"
                for name, s in report["scenarios"].items() if s["errors"] or s["warmup_errors"] or not s["requests"]]
    for name, s in report["scenarios"].items():
        if "documents_expected" in s:
            got = report["stored"].get(name, {})
            for table in ("declaration", "declarationversion", "declarationreceipt"):
                if got.get(table, 0) != s["documents_expected"]:
                    problems.append(f"{name}: {s['documents_expected']} documents accepted but {got.get(table, 0)} "
                                    f"rows in {table}")
    if report["in_process"]["refused"]:
        problems.append(f"in_process: {report['in_process']['refused']} documents refused")
    if report["profile"]["refused"]:
        problems.append(f"profile: {report['profile']['refused']} documents refused")
    floor = report["scenarios"]["single_floor"]
    if floor["audit_events_written"] != floor["created_total"]:
        problems.append(f"single_floor: {floor['created_total']} answered 201 but {floor['audit_events_written']} "
                        f"audit events were written")
    return problems


# --- the run ------------------------------------------------------------------------------------------

def main() -> int:
    plan = PLANS[os.environ.get("BENCH_SCALE", "full")]
    bulk_clients = int(os.environ.get("BENCH_BULK_CLIENTS", "2"))
    single_clients = int(os.environ.get("BENCH_CLIENTS", "4"))
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    max_requests = int(os.environ.get("BENCH_MAX_REQUESTS", "20000"))
    output = Path(os.environ.get("BENCH_OUTPUT", DEFAULT_OUTPUT))
    profile_output = output.with_name(output.stem + "_profile.txt")
    database_url, redis_url = os.environ["DATABASE_URL"], os.environ["REDIS_URL"]
    run = datetime.now(UTC).strftime("d%Y%m%d%H%M%S") + secrets.token_hex(2)
    run8 = secrets.token_hex(4).upper()  # in every guid and order number of the run
    cache_prefix = f"zpbench-{run}"
    started_run = time.monotonic()

    bench_url = ensure_database(database_url)
    env = server_env(bench_url, cache_prefix)
    migrate(env)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "CACHE_KEY_PREFIX")})
    import django

    django.setup()
    from django.db import connections

    from bench.bench_api_requests import build_request as build_floor_request
    from bench.plain_declarations import PLAIN_BULK_PATH
    from bench.urls_bench import BENCH_EVENTS_PATH
    from zone_portal.accounts import services
    from zone_portal.codes.models import HsCode
    from zone_portal.codes.services import codes_load

    if not HsCode.objects.exists():
        log("loading the code tables into the bench database")
        codes_load()
    admins = bench_parties()
    parties = {role: admin.organization_id for role, admin in admins.items()}
    codes = {role: admin.organization.uscc for role, admin in admins.items()}
    parties_of = {admin.organization.uscc: admin.organization_id for admin in admins.values()}
    issued = {role: api_client_for_run_of(admin, run) for role, admin in admins.items()}
    floor_admin = bench_admin()
    floor_client, floor_secret = api_client_for_run(floor_admin, run)
    senders = {}
    for what in ROTATION:
        client, secret = issued[SENDER_OF[what]]
        senders[what] = (client.key_id, hashlib.sha256(secret.encode()).hexdigest())
    client_ids = {role: client.pk for role, (client, _secret) in issued.items()}

    t0 = time.perf_counter()
    templates = {name: {what: bulk_template(what, codes, run8=run8, scenario=CODES[name]) for what in ROTATION}
                 for name in ("hub_bulk", "drf_bulk", "in_process", "copy", "profile")}
    ceb_body = ceb_template(codes, run8=run8, scenario=CODES["ceb"])
    single_body = json.dumps(document("order", codes, run8=run8, scenario=CODES["single"], index=0),
                             ensure_ascii=False, separators=(",", ":")).encode()
    log(f"bodies rendered in {time.perf_counter() - t0:.1f} s ({len(templates['hub_bulk']['order']) / 1e6:.2f} MB "
        f"a 1,000-order request, {len(ceb_body) / 1e3:.0f} kB a 100-order CEB message)")
    connections.close_all()

    port = free_port()
    command = gunicorn_command(port, workers, max_requests)
    output.parent.mkdir(parents=True, exist_ok=True)
    log_path = output.parent / "gunicorn_declarations.log"
    machine = machine_facts(bench_url, redis_url, max(bulk_clients, single_clients), command)
    machine["load_generator"] = (f"{bulk_clients} processes for bulk JSON and CEB XML, {single_clients} for the single "
                                 "POST; http.client, one connection per client, kept alive by gthread workers "
                                 "(sync workers close it after each request)")
    report: dict = {
        "benchmark": "declarations", "run": run, "run_mark": run8, "scale": plan.name,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "goals": {"bulk_documents_per_s": GOAL_BULK_DOCS_PER_S, "bulk_vs_plain_drf": GOAL_BULK_VS_DRF,
                  "ceb_documents_per_s": GOAL_CEB_DOCS_PER_S, "single_requests_per_s": GOAL_SINGLE_RPS,
                  "single_p99_ms": LIMIT_SINGLE_P99_MS,
                  "source": "the declaration hub issue, on this 2-core machine with a 2-process server"},
        "machine": machine, "tables_at_start": table_state(), "scenarios": {},
    }
    json_job = {"build": build_declaration_request, "host": HOST, "run8": run8, "accept": "application/json",
                "content_type": "application/json", "senders": senders, "timeout_s": 120}
    scenarios = [
        ("hub_bulk", f"bulk JSON {BULK_PATH}", plan.bulk, bulk_clients, 200, BULK_DOCUMENTS, json_job | {
            "path": BULK_PATH, "rotation": ROTATION, "templates": templates["hub_bulk"],
            "proof": f'"accepted":{BULK_DOCUMENTS},"rejected":0,'.encode()}),
        ("drf_bulk", f"plain DRF bulk {PLAIN_BULK_PATH}", plan.bulk, bulk_clients, 200, BULK_DOCUMENTS, json_job | {
            "path": PLAIN_BULK_PATH, "rotation": ROTATION, "templates": templates["drf_bulk"],
            "proof": f'"accepted":{BULK_DOCUMENTS},"rejected":0,'.encode()}),
        ("ceb", f"CEB XML {CEB_PATH}", plan.ceb, bulk_clients, 200, CEB_DOCUMENTS, json_job | {
            "path": CEB_PATH, "rotation": ("order",), "templates": {"order": ceb_body},
            "accept": "application/xml", "content_type": "application/xml; charset=utf-8",
            "proof": functools.partial(count_is, b"returnStatus>120<", CEB_DOCUMENTS)}),
        ("single", f"single POST {SINGLE_PATH}", plan.single, single_clients, 201, 1, json_job | {
            "path": SINGLE_PATH, "rotation": ("order",), "templates": {"order": single_body},
            "proof": f'"guid":"{guid(run8, CODES["single"], 0, 0)}","accepted":true'.encode(), "timeout_s": 10}),
        ("single_floor", f"signed POST floor {BENCH_EVENTS_PATH}", plan.single, single_clients, 201, None, {
            "build": build_floor_request, "host": HOST, "key_id": floor_client.key_id,
            "signing_key": hashlib.sha256(floor_secret.encode()).hexdigest(), "post_path": BENCH_EVENTS_PATH,
            "run": run}),
    ]
    log(f"gunicorn on {HOST}:{port}, {workers} workers, log in {log_path}")
    with log_path.open("w") as server_log:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=server_log, stderr=subprocess.STDOUT)
    pool = None
    try:
        wait_ready(server, port, workers, log_path)
        pool = multiprocessing.get_context("spawn").Pool(max(bulk_clients, single_clients))
        pool.map(abs, range(max(bulk_clients, single_clients)), chunksize=1)  # processes up before the clock
        for name, label, scale, clients, status, per_request, job in scenarios:
            log(f"{name}: {clients} clients, {scale.warmup_s} s warm-up, then up to {scale.duration_s} s "
                f"or {scale.max_requests} requests")
            summary = run_scenario(pool, name, job | {"port": port}, scale, clients, server.pid, label=label,
                                   expected_status=status)
            if per_request:
                summary["documents_per_request"] = per_request
                summary["documents"] = summary["verified"] * per_request
                summary["documents_per_s"] = (round(summary["requests"] * per_request / summary["duration_s"])
                                              if summary["duration_s"] else 0)
                summary["documents_expected"] = (summary["verified"] + summary["warmup_requests"]
                                                 - summary["warmup_errors"]) * per_request
                summary["gunicorn_cpu_ms_per_1000_documents"] = round(
                    summary["cpu_ms_per_request"]["gunicorn"] * 1000 / per_request, 1)
                summary["postgresql_redis_cpu_ms_per_1000_documents"] = round(
                    summary["cpu_ms_per_request"]["postgresql_and_redis"] * 1000 / per_request, 1)
            report["scenarios"][name] = summary
            rate = (f"{summary['documents_per_s']:,} documents/s" if per_request
                    else f"{summary['requests_per_s']:,.0f} req/s")
            log(f"{name}: {rate}, {summary['requests']} requests, p50 {summary['latency_ms']['p50']} ms, "
                f"p99 {summary['latency_ms']['p99']} ms, {summary['errors'] + summary['warmup_errors']} wrong answers")
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        stop_server(server)
        log("gunicorn stopped")

    try:
        log("in this process: ingest() and the lint of 1,000-document batches")
        inproc = measure_in_process(plan, templates["in_process"], parties, client_ids, run8)
        samples = inproc.pop("samples")
        report["in_process"] = inproc
        report["row_check"] = check_rows(samples, parties, parties_of)
        report["profile"] = profile_ingest(templates["profile"], parties, client_ids, profile_output,
                                           f"Run {run}, {plan.name} scale.")
        log("COPY reference")
        report["copy"] = measure_copy(plan, bench_url, templates["copy"], parties, parties_of, client_ids)
        report["stored"] = stored_counts(run8)
        report["scenarios"]["single_floor"]["audit_events_written"] = count_floor_events(run)
    finally:
        for role, (client, _secret) in issued.items():
            services.api_client_revoke(actor=admins[role], client=client, reason="benchmark run finished")
        services.api_client_revoke(actor=floor_admin, client=floor_client, reason="benchmark run finished")
        deleted_keys = delete_cache_keys(redis_url, cache_prefix)
        log(f"API clients revoked, {deleted_keys} Redis keys of the run deleted")

    report["figures"] = figures_of(report)
    report["problems"] = problems = problems_of(report)
    if os.environ.get("BENCH_KEEP_ROWS") != "1":
        started = time.monotonic()
        report["deleted_rows"] = delete_run_rows(run8)
        log(f"the run's rows deleted and the tables vacuumed in {time.monotonic() - started:.1f} s: "
            f"{report['deleted_rows']}")
    connections.close_all()
    report["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["wall_s"] = round(time.monotonic() - started_run, 1)
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    print_report(report, output)
    for problem in problems:
        log(f"INVALID RUN: {problem}")
    return 1 if problems else 0


def api_client_for_run_of(admin, run: str):
    """A new API client of the enterprise of ``admin`` with every write scope the documents need."""
    from zone_portal.accounts import services

    return services.api_client_create(actor=admin, organization=admin.organization, name=f"bench-{run}",
                                      scopes=ALL_WRITE_SCOPES)


def count_floor_events(run: str) -> int:
    from bench.urls_bench import BENCH_ACTION
    from zone_portal.audit.models import AuditEvent

    return AuditEvent.objects.filter(action=BENCH_ACTION, extra__run=run).count()


if __name__ == "__main__":
    sys.exit(main())
