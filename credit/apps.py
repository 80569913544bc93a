from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    """Credit (电商信用)."""

    name = "credit"
    verbose_name = _("Credit")
