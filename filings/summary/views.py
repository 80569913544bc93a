"""Enterprise pages of the export summary declaration: the list of the enterprise's summaries,
one summary with its lines and the lists mapped into it, confirmation, and the Excel and PDF
downloads.

Thin: ``selectors`` decide what a user sees (404 for another enterprise's summary, and for
officers, who use the back office), ``services.summary_confirm`` confirms, ``exports`` renders.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from filings.views import _enterprise_user
from zone_portal.core.errors import ApplicationError, NotFound

from . import exports, selectors, services
from .models import Summary

FILTERS = ("month", "status", "q")


def _summary_or_404(request: HttpRequest, pk: int) -> Summary:
    _enterprise_user(request)
    try:
        return selectors.summary_get_for_user(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc


@login_required
@never_cache
def summary_list(request: HttpRequest) -> HttpResponse:
    organization = _enterprise_user(request)
    filters = {name: request.GET.get(name, "").strip() for name in FILTERS}
    page = Paginator(selectors.summary_search(request.user, filters), 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "filings/summary/summary_list.html", {
        "page": page, "filters": filters, "query": query.urlencode(), "statuses": Summary.Status.choices,
        "organization": organization, "declare_by_day": services.declare_by_day(),
    })


@login_required
@never_cache
def summary_detail(request: HttpRequest, pk: int) -> HttpResponse:
    summary = _summary_or_404(request, pk)
    lists = Paginator(selectors.summary_lists(summary), 50).get_page(request.GET.get("page"))
    return render(request, "filings/summary/summary_detail.html", {
        "s": summary, "head": exports.head_rows(summary), "lines": selectors.summary_lines(summary),
        "lists": lists, "may_confirm": (summary.status == Summary.Status.GENERATED
                                        and summary.organization_id == request.user.organization_id),
    })


@login_required
@require_POST
def summary_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    summary = _summary_or_404(request, pk)
    try:
        services.summary_confirm(summary_id=summary.pk, actor=request.user)
    except ApplicationError as error:
        if error.http_status == 403:
            return render(request, "filings/summary/refused.html", {"s": summary, "message": error.message},
                          status=403)
        messages.error(request, error.message)
    else:
        messages.success(request, _("Summary declaration %(no)s confirmed.") % {"no": summary.sum_no})
    return redirect("filings:summary_detail", pk=summary.pk)


@login_required
@never_cache
def summary_excel(request: HttpRequest, pk: int) -> HttpResponse:
    summary = _summary_or_404(request, pk)
    response = HttpResponse(exports.summary_workbook(summary), content_type=exports.XLSX)
    response["Content-Disposition"] = f'attachment; filename="summary-{summary.sum_no}.xlsx"'
    return response


@login_required
@never_cache
def summary_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    summary = _summary_or_404(request, pk)
    try:
        content = exports.summary_pdf(summary)
    except exports.PdfFontMissing as error:
        return render(request, "filings/summary/refused.html", {"s": summary, "message": error.message},
                      status=error.http_status)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="summary-{summary.sum_no}.pdf"'
    return response
