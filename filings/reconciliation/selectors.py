"""Reads of the reconciliation (三单比对), scoped to the caller.

An enterprise (its users, its API clients) sees the results of the trades whose documents it
declared or that name it (``ReconciliationResult.parties``); customs officers see every result;
anyone else sees nothing. A result's page puts the order, the payment (export: the receipt), the
waybill and the list side by side: the documents the caller may see in the hub in full, the
others only with the fields the rules compare — personal fields always masked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from filings.hub import selectors as hub_selectors
from filings.hub.rules import RULES
from filings.models import Declaration, DeclarationVersion
from zone_portal.accounts.models import ApiClient
from zone_portal.api.scoping import caller_organization_id
from zone_portal.core.errors import NotFound

from .models import ReconciliationResult, ReconciliationResultChange

VIEW_ALL_PERMISSION = "reconciliation.view_reconciliationresult"
FILTERS = ("order_no", "status", "direction", "ebp_code", "code", "date_from", "date_to")

DOC_LABELS = {"order": _("Order"), "payment": _("Payment"), "receipt": _("Receipt"), "waybill": _("Waybill"),
              "inventory": _("Inventory list")}


def sees_all(actor) -> bool:
    """Customs (and whoever holds the permission in the back office), never an enterprise or a client."""
    return (not isinstance(actor, ApiClient) and getattr(actor, "is_authenticated", False)
            and not getattr(actor, "is_enterprise_user", False) and actor.has_perm(VIEW_ALL_PERMISSION))


def results_for(actor) -> QuerySet[ReconciliationResult]:
    if sees_all(actor):
        return ReconciliationResult.objects.all()
    org_id = caller_organization_id(actor)
    if org_id is None:
        return ReconciliationResult.objects.none()
    return ReconciliationResult.objects.filter(parties__contains=[org_id])


def _date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def result_search(actor, filters) -> QuerySet[ReconciliationResult]:
    """The caller's results, newest change first, filtered by order number, status, direction,
    ebpCode, failed rule code and the day the result last changed."""
    qs = results_for(actor)
    for name in ("order_no", "status", "direction", "ebp_code"):
        value = (filters.get(name) or "").strip()
        if value:
            qs = qs.filter(**{name: value})
    code = (filters.get("code") or "").strip()
    if code.lstrip("-").isdigit():
        qs = qs.filter(codes__contains=[int(code)])
    tz = timezone.get_current_timezone()
    if (start := _date(filters.get("date_from"))) is not None:
        qs = qs.filter(changed_at__gte=datetime.combine(start, time.min, tz))
    if (end := _date(filters.get("date_to"))) is not None:
        qs = qs.filter(changed_at__lt=datetime.combine(end + timedelta(days=1), time.min, tz))
    return qs.order_by("-changed_at", "-id")


def result_get(actor, pk: int) -> ReconciliationResult:
    """One result the caller may see; ``NotFound`` (404) for anything else, existing or not."""
    found = results_for(actor).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Reconciliation result not found."))
    return found


def results_for_order(actor, order_no: str) -> list[ReconciliationResult]:
    return list(results_for(actor).filter(order_no=order_no).order_by("direction", "ebp_code"))


# The documents a reconciliation set is made of; others (cancellations, returns …) have no result.
SET_DOC_TYPES = frozenset({"order", "payment", "receipt", "waybill", "inventory"})
DOCUMENT_RESULTS_LIMIT = 20


def results_for_document(actor, declaration: Declaration) -> list[ReconciliationResult]:
    """The results the caller may see of the trade a declared document belongs to: those that
    hold the document, else those of its order number (a document the set did not take, such as
    a second payment, still leads to its order's result). An export waybill carries no orderNo:
    the orders of the export lists that name it.

    Found through the results' (order_no, …) key index; the document columns of a result are
    not indexed (DESIGN.md §7)."""
    if declaration.doc_type not in SET_DOC_TYPES:
        return []
    if declaration.order_no:
        order_nos = [declaration.order_no]
    elif declaration.logistics_no:
        order_nos = list(Declaration.objects.filter(
            logistics_no=declaration.logistics_no, logistics_code=declaration.logistics_code,
            direction=declaration.direction, doc_type="inventory").exclude(order_no="")
            .values_list("order_no", flat=True).distinct()[:DOCUMENT_RESULTS_LIMIT])
    else:
        return []
    results = list(results_for(actor).filter(order_no__in=order_nos, direction=declaration.direction)
                   .order_by("order_no", "ebp_code")[:DOCUMENT_RESULTS_LIMIT])
    holding = [r for r in results
               if declaration.pk in (r.order_id, r.payment_id, r.waybill_id, r.inventory_id)]
    return holding or results


# --- the side-by-side view --------------------------------------------------------------------

def rule_text(code: int, params: dict | None = None) -> dict:
    """The rule's message and hint in the caller's language (Chinese first) and in the other."""
    rule = RULES.get(code)
    if rule is None:
        return {"code": code, "message": str(code), "hint": "", "message_other": "", "hint_other": ""}
    values = {"doc": "", "gnum": ""} | (params or {})

    def fmt(template: str) -> str:
        try:
            return template.format(**values)
        except (KeyError, IndexError):
            return template

    english = (get_language() or "zh-hans").startswith("en")
    first, second = ((rule.en, rule.hint_en), (rule.zh, rule.hint_zh)) if english else \
        ((rule.zh, rule.hint_zh), (rule.en, rule.hint_en))
    return {"code": code, "message": fmt(first[0]), "hint": fmt(first[1]), "message_other": fmt(second[0]),
            "hint_other": fmt(second[1])}


def failure_view(failure: dict) -> dict:
    doc = failure.get("doc", "")
    params = {"doc": str(DOC_LABELS.get(doc, doc)), "gnum": failure.get("gnum", "")}
    return failure | {"rule": rule_text(failure["code"], params), "doc_label": DOC_LABELS.get(doc, doc),
                      "against_label": DOC_LABELS.get(failure.get("against") or "", failure.get("against") or "")}


# The rows of the side-by-side table: (key, label, {document slot: field name}); the failing
# rules point at a row (and a slot) through ROW_OF_CODE.
IMPORT_ROWS = [
    ("orderNo", _("Order number (orderNo)"), {"order": "orderNo", "payment": "orderNo", "waybill": "orderNo",
                                              "inventory": "orderNo"}),
    ("ebpCode", _("Platform (ebpCode)"), {"order": "ebpCode", "payment": "ebpCode", "inventory": "ebpCode"}),
    ("amount", _("Amount paid"), {"order": "acturalPaid", "payment": "amountPaid"}),
    ("buyerIdNumber", _("Buyer / payer ID number"), {"order": "buyerIdNumber", "payment": "payerIdNumber",
                                                     "inventory": "buyerIdNumber"}),
    ("buyerName", _("Buyer / payer name"), {"order": "buyerName", "payment": "payerName", "inventory": "buyerName"}),
    ("consignee", _("Consignee"), {"order": "consignee", "waybill": "consignee"}),
    ("consigneeTelephone", _("Consignee telephone"), {"order": "consigneeTelephone",
                                                     "waybill": "consigneeTelephone"}),
    ("consigneeAddress", _("Consignee address"), {"order": "consigneeAddress", "waybill": "consigneeAddress",
                                                 "inventory": "consigneeAddress"}),
    ("currency", _("Currency"), {"order": "currency", "payment": "currency", "waybill": "currency",
                                 "inventory": "currency"}),
    ("logisticsNo", _("Waybill (logisticsCode, logisticsNo)"), {"waybill": "logisticsNo", "inventory": "logisticsNo"}),
    ("goodsValue", _("Goods value / list total"), {"order": "goodsValue", "inventory": "=total"}),
]
EXPORT_ROWS = [
    ("orderNo", _("Order number (orderNo)"), {"order": "orderNo", "payment": "orderNo", "inventory": "orderNo"}),
    ("ebpCode", _("Platform (ebpCode)"), {"order": "ebpCode", "payment": "ebpCode", "inventory": "ebpCode"}),
    ("ebcCode", _("E-commerce enterprise (ebcCode)"), {"order": "ebcCode", "payment": "ebcCode",
                                                       "inventory": "ebcCode", "waybill": "ebcCode"}),
    ("amount", _("Amount"), {"order": "goodsValue", "payment": "charge"}),
    ("currency", _("Currency"), {"order": "currency", "payment": "currency", "waybill": "currency"}),
    ("logisticsNo", _("Waybill (logisticsCode, logisticsNo)"), {"waybill": "logisticsNo", "inventory": "logisticsNo"}),
    ("goodsValue", _("Goods value / list total"), {"order": "goodsValue", "inventory": "=total"}),
]
ROW_OF_CODE = {-900501: "amount", -900502: "buyerIdNumber", -900503: "buyerName", -900504: "consignee",
               -900505: "consigneeTelephone", -900506: "consigneeAddress", -900507: "ebpCode", -900508: "logisticsNo",
               -900509: "currency", -900516: "goodsValue", -900518: "ebcCode", -900519: "ebcCode", -900520: "currency"}
LINE_CODES = {-900511: "gnum", -900512: "name", -900513: "qty", -900514: "totalPrice", -900515: "price",
              -900517: "name"}


@dataclass
class DocumentView:
    slot: str
    label: str
    declaration: Declaration | None
    visible: bool = False  # the caller may open it in the hub
    head: dict = field(default_factory=dict)
    lines: list = field(default_factory=list)


@dataclass
class ResultDetail:
    result: ReconciliationResult
    documents: list[DocumentView]
    rows: list[dict]
    line_rows: list[dict]
    failures: list[dict]
    history: list[ReconciliationResultChange]


def _slot_of(doc: str) -> str:
    return "payment" if doc == "receipt" else doc


def _total(lines: list) -> str:
    try:
        total = sum((Decimal(str(line.get("totalPrice") or "0")) for line in lines), Decimal(0))
    except InvalidOperation:
        return ""
    return f"{total:.2f}"


def result_detail(actor, result: ReconciliationResult) -> ResultDetail:
    """The result with its documents side by side, the failing cells marked, every failure with
    its rule explained, and the result's history."""
    export = result.direction == Declaration.Direction.EXPORT
    ids = {"order": result.order_id, "payment": result.payment_id, "waybill": result.waybill_id,
           "inventory": result.inventory_id}
    declarations = Declaration.objects.in_bulk([i for i in ids.values() if i])
    versions = {v.declaration_id: v for v in DeclarationVersion.objects.filter(
        declaration_id__in=list(declarations), number__in={d.version for d in declarations.values()})
        if v.number == declarations[v.declaration_id].version}
    visible_ids = set(hub_selectors.declarations_for(actor).filter(pk__in=list(declarations))
                      .values_list("pk", flat=True))
    table = EXPORT_ROWS if export else IMPORT_ROWS
    compared = {slot: {name for _k, _l, fields in table for s, name in fields.items() if s == slot}
                for slot in ids}
    documents = []
    for slot, declaration_id in ids.items():
        label = _("Receipt") if export and slot == "payment" else DOC_LABELS[slot]
        declaration = declarations.get(declaration_id)
        view = DocumentView(slot=slot, label=label, declaration=declaration)
        version = versions.get(declaration_id)
        if declaration is not None and version is not None:
            content = hub_selectors.version_content(version)
            view.visible = declaration.pk in visible_ids
            view.head = content["head"] if view.visible else {
                k: v for k, v in content["head"].items() if k in compared[slot] or k in ("orderNo", "logisticsCode")}
            view.lines = content["lines"]
        documents.append(view)
    by_slot = {d.slot: d for d in documents}
    failures = [failure_view(f) for f in result.failures]
    marked: dict[str, set[str]] = {}
    for f in failures:
        row = ROW_OF_CODE.get(f["code"])
        if row:
            marked.setdefault(row, set()).update({_slot_of(f.get("doc", "")), _slot_of(f.get("against") or "")})
    rows = []
    for key, label, fields in table:
        cells = []
        for slot in ids:
            name = fields.get(slot)
            doc = by_slot[slot]
            if name is None or doc.declaration is None:
                value = None if name is None else ""
            elif name == "=total":
                value = _total(doc.lines)
            else:
                value = doc.head.get(name, "")
                if key == "logisticsNo" and value:
                    value = f"{doc.head.get('logisticsCode', '')} {value}".strip()
            cells.append({"slot": slot, "field": name, "value": value,
                          "failed": name is not None and slot in marked.get(key, set())})
        rows.append({"key": key, "label": label, "cells": cells, "failed": key in marked})
    return ResultDetail(result=result, documents=documents, rows=rows,
                        line_rows=_line_rows(by_slot, failures, export), failures=failures,
                        history=list(result.changes.order_by("-at", "-id")[:50]))


def _line_rows(by_slot: dict[str, DocumentView], failures: list[dict], export: bool) -> list[dict]:
    """Order lines beside list lines by gnum, the failing cells marked."""
    order, inventory = by_slot["order"], by_slot["inventory"]
    if order.declaration is None or inventory.declaration is None:
        return []
    failed: dict[str, set[str]] = {}
    for f in failures:
        if f["code"] in LINE_CODES:
            failed.setdefault(str(f.get("gnum", "")), set()).add(LINE_CODES[f["code"]])
    ours = {str(line.get("gnum")): line for line in order.lines}
    theirs = {str(line.get("gnum")): line for line in inventory.lines}
    name_order, name_list = ("itemNo", "itemNo") if export else ("itemName", "gname")
    rows = []
    for gnum in sorted(set(ours) | set(theirs), key=lambda g: (len(g), g)):
        o, li = ours.get(gnum, {}), theirs.get(gnum, {})
        rows.append({"gnum": gnum, "failed": failed.get(gnum, set()), "order": {
            "name": o.get(name_order, ""), "qty": o.get("qty", ""), "price": o.get("price", ""),
            "totalPrice": o.get("totalPrice", "")} if o else None, "inventory": {
            "name": li.get(name_list, ""), "qty": li.get("qty", ""), "price": li.get("price", ""),
            "totalPrice": li.get("totalPrice", "")} if li else None})
    return rows


def result_as_dict(result: ReconciliationResult, *, detail: bool = False) -> dict:
    """The API's view of a result (values in failures are masked or not personal), each failure
    with its rule's message and hint in the caller's language."""
    failures = []
    for f in result.failures:
        text = rule_text(f["code"], {"doc": str(DOC_LABELS.get(f.get("doc", ""), f.get("doc", ""))),
                                     "gnum": f.get("gnum", "")})
        failures.append({**f, "message": text["message"], "hint": text["hint"]})
    body = {
        "id": result.pk, "direction": result.direction, "orderNo": result.order_no, "ebpCode": result.ebp_code,
        "status": result.status, "codes": result.codes, "missing": result.missing,
        "since": result.since.isoformat() if result.since else None,
        "reconciledAt": result.reconciled_at.isoformat(), "changedAt": result.changed_at.isoformat(),
        "documents": {"order": result.order_id, "payment": result.payment_id, "waybill": result.waybill_id,
                      "inventory": result.inventory_id},
        "failures": failures,
    }
    if detail:
        body["history"] = [{"status": c.status, "codes": c.codes, "missing": c.missing, "at": c.at.isoformat()}
                           for c in result.changes.order_by("-at", "-id")[:50]]
    return body
