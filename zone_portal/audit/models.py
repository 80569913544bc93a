"""The audit trail (审计日志)."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One state change: who (user or API client), on behalf of which organization, did what to what.

    Append-only: a database trigger refuses every UPDATE and DELETE, so not even a superuser
    or a raw SQL session of the application can rewrite history.
    """

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
        on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
    )
    actor_api_client = models.ForeignKey(
        "accounts.ApiClient", verbose_name=_("API client"), null=True, blank=True,
        on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=200)
    organization = models.ForeignKey(
        "accounts.Organization", verbose_name=_("organization"), null=True, blank=True,
        on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
    )
    action = models.CharField(_("action"), max_length=100, db_index=True,
                              help_text=_("app.model.verb, e.g. accounts.apiclient.create"))
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("target type"), null=True, blank=True,
        on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
    )
    target_id = models.CharField(_("target id"), max_length=64, blank=True, db_index=True)
    target_repr = models.CharField(_("target"), max_length=200, blank=True)
    changes = models.JSONField(_("changes (before → after)"), default=dict, blank=True)
    extra = models.JSONField(_("details"), default=dict, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event (审计事件)")
        verbose_name_plural = _("audit events (审计事件)")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]
        triggers = [
            pgtrigger.Protect(name="audit_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.target_repr}"

    @property
    def actor_display(self) -> str:
        """The actor as people read it: the platform itself shows as “system” in their language."""
        return str(_("system")) if self.actor_label == "system" else self.actor_label
