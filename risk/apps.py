from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    """Risk control (风险防控)."""

    name = "risk"
    verbose_name = _("Risk control")
