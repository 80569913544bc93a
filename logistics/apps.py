from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    """Smart logistics (智能物流)."""

    name = "logistics"
    verbose_name = _("Smart logistics")
