from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReconciliationConfig(AppConfig):
    """Reconciliation (三单比对). A Django app of its own inside ``filings`` so that its tables migrate on their own."""

    name = "filings.reconciliation"
    label = "reconciliation"
    verbose_name = _("Reconciliation (三单比对)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from filings.hub.events import documents_declared
        from zone_portal.accounts import roles
        from zone_portal.portal.registry import ENTERPRISE_ROLES, register_menu_item

        from . import services

        # Documents committed by the hub → their order keys to the work queue, one drain task.
        documents_declared.connect(services.on_documents_declared, dispatch_uid="reconciliation-enqueue")
        register_menu_item(key="reconciliation", label=_("Reconciliation"), url_name="filings:reconciliation_list",
                           icon="intersect", roles=ENTERPRISE_ROLES, order=32)
        roles.ROLE_PERMISSIONS[roles.CUSTOMS_OFFICER] |= {"reconciliation.view_reconciliationresult"}
        roles.ROLE_PERMISSIONS[roles.ZONE_ADMIN] |= {"reconciliation.view_reconciliationresult"}
