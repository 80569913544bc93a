"""Pages of clearance: the enterprise's inventory lists with their state, quota and tax bill, and the
consumer's self-service quota page (public, no login).

Thin: the selectors decide what a user sees (404 for another enterprise's list); the consumer's
query goes through ``services.buyer_quota_query``, which audits it with the ID number masked.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from stdnum.cn import ric

from filings.views import _enterprise_user
from zone_portal.core.errors import NotFound
from zone_portal.core.ratelimit import allow

from . import selectors, services
from .models import QuotaCharge, State, TaxBill

DEFAULT_QUOTA_QUERY_RATE = "10/m"


@login_required
@never_cache
def list_index(request: HttpRequest) -> HttpResponse:
    """The enterprise's inventory lists by state, with what each counts against its buyer's quota
    and its tax."""
    _enterprise_user(request)
    filters = {name: request.GET.get(name, "").strip() for name in selectors.LIST_FILTERS}
    page = Paginator(selectors.list_search(request.user, filters), 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "filings/clearance/list_index.html", {
        "page": page, "filters": filters, "query": query.urlencode(), "states": State.choices})


@login_required
@never_cache
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One list: its state and history, what it counts against the quota, and its tax bill (CEB816)."""
    _enterprise_user(request)
    try:
        declaration = selectors.list_get(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    bill = TaxBill.objects.filter(declaration=declaration).prefetch_related("lines").first()
    charge = QuotaCharge.objects.filter(declaration=declaration).first()
    return render(request, "filings/clearance/list_detail.html", {
        "d": declaration, "history": selectors.list_history(declaration), "bill": bill, "charge": charge,
        "bill_lines": list(bill.lines.order_by("gnum")) if bill else []})


class NoEchoTextInput(forms.TextInput):
    """A text input that never writes the submitted value back into the page (an ID number)."""

    def format_value(self, value):
        return None


class QuotaQueryForm(forms.Form):
    id_number = forms.CharField(label=_("ID number (居民身份证号码)"), max_length=18, min_length=18,
                                widget=NoEchoTextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    name = forms.CharField(label=_("Name (姓名)"), max_length=60,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"].strip().upper()
        if not ric.is_valid(value):
            raise forms.ValidationError(_("This is not a valid resident ID number."), code="invalid")
        return value

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


@never_cache
@require_http_methods(["GET", "POST"])
def consumer_quota(request: HttpRequest) -> HttpResponse:
    """A consumer's used and remaining retail-import quota this year, by ID number and name. Sent by
    POST so that the ID number never appears in a URL or an access log; rate-limited per client
    address (the page needs no login and would otherwise let anyone probe ID numbers); every query
    audited with the ID number masked."""
    form = QuotaQueryForm(request.POST or None)
    context = {"form": form, "answer": None}
    if request.method != "POST":
        return render(request, "filings/clearance/consumer_quota.html", context)
    raw_id, raw_name = request.POST.get("id_number", "")[:18], request.POST.get("name", "")[:60]
    ip = request.META.get("REMOTE_ADDR", "unknown")
    if not allow("consumer_quota", ip, getattr(settings, "CLEARANCE_QUOTA_QUERY_RATE", DEFAULT_QUOTA_QUERY_RATE)):
        services.buyer_quota_query(id_number=raw_id, name=raw_name, actor=request.user, outcome="rate_limited")
        context["rate_limited"] = True
        context["form"] = QuotaQueryForm()
        return render(request, "filings/clearance/consumer_quota.html", context, status=429)
    if not form.is_valid():
        services.buyer_quota_query(id_number=raw_id, name=raw_name, actor=request.user, outcome="invalid")
        return render(request, "filings/clearance/consumer_quota.html", context, status=400)
    context["answer"] = services.buyer_quota_query(id_number=form.cleaned_data["id_number"],
                                                   name=form.cleaned_data["name"], actor=request.user)
    context["form"] = QuotaQueryForm()  # never echo the ID number back into the page
    return render(request, "filings/clearance/consumer_quota.html", context)
