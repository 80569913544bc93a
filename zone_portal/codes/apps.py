from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CodesConfig(AppConfig):
    """Reference code tables (参数代码): customs modes, countries, currencies, units, HS codes …"""

    name = "zone_portal.codes"
    label = "codes"
    verbose_name = _("Reference codes")
