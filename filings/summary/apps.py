"""Export summary declaration (汇总申报) — part of the information sharing system (filings)."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SummaryConfig(AppConfig):
    """Export summary declaration (汇总申报) and the 无票免税 register. A Django app of its own
    inside ``filings`` so that its tables migrate on their own."""

    name = "filings.summary"
    label = "summary"
    verbose_name = _("Export summary declaration (汇总申报)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from filings import signals
        from filings.hub.events import documents_declared
        from zone_portal.accounts import roles
        from zone_portal.portal.registry import ENTERPRISE_ROLES, register_menu_item

        from . import receivers

        documents_declared.connect(receivers.on_documents_declared, dispatch_uid="summary-ceb701")
        signals.list_state_changed.connect(receivers.on_list_state_changed, dispatch_uid="summary-register")
        register_menu_item(key="summaries", label=_("Summary declarations"), url_name="filings:summary_list",
                           icon="journal-text", roles=ENTERPRISE_ROLES, order=35)
        summaries = {"summary.view_summaryrun", "summary.view_summary", "summary.view_summaryline"}
        register = {"summary.view_exemptionrecord"}
        roles.ROLE_PERMISSIONS[roles.CUSTOMS_OFFICER] |= summaries | register
        # The tax office keeps the 无票免税 register (财税〔2018〕103号) and reads the summaries behind refunds.
        roles.ROLE_PERMISSIONS[roles.TAX_OFFICER] |= summaries | register
