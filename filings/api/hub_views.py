"""The declaration hub's API: documents as JSON or CEB XML, lint, receipts by pull.

Thin: parse the body, call ``filings.hub.ingest.ingest`` (the one validation for every way in),
and render its outcomes. Every POST honours ``Idempotency-Key``; the document's own guid makes a
retry without one safe too (the same guid returns the original receipt).

- ``POST /api/v1/filings/declarations/``        one JSON document ``{"kind", "head", "lines"}``:
  201 accepted, 200 a replay of the same guid, 422 refused (the receipt with every error)
- ``POST /api/v1/filings/declarations/bulk/``   ``{"documents": [...]}``, ≤ 1,000: 200 with one
  result per document in request order (partial success)
- ``POST /api/v1/ceb/``                         a ``CEBnnnMessage`` (≤ 100 documents): 200 with
  the spec's receipt message, or 400 with CEB900 for a message that cannot be read
- ``POST /api/v1/filings/lint/``                JSON (one or ``documents``) or CEB XML: every
  check, nothing stored; the same errors
- ``GET  /api/v1/filings/declarations/``        the caller's documents (filters, cursor pages)
- ``GET  /api/v1/filings/declarations/<id>/``   one document with its versions and receipts
- ``GET  /api/v1/filings/receipts/?after=``     receipts in order, for pull
- ``GET  /api/v1/ceb/receipts/?kind=&after=``   the same as CEB receipt messages
"""

from __future__ import annotations

import orjson
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from filings.hub import ceb, selectors
from filings.hub.ingest import Outcome, format_return_time, ingest
from filings.hub.rules import Problem
from filings.hub.spec import KINDS, DocType, kind_for
from filings.hub.validate import Document
from filings.models import DeclarationVersion
from zone_portal.accounts.models import ApiClient
from zone_portal.api.errors import ApiError
from zone_portal.api.idempotency import IdempotentAPIView
from zone_portal.api.permissions import HasScope
from zone_portal.api.scoping import caller_organization_id
from zone_portal.api.serializers import ErrorSerializer

BULK_MAX_DOCUMENTS = 1000
JSON = "application/json"
XML = "application/xml; charset=utf-8"

# The scope a partner needs per document type (zone_portal.accounts.scopes).
SCOPE_BY_TYPE = {
    DocType.ORDER: "order", DocType.PAYMENT: "payment", DocType.RECEIPT: "receipt", DocType.WAYBILL: "waybill",
    DocType.WAYBILL_STATUS: "logistics_event", DocType.ARRIVAL: "logistics_event",
    DocType.DEPARTURE: "logistics_event", DocType.WAYBILL_BIND: "logistics_event",
    DocType.DELIVERY: "logistics_event", DocType.INVENTORY: "inventory_list", DocType.CANCEL: "inventory_list",
    DocType.REFUND: "inventory_list", DocType.SUMMARY: "summary",
}
ANY_WRITE = sorted({f"{s}:write" for s in SCOPE_BY_TYPE.values()})


class TooManyDocuments(ApiError):
    default_code = "too_many_documents"


class NotAnEnterprise(ApiError):
    status_code = 403
    default_code = "permission_denied"


def _json(body: dict | list, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type=JSON)


def _caller_org(request) -> int:
    org_id = caller_organization_id(request.user)
    if org_id is None:
        raise NotAnEnterprise(_("Only an enterprise or its API client may declare documents."))
    return org_id


def _client_id(request) -> int | None:
    return request.user.pk if isinstance(request.user, ApiClient) else None


def _load_json(request):
    try:
        return orjson.loads(request._request.body or b"null")
    except orjson.JSONDecodeError as exc:
        raise ValidationError({"non_field_errors": [ErrorDetail(_("The body is not valid JSON: %(e)s") % {"e": exc},
                                                                code="parse_error")]}) from exc


def _documents(raw_docs: list, request) -> list[Document]:
    """JSON items → Documents; an item that is not a document at all becomes a refused one."""
    scopes = set(request.user.scopes) if isinstance(request.user, ApiClient) else None
    docs = []
    for index, raw in enumerate(raw_docs):
        kind = kind_for(raw.get("kind", "")) if isinstance(raw, dict) else None
        if kind is None:
            placeholder = Document(kind=KINDS["CEB311"], head={}, index=index)
            value = raw.get("kind", "") if isinstance(raw, dict) else type(raw).__name__
            placeholder.problems.append(Problem(-900119, "kind", {"value": str(value)[:20]}))
            placeholder.unknown_kind = str(value)[:20]
            docs.append(placeholder)
            continue
        head = raw.get("head")
        lines = raw.get("lines", [])
        doc = Document(kind=kind, head=head if isinstance(head, dict) else {}, lines=lines, index=index)
        signature = raw.get("signature")
        if isinstance(signature, str):
            doc.signature = signature[:20000]  # kept as received; SM2 verification is a later step
        if not isinstance(head, dict):
            doc.problems.append(Problem(-900118, "head", {"detail": "head must be an object"}))
        elif scopes is not None and f"{SCOPE_BY_TYPE[kind.doc_type]}:write" not in scopes:
            doc.problems.append(Problem(-900206, "kind", {"scope": f"{SCOPE_BY_TYPE[kind.doc_type]}:write"}))
        docs.append(doc)
    return docs


def _result(outcome: Outcome, doc: Document) -> dict:
    data = outcome.as_dict()
    if getattr(doc, "unknown_kind", None) is not None:
        data["kind"] = doc.unknown_kind
    return data


class DocumentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=sorted(KINDS), help_text="CEB message kind, e.g. CEB311")
    head = serializers.DictField(help_text="The head entity's fields by their CEB names (strings)")
    lines = serializers.ListField(child=serializers.DictField(), required=False,
                                  help_text="The list entity's lines (OrderList, InventoryList …)")


class BulkSerializer(serializers.Serializer):
    documents = DocumentSerializer(many=True)


class ResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    kind = serializers.CharField()
    guid = serializers.CharField()
    accepted = serializers.BooleanField()
    returnStatus = serializers.CharField()
    returnTime = serializers.CharField()
    returnInfo = serializers.CharField()
    keys = serializers.DictField()
    replayed = serializers.BooleanField()
    errors = serializers.ListField(child=serializers.DictField())


class BulkResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = ResultSerializer(many=True)


class DeclarationView(IdempotentAPIView):
    """Declare one document as JSON. Scope: the document type's ``:write`` (e.g. ``order:write``)."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"POST": [], "GET": []}  # per document type, checked on each document
    required_perms = {"GET": []}

    @extend_schema(operation_id="declarations_create", tags=["declarations"], request=DocumentSerializer,
                   summary="Declare one document (JSON)",
                   responses={201: ResultSerializer, 200: ResultSerializer, 422: ResultSerializer,
                              400: ErrorSerializer})
    def post(self, request):
        org_id = _caller_org(request)
        raw = _load_json(request)
        if not isinstance(raw, dict):
            raise ValidationError({"non_field_errors": [ErrorDetail(_("Send one document as a JSON object."),
                                                                    code="not_an_object")]})
        docs = _documents([raw], request)
        outcome = ingest(docs, organization_id=org_id, client_id=_client_id(request))[0]
        status = 200 if outcome.replayed else 201 if outcome.accepted else 422
        return _json(_result(outcome, docs[0]), status)

    @extend_schema(operation_id="declarations_list", tags=["declarations"], summary="The caller's documents",
                   parameters=[OpenApiParameter(name, str) for name in (
                       "kind", "direction", "doc_type", "status", "trade_mode", "order_no", "logistics_no",
                       "invt_no", "q", "date_from", "date_to")],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        qs = selectors.declaration_search(request.user, request.query_params)
        paginator = DeclarationCursor()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([_summary(d) for d in page])


class DeclarationCursor(CursorPagination):
    ordering = ("-declared_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _summary(d) -> dict:
    return {
        "id": d.pk, "kind": d.kind, "direction": d.direction, "doc_type": d.doc_type, "guid": d.guid,
        "version": d.version, "appType": d.app_type, "appStatus": d.app_status, "deleted": d.deleted,
        "orderNo": d.order_no, "ebpCode": d.ebp_code, "ebcCode": d.ebc_code, "logisticsNo": d.logistics_no,
        "invtNo": d.invt_no, "copNo": d.cop_no, "tradeMode": d.trade_mode,
        "amount": str(d.amount) if d.amount is not None else None, "currency": d.currency,
        "returnStatus": d.return_status, "declared_at": d.declared_at.isoformat(),
        "updated_at": d.updated_at.isoformat(),
    }


class DeclarationBulkView(IdempotentAPIView):
    """Declare up to 1,000 JSON documents; each is accepted or refused on its own."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"POST": []}

    @extend_schema(operation_id="declarations_bulk", tags=["declarations"], request=BulkSerializer,
                   summary="Declare up to 1,000 documents (JSON)",
                   responses={200: BulkResultSerializer, 400: ErrorSerializer})
    def post(self, request):
        org_id = _caller_org(request)
        raw = _load_json(request)
        items = raw.get("documents") if isinstance(raw, dict) else None
        if not isinstance(items, list):
            raise ValidationError({"documents": [ErrorDetail(_("Send {\"documents\": [...]}."), code="required")]})
        if len(items) > BULK_MAX_DOCUMENTS:
            raise TooManyDocuments(_("At most %(n)d documents per request.") % {"n": BULK_MAX_DOCUMENTS},
                                   field="documents")
        docs = _documents(items, request)
        outcomes = ingest(docs, organization_id=org_id, client_id=_client_id(request))
        results = [_result(o, d) for o, d in zip(outcomes, docs, strict=True)]
        accepted = sum(1 for o in outcomes if o.accepted)
        return _json({"accepted": accepted, "rejected": len(outcomes) - accepted, "results": results})


class DeclarationDetailView(APIView):
    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": []}
    required_perms = {"GET": []}

    @extend_schema(operation_id="declarations_detail", tags=["declarations"], responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        declaration = selectors.declaration_get(request.user, pk)
        versions = list(DeclarationVersion.objects.filter(declaration=declaration).order_by("number"))
        body = _summary(declaration)
        body["versions"] = [{"number": v.number, "guid": v.guid, "appType": v.app_type, "appStatus": v.app_status,
                             "source": v.source, "received_at": v.received_at.isoformat(),
                             "signed": bool(v.signature), **selectors.version_content(v)} for v in versions]
        body["receipts"] = [_receipt(r) for r in declaration.receipts.order_by("id")]
        return _json(body)


def _receipt(r) -> dict:
    return {"id": r.id, "kind": r.kind, "guid": r.guid, "returnStatus": r.return_status,
            "returnTime": format_return_time(r.return_time), "returnInfo": r.return_info, "keys": r.keys,
            "errors": r.problems}


def _int_param(request, name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        raise ValidationError({name: [ErrorDetail(
            _("Give a whole number between %(lo)d and %(hi)s.") % {"lo": minimum, "hi": maximum or "∞"},
            code="invalid")]})
    return value


class ReceiptFeedView(APIView):
    """Receipts of the caller's documents in order: ``?after=<last id seen>&limit=&kind=&guid=``."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": []}
    required_perms = {"GET": []}

    @extend_schema(operation_id="receipts_feed", tags=["declarations"],
                   parameters=[OpenApiParameter("after", int), OpenApiParameter("limit", int),
                               OpenApiParameter("kind", str), OpenApiParameter("guid", str)],
                   responses={200: OpenApiTypes.OBJECT, 400: ErrorSerializer})
    def get(self, request):
        after = _int_param(request, "after", 0)
        limit = _int_param(request, "limit", 100, minimum=1, maximum=1000)
        rows = selectors.receipt_feed(request.user, after=after, limit=limit,
                                      kind=request.query_params.get("kind", "").upper(),
                                      guid=request.query_params.get("guid", ""))
        return _json({"receipts": [_receipt(r) for r in rows], "next": rows[-1].id if rows else after})


# --- CEB XML ---------------------------------------------------------------------------------

def _xml(body: bytes, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type=XML)


class CebView(IdempotentAPIView):
    """Declare a ``CEBnnnMessage`` (namespace http://www.chinaport.gov.cn/ceb, ≤ 100 documents);
    the answer is the spec's receipt message, or CEB900 for a message that cannot be read."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"POST": []}

    @extend_schema(operation_id="ceb_declare", tags=["ceb"], request={"application/xml": OpenApiTypes.STR},
                   responses={(200, "application/xml"): OpenApiTypes.STR, (400, "application/xml"): OpenApiTypes.STR},
                   summary="Declare a CEB XML message")
    def post(self, request):
        org_id = _caller_org(request)
        body = request._request.body
        try:
            message = ceb.parse_message(body)
        except ceb.CebFormatError as error:
            return _xml(ceb.render_ceb900(error=error, body=body), 400)
        scopes = set(request.user.scopes) if isinstance(request.user, ApiClient) else None
        needed = f"{SCOPE_BY_TYPE[message.kind.doc_type]}:write"
        if scopes is not None and needed not in scopes:
            for doc in message.documents:
                doc.problems.append(Problem(-900206, "", {"scope": needed}))
        outcomes = ingest(message.documents, organization_id=org_id, client_id=_client_id(request),
                          source=DeclarationVersion.Source.XML, message_guid=message.message_guid,
                          cop_code=message.cop_code, base_transfer=message.base_transfer)
        return _xml(ceb.render_receipts(message.kind, outcomes))


class CebReceiptFeedView(APIView):
    """The receipts of one message kind as the spec's receipt message: ``?kind=CEB311&after=``
    (the receipt guids are the documents' guids)."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"GET": []}
    required_perms = {"GET": []}

    @extend_schema(operation_id="ceb_receipts", tags=["ceb"],
                   parameters=[OpenApiParameter("kind", str, required=True), OpenApiParameter("after", int),
                               OpenApiParameter("limit", int)],
                   responses={(200, "application/xml"): OpenApiTypes.STR, 400: ErrorSerializer})
    def get(self, request):
        kind = kind_for(request.query_params.get("kind", ""))
        if kind is None:
            raise ValidationError({"kind": [ErrorDetail(_("Give a declaration message kind such as CEB311."),
                                                        code="invalid")]})
        after = _int_param(request, "after", 0)
        limit = _int_param(request, "limit", 100, minimum=1, maximum=100)
        rows = selectors.receipt_feed(request.user, after=after, limit=limit, kind=kind.code)
        outcomes = [Outcome(index=i, kind=r.kind, guid=r.guid, status=r.return_status, info=r.return_info,
                            keys=r.keys, return_time=r.return_time) for i, r in enumerate(rows)]
        response = _xml(ceb.render_receipts(kind, outcomes))
        response["X-Next-After"] = str(rows[-1].id if rows else after)
        return response


# --- lint ------------------------------------------------------------------------------------

class LintView(IdempotentAPIView):
    """Run every check of the hub on JSON (one document or ``{"documents": [...]}``) or a CEB
    XML message, store nothing, and answer the same errors a declaration would get."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scopes = {"POST": []}
    required_perms = {"POST": []}

    @extend_schema(operation_id="declarations_lint", tags=["declarations"], request=BulkSerializer,
                   responses={200: BulkResultSerializer, 400: ErrorSerializer},
                   summary="Validate documents without storing them")
    def post(self, request):
        org_id = _caller_org(request)
        body = request._request.body
        if body.lstrip()[:1] == b"<":
            try:
                message = ceb.parse_message(body)
            except ceb.CebFormatError as error:
                return _json({"accepted": 0, "rejected": 1, "results": [], "message_error": {
                    "code": error.status, "message": error.info_zh, "message_en": error.info_en,
                    "type": error.ori_message_type}}, 200)
            docs, cop_code, transfer = message.documents, message.cop_code, message.base_transfer
        else:
            raw = _load_json(request)
            items = raw.get("documents") if isinstance(raw, dict) and "documents" in raw else [raw]
            if not isinstance(items, list) or len(items) > BULK_MAX_DOCUMENTS:
                raise ValidationError({"documents": [ErrorDetail(
                    _("Send one document or {\"documents\": [...]} with at most %(n)d.") % {"n": BULK_MAX_DOCUMENTS},
                    code="invalid")]})
            docs, cop_code, transfer = _documents(items, request), None, None
        outcomes = ingest(docs, organization_id=org_id, cop_code=cop_code, base_transfer=transfer, store=False)
        results = [_result(o, d) for o, d in zip(outcomes, docs, strict=True)]
        ok = sum(1 for o in outcomes if not o.problems)
        return Response({"accepted": ok, "rejected": len(outcomes) - ok, "results": results})
