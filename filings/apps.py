from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilingsConfig(AppConfig):
    """Information sharing (信息共享)."""

    name = "filings"
    verbose_name = _("Information sharing")

    def ready(self) -> None:
        from zone_portal.accounts import roles
        from zone_portal.portal.registry import ENTERPRISE_ROLES, register_menu_item, register_queue_provider

        from . import events, views

        events.connect()  # filing transitions → filing.* events (webhooks and the feed)
        register_menu_item(key="enterprise_filing", label=_("Enterprise filing"),
                           url_name="filings:enterprise_filing", icon="building-check",
                           roles=ENTERPRISE_ROLES, order=20)
        register_menu_item(key="goods_filing", label=_("Goods filing"), url_name="filings:goods_list",
                           icon="box-seam", roles=ENTERPRISE_ROLES, order=25)
        register_menu_item(key="declarations", label=_("Declarations"), url_name="filings:declaration_list",
                           icon="file-earmark-text", roles=ENTERPRISE_ROLES, order=30)
        register_menu_item(key="notifications", label=_("Notifications"),
                           url_name="filings:notification_list", icon="bell", roles=ENTERPRISE_ROLES, order=70)
        register_queue_provider("enterprise_filing", views.enterprise_filing_queue)

        review = {"filings.view_enterprisefiling", "filings.review_enterprisefiling",
                  "filings.view_departmentreview", "filings.change_departmentreview",
                  "filings.view_filingattachment"}
        for code in (roles.CUSTOMS_OFFICER, roles.TAX_OFFICER, roles.FOREX_OFFICER, roles.COMMERCE_OFFICER,
                     roles.MARKET_OFFICER):
            roles.ROLE_PERMISSIONS[code] |= review
        # The customs goods queue (商品备案审核): goods are reviewed by customs alone.
        roles.ROLE_PERMISSIONS[roles.CUSTOMS_OFFICER] |= {
            "filings.view_goodsitem", "filings.view_goodsversion", "filings.change_goodsversion",
            "filings.view_goodsimage",
        }
        roles.ROLE_PERMISSIONS[roles.ZONE_ADMIN] |= {
            "filings.view_enterprisefiling", "filings.view_departmentreview", "filings.view_filingattachment",
            "filings.view_reviewrule", "filings.add_reviewrule", "filings.change_reviewrule",
        }
        self._ready_declaration_hub()

    def _ready_declaration_hub(self) -> None:
        from zone_portal.accounts import roles

        from . import signals
        from .hub import authority

        # Every filing transition may change who may declare: invalidate the hub's table of filed codes.
        for signal in (signals.enterprise_filing_filed, signals.enterprise_filing_revoked,
                       signals.enterprise_filing_changed, signals.enterprise_filing_rejected):
            signal.connect(authority.bump_generation, dispatch_uid=f"hub-authority-{id(signal)}")
        roles.ROLE_PERMISSIONS[roles.CUSTOMS_OFFICER] |= {
            "filings.view_declaration", "filings.view_declarationversion", "filings.view_declarationreceipt",
        }
