from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilingsConfig(AppConfig):
    """Information sharing (信息共享)."""

    name = "filings"
    verbose_name = _("Information sharing")
