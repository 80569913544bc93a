"""Enterprise pages of the reconciliation (三单比对): the enterprise's results with filters, and
one result with its documents side by side, the failing fields marked and each rule explained.

Thin: the selectors decide what the user sees (results of trades the enterprise declared or is
named in; 404 for anything else) and build the side-by-side view.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from filings.views import _enterprise_user
from zone_portal.core.errors import NotFound

from . import selectors
from .models import ReconciliationResult


def _filters(request: HttpRequest) -> dict:
    return {name: request.GET.get(name, "").strip() for name in selectors.FILTERS}


@login_required
@never_cache
def reconciliation_list(request: HttpRequest) -> HttpResponse:
    _enterprise_user(request)
    filters = _filters(request)
    page = Paginator(selectors.result_search(request.user, filters), 25).get_page(request.GET.get("page"))
    return render(request, "filings/reconciliation/result_list.html", {
        "page": page, "filters": filters, "statuses": ReconciliationResult.Status.choices,
    })


@login_required
@never_cache
def reconciliation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _enterprise_user(request)
    try:
        result = selectors.result_get(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    return render(request, "filings/reconciliation/result_detail.html",
                  {"detail": selectors.result_detail(request.user, result)})


@login_required
@never_cache
def reconciliation_order(request: HttpRequest, order_no: str) -> HttpResponse:
    """An order number: its result, or the list of them when several platforms used the number."""
    _enterprise_user(request)
    results = selectors.results_for_order(request.user, order_no)
    if not results:
        raise Http404
    if len(results) == 1:
        return redirect("filings:reconciliation_detail", pk=results[0].pk)
    from urllib.parse import urlencode

    from django.urls import reverse

    return redirect(f"{reverse('filings:reconciliation_list')}?{urlencode({'order_no': order_no})}")
