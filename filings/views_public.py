"""The public filing look-up (no login): name, USCC, roles, status and filing date — nothing personal."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from zone_portal.core.ratelimit import allow

from .models import EnterpriseFiling, EnterpriseRole
from .selectors import public_lookup

LOOKUP_RATE = "60/m"
QUERY_MAX_LENGTH = 100


@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    """Search filings by name, USCC or filing number; rate-limited per client address because the
    page needs no login and could otherwise be used to walk the register."""
    query = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
    context = {"query": query, "results": [], "searched": bool(query), "query_max_length": QUERY_MAX_LENGTH}
    if query:
        ip = request.META.get("REMOTE_ADDR", "unknown")
        if not allow("public_lookup", ip, LOOKUP_RATE):
            context["rate_limited"] = True
            return render(request, "filings/public_lookup.html", context, status=429)
        role_labels = dict(EnterpriseRole.choices)
        status_labels = dict(EnterpriseFiling.Status.choices)
        context["results"] = [
            {**row, "role_labels": [role_labels.get(r, r) for r in row["roles"]],
             "status_label": status_labels.get(row["status"], row["status"])}
            for row in public_lookup(query)
        ]
    return render(request, "filings/public_lookup.html", context)
