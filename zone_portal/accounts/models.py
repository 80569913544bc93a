"""Who uses the platform: organizations, their people, and partner API clients."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zone_portal.core.fields import BlindIndexField, EncryptedTextField


class Organization(models.Model):
    """An enterprise (identified by its 统一社会信用代码) or a government department / bank.

    Every user belongs to one organization; what a user may see is scoped by it.
    """

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise (企业)")
        CUSTOMS = "customs", _("Customs (海关)")
        TAX = "tax", _("Tax (税务)")
        FOREX = "forex", _("Foreign exchange (外汇管理)")
        COMMERCE = "commerce", _("Commerce (商务)")
        MARKET = "market", _("Market regulation (市场监管)")
        BANK = "bank", _("Bank (银行)")
        ZONE_OFFICE = "zone_office", _("Zone office (综试区办公室)")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, db_index=True)
    name = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    uscc = models.CharField(
        _("unified social credit code (统一社会信用代码)"), max_length=18, null=True, blank=True,
        help_text=_("18 characters, GB 32100. Required for enterprises."),
    )
    customs_code = models.CharField(
        _("customs registration code (海关注册编码)"), max_length=10, blank=True
    )
    contact_name = EncryptedTextField(_("contact person"), blank=True, mask="name")
    contact_mobile = EncryptedTextField(_("contact mobile"), blank=True, mask="phone")
    contact_mobile_bidx = BlindIndexField(source="contact_mobile", kind="phone")
    contact_email = models.EmailField(_("contact email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("organization (机构)")
        verbose_name_plural = _("organizations (机构)")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["uscc"], name="organization_uscc_unique",
                                    condition=Q(uscc__isnull=False)),
            models.CheckConstraint(
                condition=~Q(kind="enterprise") | Q(uscc__isnull=False),
                name="organization_enterprise_has_uscc",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_enterprise(self) -> bool:
        return self.kind == self.Kind.ENTERPRISE

    @property
    def is_department(self) -> bool:
        return self.kind != self.Kind.ENTERPRISE


class User(AbstractUser):
    """A person who logs in: an enterprise user or an officer of a department.

    Roles are Django groups (see ``zone_portal.accounts.roles``); the organization scopes data.
    """

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT,
        related_name="users", null=True, blank=True,
    )
    full_name = EncryptedTextField(_("full name"), blank=True, mask="name")
    mobile = EncryptedTextField(_("mobile"), blank=True, mask="phone")
    mobile_bidx = BlindIndexField(source="mobile", kind="phone")
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, blank=True, default=""
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        permissions = [("manage_own_users", _("Can manage the users of one's own organization"))]

    @property
    def is_enterprise_user(self) -> bool:
        return self.organization_id is not None and self.organization.kind == Organization.Kind.ENTERPRISE

    @property
    def is_officer(self) -> bool:
        return self.organization_id is not None and self.organization.kind != Organization.Kind.ENTERPRISE

    @property
    def department(self) -> str | None:
        """The department kind of an officer (``customs``, ``tax`` …), ``None`` otherwise."""
        return self.organization.kind if self.is_officer else None

    def role_codes(self) -> set[str]:
        return set(self.groups.values_list("name", flat=True))


class ApiClient(models.Model):
    """A partner system's credentials: a public key id and a secret shown once.

    The secret itself is never stored. The platform keeps the SHA-256 of the secret (the key the
    partner's HMAC is computed with), and keeps even that encrypted with SM4.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        REVOKED = "revoked", _("revoked")

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="api_clients"
    )
    name = models.CharField(_("name"), max_length=100)
    key_id = models.CharField(_("API key"), max_length=40, unique=True, editable=False)
    signing_key = EncryptedTextField(_("signing key (encrypted hash of the secret)"), editable=False)
    secret_fingerprint = models.CharField(_("secret fingerprint"), max_length=16, editable=False)
    scopes = ArrayField(models.CharField(max_length=48), verbose_name=_("scopes"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(
        User, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    rotated_at = models.DateTimeField(_("secret rotated at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API client (接口客户端)")
        verbose_name_plural = _("API clients (接口客户端)")
        ordering = ["-created_at"]
        permissions = [
            ("manage_api_clients", _("Can create, rotate and revoke the own organization's API clients")),
            ("revoke_apiclient", _("Can revoke any organization's API client")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="revoked") & Q(revoked_at__isnull=False))
                | (Q(status="active") & Q(revoked_at__isnull=True)),
                name="apiclient_revoked_iff_revoked_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    # DRF treats request.user as a user-like object when a client authenticates.
    is_authenticated = True
    is_anonymous = False


class Notification(models.Model):
    """An in-app message to an organization (all its users) or to one user: a filing decided, a
    list held, a refund paid. Emails go out beside it; this is what the portal shows."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="notifications"
    )
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="notifications", help_text=_("Empty: for every user of the organization."),
    )
    verb = models.CharField(_("event"), max_length=100, help_text=_("app.model.verb of the event"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification (站内通知)")
        verbose_name_plural = _("notifications (站内通知)")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.title
