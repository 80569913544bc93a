from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The audit trail: one append-only event per state change made through a service."""

    name = "zone_portal.audit"
    label = "audit"
    verbose_name = _("Audit trail")
