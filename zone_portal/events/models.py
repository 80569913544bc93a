"""Platform events (平台事件), the webhook endpoints partners register, and each delivery to them.

An event is written in the transaction of the business change it reports (outbox pattern), one
row per organization that may see it, and is then delivered two ways: pushed to the
organization's webhook endpoints (``WebhookDelivery`` rows, sent by Celery after the commit) and
served by the pull feed (``GET /api/v1/events/``), whose cursor relies on ``txid``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zone_portal.core.fields import EncryptedTextField


class TransactionIdField(models.Field):
    """PostgreSQL ``xid8``: the id of the transaction that wrote the row, set by the database
    (``pg_current_xact_id()``) and read as an ``int``."""

    description = "PostgreSQL 64-bit transaction id (xid8)"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("db_default", Func(function="pg_current_xact_id"))
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("db_default", None)
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def db_type(self, connection) -> str:
        return "xid8"

    def from_db_value(self, value, expression, connection):
        return None if value is None else int(value)

    def to_python(self, value):
        return None if value is None else int(value)


class Event(models.Model):
    """One thing that happened, as one organization sees it (a document accepted, a filing filed).

    Append-only. ``txid`` is the writing transaction's id: the feed serves a row only once every
    transaction older than it has ended, and orders by ``(txid, id)``, so that a reader's cursor
    never passes a row that a slower transaction commits later (ids from a sequence do not commit
    in order).
    """

    organization = models.ForeignKey(
        "accounts.Organization", verbose_name=_("organization"), on_delete=models.DO_NOTHING,
        # A hot append-only table (one row per declared document): no per-row foreign-key check;
        # organizations are never deleted (accounts protects them).
        # The feed index leads with the organization: no second index for the foreign key.
        db_constraint=False, db_index=False, related_name="+",
    )
    event_type = models.CharField(_("event type"), max_length=64)
    subject = models.CharField(_("subject"), max_length=200, blank=True,
                               help_text=_("What the event is about, e.g. a document number or a USCC."))
    payload = models.JSONField(_("data"), encoder=DjangoJSONEncoder, default=dict)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    txid = TransactionIdField(_("transaction"))

    class Meta:
        verbose_name = _("event (事件)")
        verbose_name_plural = _("events (事件)")
        ordering = ["-id"]
        indexes = [models.Index(fields=["organization", "txid", "id"], name="event_feed_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_type} {self.subject}".strip()


class WebhookEndpoint(models.Model):
    """An HTTPS address of an enterprise's system that receives the event types it chose, signed
    with a secret shown once. Disabled by hand, or by the platform when deliveries keep failing."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        DISABLED = "disabled", _("disabled")

    class DisabledCause(models.TextChoices):
        MANUAL = "manual", _("disabled by a user")
        FAILING = "failing", _("disabled after repeated delivery failures")

    organization = models.ForeignKey(
        "accounts.Organization", verbose_name=_("organization"), on_delete=models.PROTECT,
        related_name="webhook_endpoints",
    )
    url = models.CharField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = ArrayField(models.CharField(max_length=64), verbose_name=_("event types"))
    secret = EncryptedTextField(_("signing secret"), editable=False)
    secret_fingerprint = models.CharField(_("secret fingerprint"), max_length=16, editable=False)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    disabled_cause = models.CharField(_("why disabled"), max_length=8, choices=DisabledCause.choices, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last successful delivery"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    secret_rotated_at = models.DateTimeField(_("secret rotated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook endpoint (事件推送地址)")
        verbose_name_plural = _("webhook endpoints (事件推送地址)")
        ordering = ["organization", "-created_at"]
        permissions = [
            ("manage_webhooks", _("Can manage the own organization's webhook endpoints")),
            ("support_webhooks", _("Can re-enable any organization's webhook endpoint and re-send its deliveries")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="disabled") & Q(disabled_at__isnull=False) & ~Q(disabled_cause=""))
                | (Q(status="active") & Q(disabled_at__isnull=True) & Q(disabled_cause="")),
                name="webhookendpoint_disabled_iff_disabled_at",
            ),
        ]

    def __str__(self) -> str:
        return self.description or self.url

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class WebhookDelivery(models.Model):
    """One event to one endpoint: tried until it succeeds or its retry window ends.

    A worker claims a delivery with a conditional ``UPDATE`` (status ``sending``, a new
    ``claim_token``, and ``next_attempt_at`` moved to the end of the claim's lease), so that two
    copies of a task (Celery delivers at least once) never send it at the same time, and the claim
    of a worker that died runs out. Results are written only under the claim's token.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENDING = "sending", _("sending")
        SUCCEEDED = "succeeded", _("delivered")
        FAILED = "failed", _("failed")

    # Deliveries are written by one INSERT … SELECT joining the new events with the subscribed
    # endpoints, up to tens of thousands a second: no per-row foreign-key checks (they are the
    # cost at commit), and no index beyond the unique one, which leads with the endpoint. Deleting
    # an endpoint deletes its deliveries through the service (Django's cascade).
    endpoint = models.ForeignKey(WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE,
                                 related_name="deliveries", db_constraint=False, db_index=False)
    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.DO_NOTHING, related_name="+",
                              db_constraint=False, db_index=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now,
                                           help_text=_("While sending: when the worker's claim runs out."))
    retry_until = models.DateTimeField(_("retried until"))
    claim_token = models.UUIDField(_("claim"), null=True, blank=True, editable=False)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    manual_resends = models.PositiveIntegerField(_("manual re-sends"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook delivery (事件推送记录)")
        verbose_name_plural = _("webhook deliveries (事件推送记录)")
        ordering = ["endpoint", "-event_id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhookdelivery_once_per_endpoint"),
            models.CheckConstraint(condition=~Q(status="succeeded") | Q(delivered_at__isnull=False),
                                   name="webhookdelivery_succeeded_has_time"),
        ]
        indexes = [
            # The sweeper's look-up of work whose task was lost; rows leave it once settled.
            models.Index(fields=["next_attempt_at"], name="webhookdelivery_open_idx",
                         condition=Q(status__in=["pending", "sending"])),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id}"
