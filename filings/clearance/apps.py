from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClearanceConfig(AppConfig):
    """Clearance: quota, tax and the inventory list's life (清单核放). A Django app of its own inside
    ``filings`` so that its tables migrate on their own."""

    name = "filings.clearance"
    label = "clearance"
    verbose_name = _("Clearance: quota, tax and the inventory list's life (清单核放)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from filings import signals
        from filings.hub.events import documents_declared
        from zone_portal.accounts import roles
        from zone_portal.portal.registry import ENTERPRISE_ROLES, VISITOR, register_menu_item

        from . import receivers

        signals.lists_reconciled.connect(receivers.on_lists_reconciled, dispatch_uid="clearance.lists_reconciled")
        documents_declared.connect(receivers.on_documents_declared, dispatch_uid="clearance.documents_declared")
        register_menu_item(key="inventory_lists", label=_("Inventory lists"), url_name="filings:clearance_list",
                           icon="clipboard-check", roles=ENTERPRISE_ROLES, order=32)
        # Consumers look up their annual quota without an account: the page is in the public menu.
        register_menu_item(key="consumer_quota", label=_("Quota look-up"), url_name="filings:consumer_quota",
                           icon="person-vcard", roles={VISITOR}, order=10)
        # Customs work the lists (release, hold, reject) and keep the dated policy; the zone office
        # keeps the policy too and reads the quota ledger.
        policy_perms = {f"clearance.{verb}_{model}" for verb in ("view", "add", "change")
                        for model in ("retailimportpolicy", "returnwindow")}
        roles.ROLE_PERMISSIONS[roles.CUSTOMS_OFFICER] |= policy_perms | {
            "clearance.view_inventorylist", "clearance.change_inventorylist", "clearance.view_taxbill",
            "clearance.view_quotaledger", "clearance.view_liststatechange",
        }
        roles.ROLE_PERMISSIONS[roles.ZONE_ADMIN] |= policy_perms | {"clearance.view_quotaledger"}
        roles.ROLE_PERMISSIONS[roles.TAX_OFFICER] |= {"clearance.view_taxbill"}
