"""The reference paths of ``bench_declarations.py``: a declared document stored *without* the hub.

- :func:`document_rows`: the rows an accepted appType-1 document becomes in the hub's three tables
  (``filings_declaration``, ``filings_declarationversion``, ``filings_declarationreceipt``),
  computed as the hub computes them (business key, amount, blind indexes, parties, personal fields
  apart), from the spec alone. The COPY reference writes exactly these rows, prepared in advance.
- :class:`PlainDeclarationBulkView`: what a Django team would write without the hub, mounted at
  ``PLAIN_BULK_PATH`` by ``bench/urls_bench.py``: DRF parses the body; the documents become those
  rows; ``ModelSerializer(many=True)`` checks them with its default validators (field types and
  lengths, and the unique (kind, business_key) — one SELECT per row); three ``bulk_create`` in one
  transaction (the personal fields are SM4-encrypted by the model field, as for the hub); a DRF
  ``Response`` with one result per document. The same signed-request authentication as every API
  view; no CEB field rules, no authorization of the codes, no de-duplication inside the batch, no
  idempotency record, no events.

Bench-only: production has no such endpoint.
"""

from __future__ import annotations

import json
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from filings.hub.spec import ENTERPRISE_CODE_FIELDS, KINDS, PERSONAL_FIELDS, DocType
from filings.models import Declaration, DeclarationReceipt, DeclarationVersion
from zone_portal.accounts.models import ApiClient, Organization
from zone_portal.api.permissions import HasScope
from zone_portal.api.scoping import caller_organization_id
from zone_portal.core import crypto

PLAIN_BULK_PATH = "/api/v1/bench/declarations/plain/"

ACCEPTED = "120"  # returnStatus of a stored document (appStatus 2)
STORED = "1"  # returnStatus of a document kept as a draft (appStatus 1)
ACCEPTED_INFO = "新增申报成功"
STORED_INFO = "暂存成功"

DECLARATION_FIELDS = (
    "kind", "direction", "doc_type", "business_key", "guid", "app_type", "app_status", "order_no", "ebp_code",
    "ebc_code", "pay_code", "logistics_code", "agent_code", "logistics_no", "invt_no", "cop_no", "trade_mode",
    "amount", "currency", "buyer_id_bidx", "buyer_name_bidx", "consignee_bidx", "parties", "return_status",
    "list_state",
)


def _amount(kind, head: dict, lines: list[dict]) -> Decimal | None:
    for name in ("acturalPaid", "amountPaid", "charge", "goodsValue"):
        if head.get(name):
            return Decimal(head[name])
    if lines and kind.doc_type == DocType.INVENTORY:
        return sum((Decimal(line.get("totalPrice") or "0") for line in lines), Decimal(0))
    return None


def document_rows(document: dict, *, organization_id: int, parties_of: dict[str, int]) -> tuple[dict, dict, dict]:
    """(declaration columns, version columns, receipt columns) of one valid appType-1 document
    ``{"kind", "head", "lines", "signature"}`` declared by ``organization_id``; ``parties_of`` maps the
    enterprise codes to organization ids. The version's ``personal`` is the plaintext JSON (the
    model field encrypts it; the COPY reference encrypts it with ``crypto.encrypt``)."""
    kind = KINDS[document["kind"]]
    head, lines = document["head"], document.get("lines") or []
    key = "|".join(str(head.get(name) or "") for name in kind.key_fields)
    public = {name: value for name, value in head.items() if name not in PERSONAL_FIELDS}
    personal = {name: value for name, value in head.items() if name in PERSONAL_FIELDS}
    consignee = None
    if head.get("consignee"):
        consignee = "|".join((head.get("consignee", ""), head.get("consigneeTelephone", ""),
                              head.get("consigneeAddress", "")))
    parties = {organization_id} | {parties_of[head[name].upper()] for name in ENTERPRISE_CODE_FIELDS
                                   if head.get(name) and head[name].upper() in parties_of}
    accepted = head.get("appStatus") == "2"
    declaration = {
        "kind": kind.code, "direction": kind.direction, "doc_type": kind.doc_type, "business_key": key,
        "guid": head["guid"], "app_type": head.get("appType", "1"), "app_status": head.get("appStatus", "2"),
        "order_no": head.get("orderNo", ""), "ebp_code": head.get("ebpCode", ""), "ebc_code": head.get("ebcCode", ""),
        "pay_code": head.get("payCode", ""), "logistics_code": head.get("logisticsCode", ""),
        "agent_code": head.get("agentCode", ""), "logistics_no": head.get("logisticsNo", ""),
        "invt_no": head.get("invtNo", ""), "cop_no": head.get("copNo", ""), "trade_mode": head.get("tradeMode", ""),
        "amount": _amount(kind, head, lines), "currency": head.get("currency", ""),
        "buyer_id_bidx": crypto.blind_index(head.get("buyerIdNumber") or head.get("payerIdNumber"), "id_number"),
        "buyer_name_bidx": crypto.blind_index(head.get("buyerName") or head.get("payerName"), "text"),
        "consignee_bidx": crypto.blind_index(consignee, "text"),
        "parties": sorted(parties), "return_status": ACCEPTED if accepted else STORED,
        # an inventory list declared with appStatus 2 starts its life as declared (清单状态)
        "list_state": ("declared" if kind.doc_type == DocType.INVENTORY and accepted and head.get("appType") != "3"
                       else ""),
    }
    version = {
        "number": 1, "guid": head["guid"], "app_type": declaration["app_type"], "app_status": declaration["app_status"],
        "head": public, "lines": lines, "personal": json.dumps(personal, ensure_ascii=False) if personal else "",
        "signature": document.get("signature") or "",
    }
    receipt = {
        "kind": kind.code, "guid": head["guid"],
        "keys": {name: head.get(name, "") or "" for name in kind.receipt_keys if name in head or name == "orderNo"},
        "return_status": declaration["return_status"], "return_info": ACCEPTED_INFO if accepted else STORED_INFO,
    }
    return declaration, version, receipt


class PlainDocumentSerializer(serializers.ModelSerializer):
    """A document flattened to the declaration's columns, plus its version's content."""

    head = serializers.DictField()
    lines = serializers.ListField(child=serializers.DictField(), allow_empty=True)
    personal = serializers.CharField(allow_blank=True)
    signature = serializers.CharField(allow_blank=True, trim_whitespace=False)

    class Meta:
        model = Declaration
        fields = (*DECLARATION_FIELDS, "head", "lines", "personal", "signature")


class PlainDeclarationBulkView(APIView):
    """POST ``{"documents": [...]}``: the plain DRF way to the same rows (see the module doc)."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"POST": []}

    def post(self, request):
        organization_id = caller_organization_id(request.user)
        documents = request.data["documents"]
        codes = {doc["head"][name].upper() for doc in documents for name in ENTERPRISE_CODE_FIELDS
                 if doc["head"].get(name)}
        parties_of = dict(Organization.objects.filter(uscc__in=codes).values_list("uscc", "id"))
        flat, receipt_keys = [], []
        for doc in documents:
            declaration, version, receipt = document_rows(doc, organization_id=organization_id, parties_of=parties_of)
            receipt_keys.append(receipt["keys"])
            flat.append({**declaration, "head": version["head"], "lines": version["lines"],
                         "personal": version["personal"], "signature": version["signature"]})
        serializer = PlainDocumentSerializer(data=flat, many=True)
        serializer.is_valid(raise_exception=True)
        now = timezone.now()
        client_id = request.user.pk if isinstance(request.user, ApiClient) else None
        rows = serializer.validated_data
        with transaction.atomic():
            declarations = Declaration.objects.bulk_create([
                Declaration(organization_id=organization_id, declared_at=now, updated_at=now,
                            **{name: row[name] for name in DECLARATION_FIELDS}) for row in rows])
            versions = DeclarationVersion.objects.bulk_create([
                DeclarationVersion(declaration=d, number=1, guid=d.guid, app_type=d.app_type, app_status=d.app_status,
                                   head=row["head"], lines=row["lines"], personal=row["personal"],
                                   signature=row["signature"],
                                   source=DeclarationVersion.Source.JSON, client_id=client_id, received_at=now)
                for d, row in zip(declarations, rows, strict=True)])
            receipts = DeclarationReceipt.objects.bulk_create([
                DeclarationReceipt(declaration=d, version=v, organization_id=organization_id, kind=d.kind, guid=d.guid,
                                   keys=keys,
                                   return_status=d.return_status, return_time=now,
                                   return_info=ACCEPTED_INFO if d.return_status == ACCEPTED else STORED_INFO)
                for d, v, keys in zip(declarations, versions, receipt_keys, strict=True)])
        results = [{"index": i, "kind": d.kind, "guid": d.guid, "id": d.pk, "receipt": r.pk,
                    "returnStatus": d.return_status}
                   for i, (d, r) in enumerate(zip(declarations, receipts, strict=True))]
        return Response({"accepted": len(results), "rejected": 0, "results": results})
