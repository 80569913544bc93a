"""Back office of events and webhooks, for the zone office's support desk: every event, every
endpoint and every delivery, read-only; re-enabling an endpoint and re-sending deliveries go
through the services (audited). Secrets are never shown."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from zone_portal.core.errors import ApplicationError

from . import services
from .models import Event, WebhookDelivery, WebhookEndpoint

SUPPORT = "events.support_webhooks"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows rows; nobody adds, changes or deletes them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_support_permission(self, request) -> bool:
        return request.user.has_perm(SUPPORT)


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["id", "event_type", "organization", "subject", "created_at"]
    list_filter = ["event_type"]
    search_fields = ["=id", "subject", "organization__name", "organization__uscc"]
    fields = ["id", "event_type", "organization", "subject", "payload", "created_at", "txid"]
    readonly_fields = fields
    list_select_related = ["organization"]
    show_full_result_count = False  # a count over millions of events on every page is not worth it


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "organization", "status", "disabled_cause", "consecutive_failures", "failing_since",
                    "last_success_at"]
    list_filter = ["status", "disabled_cause"]
    search_fields = ["url", "description", "organization__name", "organization__uscc"]
    fields = ["organization", "url", "description", "event_types", "status", "disabled_cause", "disabled_at",
              "consecutive_failures", "failing_since", "last_success_at", "secret_fingerprint",
              "secret_rotated_at", "created_by", "created_at", "updated_at"]
    readonly_fields = fields
    list_select_related = ["organization"]
    actions = ["enable_endpoints"]

    @admin.action(description=_("Re-enable the selected endpoints"), permissions=["support"])
    def enable_endpoints(self, request, queryset):
        enabled = 0
        for endpoint in queryset.filter(status=WebhookEndpoint.Status.DISABLED):
            try:
                services.webhook_endpoint_enable(actor=request.user, endpoint=endpoint)
            except ApplicationError as exc:
                self.message_user(request, f"{endpoint}: {exc.message}", messages.ERROR)
            else:
                enabled += 1
        self.message_user(request, ngettext("%(n)d endpoint re-enabled.", "%(n)d endpoints re-enabled.", enabled)
                          % {"n": enabled}, messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "event_type", "event_id", "endpoint", "organization", "status", "attempts",
                    "response_status", "last_attempt_at", "retry_until"]
    list_filter = ["status", "event__event_type"]
    search_fields = ["=event__id", "event__subject", "endpoint__url", "endpoint__organization__name"]
    fields = ["endpoint", "event", "status", "attempts", "last_attempt_at", "response_status", "last_error",
              "next_attempt_at", "retry_until", "delivered_at", "manual_resends", "created_at"]
    readonly_fields = fields
    list_select_related = ["endpoint__organization", "event"]
    show_full_result_count = False
    actions = ["resend_deliveries"]

    @admin.display(description=_("event type"))
    def event_type(self, obj):
        return obj.event.event_type

    @admin.display(description=_("organization"))
    def organization(self, obj):
        return obj.endpoint.organization

    @admin.action(description=_("Re-send the selected deliveries"), permissions=["support"])
    def resend_deliveries(self, request, queryset):
        sent = 0
        for delivery in queryset.select_related("endpoint"):
            try:
                services.webhook_delivery_resend(actor=request.user, delivery=delivery)
            except ApplicationError as exc:
                self.message_user(request, f"#{delivery.pk}: {exc.message}", messages.WARNING)
            else:
                sent += 1
        self.message_user(request, ngettext("%(n)d delivery is being sent again.",
                                            "%(n)d deliveries are being sent again.", sent) % {"n": sent},
                          messages.SUCCESS)
