from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    """Statistics monitoring (统计监测)."""

    name = "stats"
    verbose_name = _("Statistics monitoring")
