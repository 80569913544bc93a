"""Enterprise pages of the declaration hub: the declarations list (filters, Excel export), one
document with its versions and receipts, and the lint page (paste or upload a document, see every
error, nothing stored).

Thin: the hub's selectors decide what a user sees (the enterprise's own documents and those that
name it), ``ingest(store=False)`` does the lint. Personal fields are shown masked.
"""

from __future__ import annotations

import orjson
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from zone_portal.core.errors import NotFound

from .hub import selectors
from .hub.ingest import format_return_time, ingest
from .hub.spec import KINDS, DocType, kind_for
from .hub.validate import Document
from .views import _enterprise_user

FILTERS = ("kind", "direction", "doc_type", "status", "trade_mode", "order_no", "logistics_no", "invt_no", "q",
           "date_from", "date_to")
EXPORT_LIMIT = 50_000
LINT_MAX_BYTES = 2 * 1024 * 1024


def _filters(request: HttpRequest) -> dict:
    return {name: request.GET.get(name, "").strip() for name in FILTERS}


def _valid_date(value: str) -> str:
    from datetime import date

    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return ""


def _search(request: HttpRequest):
    filters = _filters(request)
    filters["date_from"], filters["date_to"] = _valid_date(filters["date_from"]), _valid_date(filters["date_to"])
    return filters, selectors.declaration_search(request.user, filters)


@login_required
@never_cache
def declaration_list(request: HttpRequest) -> HttpResponse:
    _enterprise_user(request)
    filters, qs = _search(request)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "filings/hub/declaration_list.html", {
        "page": page, "filters": filters, "query": query.urlencode(),
        "kinds": sorted(KINDS.values(), key=lambda k: k.code),
        "doc_types": [(code, labels[1]) for code, labels in DocType.LABELS.items()],
    })


@login_required
@never_cache
def declaration_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as an Excel workbook (at most EXPORT_LIMIT rows, newest first)."""
    from openpyxl import Workbook

    _enterprise_user(request)
    _filters_used, qs = _search(request)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Declarations"))
    ws.append([_("Kind"), _("Direction"), _("Document type"), "orderNo", "logisticsNo", "invtNo", "copNo",
               "ebpCode", "ebcCode", "tradeMode", _("Amount"), _("Currency"), "appType", _("Version"),
               "returnStatus", _("Declared at"), "guid"])
    for d in qs[:EXPORT_LIMIT].iterator(chunk_size=2000):
        ws.append([d.kind, d.direction, d.doc_type, d.order_no, d.logistics_no, d.invt_no, d.cop_no, d.ebp_code,
                   d.ebc_code, d.trade_mode, float(d.amount) if d.amount is not None else None, d.currency,
                   d.app_type, d.version, d.return_status, d.declared_at.strftime("%Y-%m-%d %H:%M:%S"), d.guid])
    from io import BytesIO

    buffer = BytesIO()
    wb.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="declarations.xlsx"'
    return response


@login_required
@never_cache
def declaration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _enterprise_user(request)
    try:
        declaration = selectors.declaration_get(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    kind = KINDS[declaration.kind]
    versions = []
    for version in declaration.versions.order_by("-number"):
        content = selectors.version_content(version)
        head_names = [f.name for f in kind.head_fields]
        versions.append({
            "version": version,
            "head": [(name, content["head"].get(name, "")) for name in head_names if name in content["head"]],
            "line_names": [f.name for f in kind.line_fields],
            "lines": content["lines"],
        })
    receipts = [{"r": r, "time": format_return_time(r.return_time)} for r in declaration.receipts.order_by("id")]
    return render(request, "filings/hub/declaration_detail.html", {
        "d": declaration, "kind": kind, "versions": versions, "receipts": receipts,
    })


@login_required
@never_cache
def lint(request: HttpRequest) -> HttpResponse:
    """Paste or upload one JSON document, ``{"documents": [...]}`` or a CEB XML message."""
    org = _enterprise_user(request)
    context = {"text": "", "results": None, "message_error": None, "kinds": sorted(KINDS)}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is not None and upload.size > LINT_MAX_BYTES:
            context["message_error"] = _("The file is larger than 2 MB.")
            return render(request, "filings/hub/lint.html", context, status=400)
        raw = upload.read() if upload is not None else request.POST.get("text", "").encode("utf-8")
        context["text"] = raw.decode("utf-8", errors="replace")[:200_000]
        docs, message = _lint_documents(raw, context)
        if docs is not None:
            outcomes = ingest(docs, organization_id=org.pk, store=False,
                              cop_code=message.cop_code if message else None,
                              base_transfer=message.base_transfer if message else None)
            context["results"] = [{"o": o, "errors": [p.as_dict() for p in o.problems]} for o in outcomes]
    return render(request, "filings/hub/lint.html", context)


def _lint_documents(raw: bytes, context: dict):
    from .hub import ceb

    if not raw.strip():
        context["message_error"] = _("Paste a document or choose a file.")
        return None, None
    if raw.lstrip()[:1] == b"<":
        try:
            message = ceb.parse_message(raw)
        except ceb.CebFormatError as error:
            context["message_error"] = f"[{error.status}] {error.info_zh} / {error.info_en}"
            return None, None
        return message.documents, message
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        context["message_error"] = _("This is neither JSON nor CEB XML: %(e)s") % {"e": exc}
        return None, None
    items = data.get("documents") if isinstance(data, dict) and "documents" in data else [data]
    if not isinstance(items, list) or len(items) > 1000:
        context["message_error"] = _("Send one document or {\"documents\": [...]} with at most 1,000.")
        return None, None
    docs = []
    from .hub.rules import Problem

    for index, item in enumerate(items):
        kind = kind_for(item.get("kind", "")) if isinstance(item, dict) else None
        if kind is None:
            doc = Document(kind=KINDS["CEB311"], head={}, index=index)
            doc.problems.append(Problem(-900119, "kind", {"value": str(item.get("kind", "") if isinstance(
                item, dict) else type(item).__name__)[:20]}))
        else:
            head = item.get("head")
            doc = Document(kind=kind, head=head if isinstance(head, dict) else {}, lines=item.get("lines", []),
                           index=index)
            if not isinstance(head, dict):
                doc.problems.append(Problem(-900118, "head", {"detail": "head"}))
        docs.append(doc)
    return docs, None
