"""The declaration hub's one way in: validate, authorize, de-duplicate and store a batch of
documents, answering each with a receipt — for JSON and CEB XML alike, and (without storing) for
the lint endpoint.

Set-based on purpose: a request of 1,000 documents costs a handful of queries (existing guids,
existing keys locked FOR UPDATE, the orders' declared lists, goods record numbers, then one
multi-row INSERT per table). Uniqueness is the database's job — ``INSERT … ON CONFLICT DO
NOTHING RETURNING`` on the business key, a unique guid — so two clients racing with the same
order cannot both win; duplicates inside one request are caught in Python first.

Every document gets its own outcome in request order; a refused one stores only its receipt, an
accepted one its declaration row, its version and its receipt — never part of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import orjson
from django.db import connection, transaction
from django.utils import timezone
from django.utils.functional import Promise

from zone_portal.core import crypto, pgcopy, rawrows

from ..models import Declaration, DeclarationReceipt, DeclarationVersion, GoodsItem
from . import authority
from .rules import STATUS_STORED, Problem, return_info
from .spec import ENTERPRISE_CODE_FIELDS, ORDER_BOUND_TYPES, PERSONAL_FIELDS, DocType, MessageKind
from .validate import CodeSets, Document, code_sets, validate_base_transfer, validate_document

STATUS_ACCEPTED = "120"  # 海关入库: the platform stored the document (appStatus 2)
ACCEPTED_INFO = {"1": "新增申报成功", "2": "变更申报成功", "3": "删除申报成功"}
STORED_INFO = "暂存成功"
NO_EBP = "无"  # export: a foreign platform without an ebpCode may write 无 (customs.md §1.1)


@dataclass
class Outcome:
    """What the platform answers about one document of a request."""

    index: int
    kind: str
    guid: str
    status: str
    info: str
    keys: dict
    problems: list[Problem] = field(default_factory=list)
    return_time: datetime | None = None
    replayed: bool = False
    declaration_id: int | None = None
    receipt_id: int | None = None

    @property
    def accepted(self) -> bool:
        return not self.status.startswith("-")

    def as_dict(self) -> dict:
        return {
            "index": self.index,
            "kind": self.kind,
            "guid": self.guid,
            "accepted": self.accepted,
            "returnStatus": self.status,
            "returnTime": format_return_time(self.return_time),
            "returnInfo": self.info,
            "keys": self.keys,
            "replayed": self.replayed,
            "errors": [p.as_dict() for p in self.problems],
        }


_last_return_time: tuple = (None, "")  # (the datetime object, its text): a request's outcomes share one


def format_return_time(value: datetime | None) -> str:
    """returnTime C17 = YYYYMMDDhhmmssSSS, in the zone's local time."""
    global _last_return_time
    if value is None:
        return ""
    last = _last_return_time
    if last[0] is value:  # the same object as the previous call (1,000 outcomes of one request)
        return last[1]
    local = timezone.localtime(value)
    text = local.strftime("%Y%m%d%H%M%S") + f"{local.microsecond // 1000:03d}"
    _last_return_time = (value, text)
    return text


def business_key(doc: Document) -> str:
    known = doc.__dict__.get("_business_key")  # fixed once the document is validated (see ingest)
    if known is not None:
        return known
    values = doc.key()
    return "|".join(values) if any(values) else f"guid|{doc.guid}"


def receipt_keys(doc: Document) -> dict:
    head = doc.head if isinstance(doc.head, dict) else {}
    return {name: head.get(name, "") or "" for name in doc.kind.receipt_keys if name in head or name == "orderNo"}


# --- authorization ----------------------------------------------------------------------------

@dataclass
class Caller:
    organization_id: int
    codes: frozenset
    roles: frozenset


def caller_for(organization_id: int, tables=None) -> Caller:
    codes, by_org = tables or authority.table()
    own = by_org.get(organization_id, ())
    roles = codes[own[0]].roles if own else frozenset()
    return Caller(organization_id, frozenset(own), roles)


def _authorize(doc: Document, caller: Caller, filed: dict, cop_code: str | None) -> None:
    kind, head, problems = doc.kind, doc.head, doc.problems
    if cop_code is not None and cop_code.upper() not in caller.codes:
        problems.append(Problem(-900203, "BaseTransfer.copCode", {"value": cop_code}))
        return
    if not caller.roles & set(kind.roles):
        problems.append(Problem(-900202, "", {"roles": "/".join(kind.roles), "kind": kind.code}))
        return
    declared = [head.get(name, "").upper() for name in kind.declarant_fields if head.get(name)]
    if not any(code in caller.codes for code in declared):
        problems.append(Problem(-900205, "", {"fields": ", ".join(kind.declarant_fields)}))
        return
    for name in ENTERPRISE_CODE_FIELDS:
        value = head.get(name)
        if not value or (name == "ebpCode" and kind.direction == "E" and value == NO_EBP):
            continue
        if value.upper() not in filed:
            problems.append(Problem(-900201, f"head.{name}", {"value": value}))


def _parties(doc: Document, caller: Caller, filed: dict) -> list[int]:
    ids = {caller.organization_id}
    for name in ENTERPRISE_CODE_FIELDS:
        value = doc.head.get(name)
        if value and value.upper() in filed:
            ids.add(filed[value.upper()].organization_id)
    return sorted(ids)


def _check_goods(docs: list[Document], filed: dict) -> None:
    """Bonded (1210/1239) import list lines must reference goods filed by the list's ebc."""
    wanted = {}
    for doc in docs:
        if doc.problems or doc.kind.code != "CEB621" or doc.head.get("tradeMode") not in ("1210", "1239"):
            continue
        ebc = filed.get(doc.head.get("ebcCode", "").upper())
        for i, line in enumerate(doc.lines):
            wanted.setdefault(line.get("itemRecordNo", ""), []).append((doc, i, line, ebc))
    if not wanted:
        return
    known = dict(GoodsItem.objects.filter(record_no__in=list(wanted))
                 .exclude(effective_version=None).values_list("record_no", "organization_id"))
    for record_no, uses in wanted.items():
        for doc, i, line, ebc in uses:
            if known.get(record_no) is None or ebc is None or known[record_no] != ebc.organization_id:
                doc.problems.append(Problem(-900204, f"lines[{i}].itemRecordNo",
                                            {"gnum": line.get("gnum", i + 1), "value": record_no}))


# --- the batch ---------------------------------------------------------------------------------

def _mark_batch_duplicates(docs: list[Document]) -> None:
    seen_guid: set[str] = set()
    seen_key: set[tuple[str, str]] = set()
    for doc in docs:
        if doc.problems:
            continue
        key = (doc.kind.code, business_key(doc))
        if doc.guid in seen_guid:
            doc.problems.append(Problem(-900301, "head.guid", {"value": doc.guid}))
        elif key in seen_key:
            doc.problems.append(Problem(-900301, "head." + doc.kind.key_fields[-1], {"value": key[1]}))
        seen_guid.add(doc.guid)
        seen_key.add(key)


def _split_personal(head: dict) -> tuple[dict, dict]:
    public, personal = {}, {}
    for name, value in head.items():
        (personal if name in PERSONAL_FIELDS else public)[name] = value
    return public, personal


def _amount(doc: Document) -> Decimal | None:
    head = doc.head
    for name in ("acturalPaid", "amountPaid", "charge", "goodsValue"):
        if head.get(name):
            return Decimal(head[name])
    if doc.lines and doc.kind.doc_type == DocType.INVENTORY:
        return sum((Decimal(line.get("totalPrice") or "0") for line in doc.lines), Decimal(0))
    return None


def _blind_indexes(head: dict) -> tuple[str | None, str | None, str | None]:
    id_number = head.get("buyerIdNumber") or head.get("payerIdNumber")
    name = head.get("buyerName") or head.get("payerName")
    consignee = None
    if head.get("consignee"):
        consignee = "|".join((head.get("consignee", ""), head.get("consigneeTelephone", ""),
                              head.get("consigneeAddress", "")))
    return (crypto.blind_index(id_number, "id_number"), crypto.blind_index(name, "text"),
            crypto.blind_index(consignee, "text"))


@dataclass(frozen=True)
class KnownVersion:
    """A stored version met again (same guid): enough to tell a replay from a stolen guid."""

    pk: int
    declaration_id: int
    organization_id: int
    kind: str


# Raw SQL on purpose: on a single-document request the ORM's compiling of these look-ups cost
# more than running them. Arrays as single parameters: a thousand values bind as one.
KNOWN_VERSIONS = ("SELECT v.guid, v.id, v.declaration_id, d.organization_id, d.kind "  # noqa: S608
                  f"FROM {DeclarationVersion._meta.db_table} v JOIN {Declaration._meta.db_table} d "
                  "ON d.id = v.declaration_id WHERE v.guid = ANY(%s::text[])")
DECLARATION_FIELDS = rawrows.concrete_fields(Declaration)
EXISTING_DECLARATIONS = (f"SELECT {rawrows.select_list(DECLARATION_FIELDS)} "  # noqa: S608
                         f"FROM {Declaration._meta.db_table} "
                         "WHERE (kind, business_key) IN (SELECT * FROM unnest(%s::text[], %s::text[]))")


def _lookup_existing(docs: list[Document], *, lock: bool):
    """(versions by guid, declarations by (kind, key), order keys whose list is declared)."""
    versions: dict[str, KnownVersion] = {}
    declarations = {}
    with connection.cursor() as cursor:
        cursor.execute(KNOWN_VERSIONS, [pgcopy.array_literal(d.guid for d in docs)])
        for guid, pk, declaration_id, organization_id, kind in cursor.fetchall():
            versions[guid] = KnownVersion(pk, declaration_id, organization_id, kind)
        wanted = sorted({(d.kind.code, business_key(d)) for d in docs if d.guid not in versions})
        if wanted:
            cursor.execute(EXISTING_DECLARATIONS + (" FOR UPDATE" if lock else ""),
                           [pgcopy.array_literal(k for k, _b in wanted), pgcopy.array_literal(b for _k, b in wanted)])
            for values in cursor.fetchall():
                row = rawrows.instance(Declaration, DECLARATION_FIELDS, values)
                declarations[(row.kind, row.business_key)] = row
    order_nos = {d.head.get("orderNo") for d in docs
                 if d.kind.doc_type in ORDER_BOUND_TYPES and d.head.get("appType") in ("2", "3")
                 and d.head.get("orderNo")}
    listed: set[tuple[str, str, str]] = set()
    if order_nos:
        for direction, order_no, ebp in (Declaration.objects
                                         .filter(doc_type=DocType.INVENTORY, order_no__in=order_nos, deleted=False)
                                         .values_list("direction", "order_no", "ebp_code")):
            listed.add((direction, order_no, ebp))
    return versions, declarations, listed


def _list_declared(doc: Document, listed: set) -> bool:
    order_no, ebp = doc.head.get("orderNo"), doc.head.get("ebpCode")
    for direction, listed_order, listed_ebp in listed:
        if direction == doc.kind.direction and listed_order == order_no and (not ebp or ebp == listed_ebp):
            return True
    return False


def ingest(documents: list[Document], *, organization_id: int, client_id: int | None = None,
           source: str = DeclarationVersion.Source.JSON, message_guid: str = "", cop_code: str | None = None,
           base_transfer: dict | None = None, store: bool = True, codes: CodeSets | None = None) -> list[Outcome]:
    """Validate, authorize and (``store=True``) store ``documents`` for the calling enterprise;
    one outcome per document, in order. ``cop_code``: the CEB message's BaseTransfer.copCode,
    which must be the caller's own code. ``store=False`` is the lint: every check, nothing written."""
    codes = codes or code_sets()
    tables = authority.table()
    filed = tables[0]
    caller = caller_for(organization_id, tables)
    transfer_problems = validate_base_transfer(base_transfer, codes) if base_transfer is not None else []
    for doc in documents:
        if transfer_problems and not doc.problems:
            doc.problems.extend(transfer_problems)
        if not doc.problems:
            validate_document(doc, codes)
        if not doc.problems:
            _authorize(doc, caller, filed, cop_code)
    for doc in documents:
        if not doc.problems:  # validated and normalised: its key no longer changes
            doc._business_key = business_key(doc)
    _check_goods(documents, filed)
    _mark_batch_duplicates(documents)
    candidates = [d for d in documents if not d.problems]
    if not store:
        versions, declarations, listed = _lookup_existing(candidates, lock=False) if candidates else ({}, {}, set())
        _decide(candidates, caller, versions, declarations, listed)
        return [_lint_outcome(d) for d in documents]
    now = timezone.now()
    with transaction.atomic():
        versions, declarations, listed = _lookup_existing(candidates, lock=True) if candidates else ({}, {}, set())
        replays = _decide(candidates, caller, versions, declarations, listed)
        outcomes = _store(documents, caller, filed, declarations, replays, now=now, client_id=client_id,
                          source=source, message_guid=message_guid)
    return outcomes


def _decide(candidates, caller, versions, declarations, listed) -> dict[int, KnownVersion]:
    """Refuse what the stored state forbids; return the replays (same guid again) by doc id."""
    replays = {}
    for doc in candidates:
        version = versions.get(doc.guid)
        if version is not None:
            if version.organization_id == caller.organization_id and version.kind == doc.kind.code:
                replays[id(doc)] = version
            else:
                doc.problems.append(Problem(-900303, "head.guid", {"value": doc.guid}))
            continue
        existing = declarations.get((doc.kind.code, business_key(doc)))
        app_type = doc.head.get("appType", "1")
        if app_type == "1":
            if existing is not None and not existing.deleted:
                doc.problems.append(Problem(doc.kind.duplicate_code, "head." + doc.kind.key_fields[-1]))
        elif existing is None:
            doc.problems.append(Problem(-900302, "head.appType"))
        elif existing.organization_id != caller.organization_id:
            doc.problems.append(Problem(-900205, "", {"fields": ", ".join(doc.kind.declarant_fields)}))
        elif existing.deleted:
            doc.problems.append(Problem(-900304, "head.appType"))
        elif doc.kind.doc_type in ORDER_BOUND_TYPES and _list_declared(doc, listed):
            doc.problems.append(Problem(-301011, "head.appType"))
        elif existing.list_state not in ("", Declaration.ListState.DECLARED):
            doc.problems.append(Problem(-900305, "head.appType", {"state": existing.list_state}))
    return replays


def _lint_outcome(doc: Document) -> Outcome:
    ok = not doc.problems
    return Outcome(index=doc.index, kind=doc.kind.code, guid=doc.guid, status="0" if ok else str(doc.problems[0].code),
                   info="校验通过" if ok else return_info(doc.problems), keys=receipt_keys(doc),
                   problems=list(doc.problems))


def _store(documents, caller, filed, declarations, replays, *, now, client_id, source, message_guid) -> list[Outcome]:
    outcomes: list[Outcome] = []
    new_rows, changed = [], []
    accepted: list[tuple[Document, Outcome]] = []
    for doc in documents:
        outcome = Outcome(index=doc.index, kind=doc.kind.code, guid=doc.guid, status="", info="",
                          keys=receipt_keys(doc), return_time=now)
        outcomes.append(outcome)
        if id(doc) in replays:
            outcome.replayed = True
            continue
        if doc.problems:
            _refuse(outcome, doc)
            continue
        existing = declarations.get((doc.kind.code, business_key(doc)))
        if existing is None or doc.head.get("appType") == "1":
            new_rows.append(doc)
        else:
            changed.append((doc, existing))
        accepted.append((doc, outcome))

    key_to_id = _insert_declarations(new_rows, caller, filed, now, declarations)
    for doc in new_rows:
        if (doc.kind.code, business_key(doc)) not in key_to_id:  # lost a race to a concurrent request
            doc.problems.append(Problem(doc.kind.duplicate_code, "head." + doc.kind.key_fields[-1]))
    numbers = _update_declarations(changed, caller, filed, now)

    version_rows = []
    for doc, outcome in accepted:
        if doc.problems:
            _refuse(outcome, doc)
            continue
        existing = declarations.get((doc.kind.code, business_key(doc)))
        if (doc.kind.code, business_key(doc)) in key_to_id:
            declaration_id, number = key_to_id[(doc.kind.code, business_key(doc))]
        else:
            declaration_id, number = existing.pk, numbers[existing.pk]
        public, personal = _split_personal(doc.head)
        version_rows.append([
            declaration_id, number, doc.guid, doc.head.get("appType", "1"), doc.head.get("appStatus", "2"),
            _json(public), _json(doc.lines),
            crypto.encrypt(_json(personal)) if personal else "", doc.signature or "",
            source, message_guid or "", client_id, now])
        outcome.declaration_id = declaration_id
        outcome.status = STATUS_ACCEPTED if doc.head.get("appStatus") == "2" else STATUS_STORED
        outcome.info = (ACCEPTED_INFO.get(doc.head.get("appType"), "") if outcome.status == STATUS_ACCEPTED
                        else STORED_INFO)

    receipt_rows, receipt_outcomes = [], []
    for doc, outcome in zip(documents, outcomes, strict=True):
        if outcome.replayed:
            continue
        if not outcome.accepted and (getattr(doc, "unknown_kind", None) is not None
                                     or not isinstance(doc.head.get("guid"), str) or len(doc.guid) != 36):
            continue  # nothing to file a receipt under: answered in the response only
        receipt_outcomes.append(outcome)
        receipt_rows.append([
            outcome.declaration_id if outcome.accepted else None, doc.guid if outcome.accepted else None,
            caller.organization_id, doc.kind.code, doc.guid, _json(outcome.keys), outcome.status, now,
            outcome.info[:1000], _json([p.as_dict() for p in outcome.problems])])

    with connection.cursor() as cursor:
        ids = pgcopy.insert_rows(cursor, VERSION_TABLE, VERSION_COLUMNS, version_rows)
        version_ids = {row[2]: pk for row, pk in zip(version_rows, ids, strict=True)}
        for row in receipt_rows:
            row[1] = version_ids.get(row[1]) if row[1] is not None else None
        ids = pgcopy.insert_rows(cursor, RECEIPT_TABLE, RECEIPT_COLUMNS, receipt_rows)
        for outcome, pk in zip(receipt_outcomes, ids, strict=True):
            outcome.receipt_id = pk
    _fill_replays(documents, outcomes, replays)
    from .events import publish_outcomes

    publish_outcomes(outcomes, organization_id=caller.organization_id)
    return outcomes


VERSION_TABLE = DeclarationVersion._meta.db_table
VERSION_COLUMNS = ("declaration_id", "number", "guid", "app_type", "app_status", "head", "lines", "personal",
                   "signature", "source", "message_guid", "client_id", "received_at")
RECEIPT_TABLE = DeclarationReceipt._meta.db_table
RECEIPT_COLUMNS = ("declaration_id", "version_id", "organization_id", "kind", "guid", "keys", "return_status",
                   "return_time", "return_info", "problems")  # txid: the column default


def _json_default(value):
    if isinstance(value, (Decimal, Promise)):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _json(value) -> str:
    return orjson.dumps(value, default=_json_default).decode("utf-8")


def _refuse(outcome: Outcome, doc: Document) -> None:
    outcome.status, outcome.info, outcome.problems = str(doc.problems[0].code), return_info(doc.problems), doc.problems


def _fill_replays(documents, outcomes, replays) -> None:
    if not replays:
        return
    version_ids = [v.pk for v in replays.values()]
    first = {}
    for receipt in DeclarationReceipt.objects.filter(version_id__in=version_ids).order_by("id"):
        first.setdefault(receipt.version_id, receipt)
    for doc, outcome in zip(documents, outcomes, strict=True):
        version = replays.get(id(doc))
        if version is None:
            continue
        receipt = first.get(version.pk)
        outcome.declaration_id = version.declaration_id
        if receipt is not None:
            outcome.status, outcome.info = receipt.return_status, receipt.return_info
            outcome.return_time = receipt.return_time
            outcome.keys, outcome.receipt_id = receipt.keys, receipt.pk


def _columns(doc: Document, caller: Caller, filed: dict, now) -> dict:
    head = doc.head
    id_bidx, name_bidx, consignee_bidx = _blind_indexes(head)
    amount = _amount(doc)
    return {
        "kind": doc.kind.code, "direction": doc.kind.direction, "doc_type": doc.kind.doc_type,
        "organization_id": caller.organization_id, "business_key": business_key(doc), "guid": doc.guid,
        "app_type": head.get("appType", "1"), "app_status": head.get("appStatus", "2"),
        "deleted": head.get("appType") == "3",
        "order_no": head.get("orderNo", ""), "ebp_code": head.get("ebpCode", ""), "ebc_code": head.get("ebcCode", ""),
        "pay_code": head.get("payCode", ""), "logistics_code": head.get("logisticsCode", ""),
        "agent_code": head.get("agentCode", ""), "logistics_no": head.get("logisticsNo", ""),
        "invt_no": head.get("invtNo", ""), "cop_no": head.get("copNo", ""), "trade_mode": head.get("tradeMode", ""),
        "amount": amount, "currency": head.get("currency", ""),
        "buyer_id_bidx": id_bidx, "buyer_name_bidx": name_bidx, "consignee_bidx": consignee_bidx,
        "parties": _parties(doc, caller, filed),
        "return_status": STATUS_ACCEPTED if head.get("appStatus") == "2" else STATUS_STORED,
        "list_state": (Declaration.ListState.DECLARED if doc.kind.doc_type == DocType.INVENTORY
                       and head.get("appStatus") == "2" and head.get("appType") != "3" else ""),
        "updated_at": now,
    }


INSERT_COLUMNS = ("kind", "direction", "doc_type", "organization_id", "business_key", "guid", "app_type",
                  "app_status", "deleted", "order_no", "ebp_code", "ebc_code", "pay_code", "logistics_code",
                  "agent_code", "logistics_no", "invt_no", "cop_no", "trade_mode", "amount", "currency",
                  "buyer_id_bidx", "buyer_name_bidx", "consignee_bidx", "parties", "return_status",
                  "list_state", "declared_at", "updated_at", "version")


PARTIES_AT = INSERT_COLUMNS.index("parties")


# New documents go through a temporary table of the connection (kept for its life, emptied at
# every commit): one COPY, then one INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING, so that
# of two requests racing with one business key only one wins, without a statement of thousands
# of placeholders.
DECLARATION_TABLE = Declaration._meta.db_table
STAGING = "hub_declaration_in"
CREATE_STAGING = (f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} ON COMMIT DELETE ROWS AS "  # noqa: S608
                  f"SELECT {', '.join(INSERT_COLUMNS)} FROM {DECLARATION_TABLE} WITH NO DATA")
ON_CONFLICT = "ON CONFLICT (kind, business_key) DO NOTHING RETURNING id, kind, business_key"
INSERT_FROM_STAGING = (f"INSERT INTO {DECLARATION_TABLE} ({', '.join(INSERT_COLUMNS)}) "  # noqa: S608
                       f"SELECT {', '.join(INSERT_COLUMNS)} FROM {STAGING} {ON_CONFLICT}")


def _insert_declarations(docs, caller, filed, now, declarations) -> dict[tuple[str, str], tuple[int, int]]:
    """One INSERT … ON CONFLICT DO NOTHING RETURNING for the new documents (and a revived
    deleted one becomes a new version of its row)."""
    result: dict[tuple[str, str], tuple[int, int]] = {}
    fresh = []
    for doc in docs:
        existing = declarations.get((doc.kind.code, business_key(doc)))
        if existing is not None:  # appType 1 over a deleted document: a new version of the same row
            cols = _columns(doc, caller, filed, now)
            existing.version += 1
            for name, value in cols.items():
                setattr(existing, name, value)
            existing.save()
            result[(doc.kind.code, business_key(doc))] = (existing.pk, existing.version)
        else:
            fresh.append(doc)
    if not fresh:
        return result
    rows = []
    for doc in fresh:
        cols = _columns(doc, caller, filed, now)
        cols["declared_at"], cols["version"] = now, 1
        rows.append(tuple(cols[name] for name in INSERT_COLUMNS))
    with connection.cursor() as cursor:
        if len(rows) <= pgcopy.SMALL_ROWS:  # a few: one statement, one round trip
            values = ", ".join(["(" + ", ".join(["%s"] * len(INSERT_COLUMNS)) + ")"] * len(rows))
            cursor.execute(f"INSERT INTO {DECLARATION_TABLE} ({', '.join(INSERT_COLUMNS)}) VALUES {values} "  # noqa: S608
                           f"{ON_CONFLICT}", [v for row in rows for v in row])
        else:
            cursor.execute(CREATE_STAGING)
            cursor.execute(f"DELETE FROM {STAGING}")  # noqa: S608 (a second call in one transaction starts empty)
            # parties as its array literal: psycopg's list dumper per row cost more than the row
            at = PARTIES_AT
            rows = [(*row[:at], "{" + ",".join(map(str, row[at])) + "}", *row[at + 1:]) for row in rows]
            pgcopy.copy_rows(cursor, STAGING, INSERT_COLUMNS, rows)
            cursor.execute(INSERT_FROM_STAGING)
        for pk, kind, key in cursor.fetchall():
            result[(kind, key)] = (pk, 1)
    return result


def _update_declarations(changed, caller, filed, now) -> dict[int, int]:
    numbers = {}
    for doc, existing in changed:
        cols = _columns(doc, caller, filed, now)
        existing.version += 1
        for name, value in cols.items():
            if name in ("organization_id", "business_key"):
                continue
            setattr(existing, name, value)
        if doc.head.get("appType") == "3":
            existing.deleted = True
        numbers[existing.pk] = existing.version
    if changed:
        Declaration.objects.bulk_update([e for _d, e in changed], fields=[
            "guid", "version", "app_type", "app_status", "deleted", "order_no", "ebp_code", "ebc_code", "pay_code",
            "logistics_code", "agent_code", "logistics_no", "invt_no", "cop_no", "trade_mode", "amount", "currency",
            "buyer_id_bidx", "buyer_name_bidx", "consignee_bidx", "parties", "return_status", "list_state",
            "updated_at"])
    return numbers


def make_documents(kind: MessageKind, items: list[tuple[dict, list]], *, start: int = 0) -> list[Document]:
    return [Document(kind=kind, head=head, lines=lines, index=start + i) for i, (head, lines) in enumerate(items)]
