from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Shared kernel: errors, request ids, logging, personal-data protection, health checks."""

    name = "zone_portal.core"
    label = "core"
    verbose_name = _("Platform core")
