"""Input and output serializers of the events and webhooks API (kept apart, HackSoft style)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..selectors import FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT, CursorInvalid, feed_cursor_parse


class FeedQuerySerializer(serializers.Serializer):
    after = serializers.CharField(required=False, allow_blank=True, max_length=60,
                                  help_text="The next_cursor of the previous page; leave out to read from the start.")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=FEED_MAX_LIMIT,
                                     default=FEED_DEFAULT_LIMIT)
    types = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                  help_text="Comma-separated event types to keep; all when left out.")

    def validate_after(self, value: str):
        if not value:
            return None
        try:
            return feed_cursor_parse(value)
        except CursorInvalid as exc:
            raise serializers.ValidationError(str(exc.message), code=exc.code) from exc

    def validate_types(self, value: str) -> list[str]:
        return [t.strip() for t in (value or "").split(",") if t.strip()]


class EventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    created_at = serializers.CharField(help_text="ISO 8601 with the UTC offset.")
    subject = serializers.CharField()
    data = serializers.JSONField(help_text="Depends on the type; see the webhooks guide.")
    cursor = serializers.CharField(help_text="Pass as `after` to continue right after this event.")


class FeedOutputSerializer(serializers.Serializer):
    results = EventOutputSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True, help_text="Pass as `after` for the next page.")
    has_more = serializers.BooleanField()


class EventTypeOutputSerializer(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField()


class WebhookEndpointInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text=_("HTTPS URL that receives the events."))
    event_types = serializers.ListField(child=serializers.CharField(max_length=64), allow_empty=False,
                                        max_length=100)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WebhookEndpointDisableInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class WebhookEndpointOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    description = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField(help_text="active or disabled")
    disabled_cause = serializers.CharField(help_text="manual or failing when disabled, else empty")
    disabled_at = serializers.DateTimeField(allow_null=True)
    consecutive_failures = serializers.IntegerField()
    failing_since = serializers.DateTimeField(allow_null=True)
    last_success_at = serializers.DateTimeField(allow_null=True)
    secret_fingerprint = serializers.CharField(help_text="First 12 hex digits of SHA-256 of the secret.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class WebhookEndpointWithSecretOutputSerializer(WebhookEndpointOutputSerializer):
    secret = serializers.CharField(help_text="The signing secret. Shown in this answer only: store it now.")


class WebhookDeliveryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.IntegerField()
    event_type = serializers.CharField(source="event.event_type")
    status = serializers.CharField(help_text="pending, sending, succeeded or failed")
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField()
    retry_until = serializers.DateTimeField()
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    response_status = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    manual_resends = serializers.IntegerField()
    created_at = serializers.DateTimeField()
