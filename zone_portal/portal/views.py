"""Public home page and the role dashboards."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from . import selectors
from .context_processors import user_role


@require_safe
def home(request):
    """The public home page: what the platform is, who uses it, where to start."""
    return render(request, "portal/home.html")


@login_required
@require_safe
def dashboard(request):
    """Each role's home page after login: its organization and its work queues."""
    user = request.user
    role = user_role(request)
    kind = selectors.dashboard_kind(user=user, role=role)
    context = {
        "role": role,
        "dashboard_kind": kind,
        "queues": selectors.work_queues_for(user=user, role=role),
        "organization": user.organization if user.organization_id else None,
    }
    if kind == "zone_admin":
        counts = selectors.organization_counts_by_kind()
        context.update(
            organization_counts=counts,
            organization_total=sum(c.count for c in counts),
            organization_chart=selectors.organization_chart_option(counts),
            user_counts=selectors.user_counts(),
            audit_events=selectors.recent_audit_events(),
        )
    if kind in ("zone_admin", "officer") or (kind == "none" and user.is_staff):
        context["back_office"] = selectors.back_office_links()
    return render(request, f"portal/dashboard_{kind}.html", context)
