"""Reads behind the public pages and the role dashboards."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from zone_portal.accounts import roles
from zone_portal.accounts.models import Organization, User
from zone_portal.audit.models import AuditEvent

from .links import url_or_none
from .registry import WorkQueue, queue_provider, queue_specs_for

logger = logging.getLogger(__name__)

RECENT_AUDIT_EVENTS = 10


def dashboard_kind(*, user, role) -> str:
    """Which dashboard a user lands on: ``enterprise``, ``officer``, ``zone_admin`` or ``none``."""
    if role is None:
        return "none"
    if role.code == roles.ZONE_ADMIN:
        return "zone_admin"
    if role.staff:
        return "officer"
    if user.organization_id is not None and user.is_enterprise_user:
        return "enterprise"
    return "none"  # an enterprise role without an enterprise: nothing to show


def work_queues_for(*, user, role) -> list[WorkQueue]:
    """The work queue cards of the user's role, filled by the modules that provide them.

    A provider that fails must not take the whole dashboard down: its card shows as
    unavailable and the error is logged.
    """
    if role is None:
        return []
    queues = []
    for spec in queue_specs_for(role.code):
        provider = queue_provider(spec.key)
        fill = None
        if provider is not None:
            try:
                fill = provider(user)
            except Exception:
                logger.exception("work queue %s failed for user %s", spec.key, user.pk)
        queues.append(WorkQueue(spec=spec, fill=fill))
    return queues


@dataclass(frozen=True)
class KindCount:
    kind: str
    label: str
    count: int


def organization_counts_by_kind() -> list[KindCount]:
    """Active organizations per kind, every kind listed (zero included), in the kinds' order."""
    counts = dict(
        Organization.objects.filter(is_active=True)
        .order_by()
        .values("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return [KindCount(kind=k.value, label=str(k.label), count=counts.get(k.value, 0))
            for k in Organization.Kind]


def user_counts() -> dict[str, int]:
    """Active users: all of them, enterprise users, and officers (department and bank staff)."""
    enterprise = Q(organization__kind=Organization.Kind.ENTERPRISE)
    officer = Q(organization__isnull=False) & ~enterprise
    return User.objects.filter(is_active=True).aggregate(
        total=Count("id"),
        enterprise=Count("id", filter=enterprise),
        officers=Count("id", filter=officer),
    )


def recent_audit_events(*, limit: int = RECENT_AUDIT_EVENTS):
    """The latest audit events, as stored (personal data in them was masked when written)."""
    return list(
        AuditEvent.objects.only("id", "created_at", "actor_label", "action", "target_repr")
        .order_by("-created_at", "-id")[:limit]
    )


def organization_chart_option(counts: list[KindCount]) -> dict:
    """An ECharts option drawing the organization counts as a horizontal bar chart."""
    return {
        "aria": {"enabled": True},
        "grid": {"left": 8, "right": 24, "top": 8, "bottom": 8, "containLabel": True},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "inverse": True, "data": [c.label for c in counts]},
        "series": [{
            "name": _("Organizations"),
            "type": "bar",
            "data": [c.count for c in counts],
            "label": {"show": True, "position": "right"},
        }],
    }


def back_office_links() -> dict[str, str | None]:
    """Back-office pages a zone administrator starts from (``None`` when not routed)."""
    return {
        "index": url_or_none("admin:index"),
        "add_user": url_or_none("admin:accounts_user_add"),
        "users": url_or_none("admin:accounts_user_changelist"),
        "add_organization": url_or_none("admin:accounts_organization_add"),
        "organizations": url_or_none("admin:accounts_organization_changelist"),
        "audit_events": url_or_none("admin:audit_auditevent_changelist"),
    }
