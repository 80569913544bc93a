from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    """Domain events, partner webhooks and the pull feed (事件推送与事件流)."""

    name = "zone_portal.events"
    label = "events"
    verbose_name = _("Events and webhooks")

    def ready(self) -> None:
        from zone_portal.accounts import roles
        from zone_portal.portal.registry import ENTERPRISE_ROLES, register_menu_item

        view = {"events.view_webhookendpoint", "events.view_webhookdelivery"}
        roles.ROLE_PERMISSIONS[roles.ENTERPRISE_ADMIN] |= {*view, "events.manage_webhooks"}
        roles.ROLE_PERMISSIONS[roles.ENTERPRISE_OPERATOR] |= view
        roles.ROLE_PERMISSIONS[roles.ZONE_ADMIN] |= {*view, "events.view_event", "events.support_webhooks"}
        register_menu_item(key="webhooks", label=_("Webhooks"), url_name="events:webhook_list",
                           icon="broadcast", roles=ENTERPRISE_ROLES, order=85)
