"""Models of the declaration hub (三单申报一口接入): every declared document, every version of it,
and every receipt the platform answered.

A ``Declaration`` is one business document (an order, a payment, a waybill, an inventory list …)
identified by its kind and business key (customs.md §1.4: orderNo per platform, payTransactionId
per payment company, logisticsNo per logistics company …). Each appType 1/2/3 submission is a
``DeclarationVersion`` carrying the declared values faithfully (the spec's field names, the
strings as declared, numbers as N19,5 text) with personal fields SM4-encrypted in one blob and
searchable only through blind indexes. ``DeclarationReceipt`` is the receipt history (returnStatus,
returnTime, returnInfo), also for documents that were refused and never stored.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zone_portal.core.fields import EncryptedTextField


class Declaration(models.Model):
    """One declared business document and its state; its content lives in its versions."""

    class Direction(models.TextChoices):
        IMPORT = "I", _("import")
        EXPORT = "E", _("export")

    class ListState(models.TextChoices):
        """The life of an inventory list (清单) from declaration to release (issue: reconciliation,
        quota and tax); blank for every other document type."""

        DECLARED = "declared", _("declared")
        RECONCILED = "reconciled", _("reconciled")
        RISK_CHECK = "risk_check", _("risk check")
        RELEASED = "released", _("released")
        HELD = "held", _("held for inspection")
        REJECTED = "rejected", _("rejected")
        CANCELLED = "cancelled", _("cancelled")
        RETURNED = "returned", _("returned")
        CLOSED = "closed", _("closed (结关)")

    kind = models.CharField(_("message kind"), max_length=6)
    direction = models.CharField(_("direction"), max_length=1, choices=Direction.choices)
    doc_type = models.CharField(_("document type"), max_length=20)
    # indexed by declaration_org_idx (organization, -declared_at): no index of its own
    organization = models.ForeignKey("accounts.Organization", verbose_name=_("declarant"),
                                     on_delete=models.PROTECT, related_name="+", db_index=False)
    business_key = models.CharField(_("business key"), max_length=200)
    guid = models.CharField(_("guid of the version in force"), max_length=36)
    version = models.PositiveIntegerField(_("version"), default=1)
    app_type = models.CharField(_("appType"), max_length=1)
    app_status = models.CharField(_("appStatus"), max_length=3)
    deleted = models.BooleanField(_("deleted"), default=False)
    order_no = models.CharField(_("orderNo"), max_length=60, blank=True)
    ebp_code = models.CharField(_("ebpCode"), max_length=18, blank=True)
    ebc_code = models.CharField(_("ebcCode"), max_length=18, blank=True)
    pay_code = models.CharField(_("payCode"), max_length=18, blank=True)
    logistics_code = models.CharField(_("logisticsCode"), max_length=18, blank=True)
    agent_code = models.CharField(_("agentCode"), max_length=18, blank=True)
    logistics_no = models.CharField(_("logisticsNo"), max_length=60, blank=True)
    invt_no = models.CharField(_("invtNo"), max_length=20, blank=True)
    cop_no = models.CharField(_("copNo"), max_length=30, blank=True)
    trade_mode = models.CharField(_("tradeMode"), max_length=4, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=24, decimal_places=5, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    buyer_id_bidx = models.CharField(_("blind index of the buyer's/payer's ID number"), max_length=64, null=True,
                                     blank=True)
    buyer_name_bidx = models.CharField(_("blind index of the buyer's/payer's name"), max_length=64, null=True,
                                       blank=True)
    consignee_bidx = models.CharField(_("blind index of consignee, phone and address"), max_length=64, null=True,
                                      blank=True)
    parties = ArrayField(models.BigIntegerField(), verbose_name=_("organizations that may see it"), default=list)
    return_status = models.CharField(_("returnStatus"), max_length=10)
    list_state = models.CharField(_("list state"), max_length=12, choices=ListState.choices, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    declared_at = models.DateTimeField(_("first declared at"), default=timezone.now)
    updated_at = models.DateTimeField(_("last changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("declared document")
        verbose_name_plural = _("declared documents")
        constraints = [
            models.UniqueConstraint(fields=["kind", "business_key"], name="declaration_unique_key"),
            models.CheckConstraint(condition=Q(direction__in=["I", "E"]), name="declaration_direction_valid"),
        ]
        indexes = [
            models.Index(fields=["order_no", "ebp_code"], name="declaration_order_idx"),
            models.Index(fields=["logistics_no"], name="declaration_logistics_idx"),
            models.Index(fields=["invt_no"], name="declaration_invt_idx"),
            models.Index(fields=["organization", "-declared_at"], name="declaration_org_idx"),
            GinIndex(fields=["parties"], name="declaration_parties_gin"),
            # the monthly export summary and the register pick released lists by date; the
            # partial index costs nothing for the documents that are never released
            models.Index(fields=["released_at"], name="declaration_released_idx",
                         condition=Q(released_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.business_key}"


class DeclarationVersion(models.Model):
    """One submission (appType 1 新增 / 2 变更 / 3 删除) of a document, kept for ever."""

    class Source(models.TextChoices):
        JSON = "json", "JSON"
        XML = "xml", "CEB XML"
        WEB = "web", _("web page")

    # indexed by declarationversion_unique_number (declaration, number)
    declaration = models.ForeignKey(Declaration, verbose_name=_("document"), on_delete=models.CASCADE,
                                    related_name="versions", db_index=False)
    number = models.PositiveIntegerField(_("version"))
    # unique by a constraint (declarationversion_unique_guid): no second, LIKE-only index
    guid = models.CharField(_("guid"), max_length=36)
    app_type = models.CharField(_("appType"), max_length=1)
    app_status = models.CharField(_("appStatus"), max_length=3)
    head = models.JSONField(_("header (non-personal fields as declared)"))
    lines = models.JSONField(_("lines as declared"), default=list, blank=True)
    personal = EncryptedTextField(_("personal fields (encrypted JSON)"), blank=True)
    signature = models.TextField(_("signature (ds:Signature as received, not yet verified)"), blank=True)
    source = models.CharField(_("received as"), max_length=4, choices=Source.choices)
    message_guid = models.CharField(_("message guid"), max_length=36, blank=True)
    # not indexed: API clients are revoked, not deleted (a deletion scans the versions once).
    # Not a database constraint either: the client is the caller authenticated by this request, and
    # a check of it for every version cost a deferred trigger at COMMIT; SET_NULL is Django's.
    client = models.ForeignKey("accounts.ApiClient", verbose_name=_("API client"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+", db_index=False, db_constraint=False)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        constraints = [
            models.UniqueConstraint(fields=["declaration", "number"], name="declarationversion_unique_number"),
            models.UniqueConstraint(fields=["guid"], name="declarationversion_unique_guid"),
            models.CheckConstraint(condition=Q(app_type__in=["1", "2", "3"]), name="declarationversion_apptype"),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id} v{self.number}"


class CurrentTransactionId(models.Func):
    """The inserting transaction's id (a column default), for feeds that must not skip rows
    committed out of id order."""

    template = "(pg_current_xact_id()::text::bigint)"
    output_field = models.BigIntegerField()


class DeclarationReceipt(models.Model):
    """A receipt (回执): what the platform answered about one document, in order.

    An append-only log written beside the rows it names, in their transaction: by the hub (the
    declaration and version it has just inserted, the caller's organization) and by clearance
    (a declaration it holds locked). Its three references are therefore not foreign-key
    constraints in the database — each was a deferred trigger check at COMMIT, three per
    document, a fifth of a 1,000-document request. The relations, their CASCADE and PROTECT
    stay Django's (a deleted declaration takes its receipts with it), and
    ``manage.py hub_integrity`` (``filings.hub.integrity``) finds one whose rows are gone.
    """

    declaration = models.ForeignKey(Declaration, verbose_name=_("document"), null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="receipts", db_constraint=False)
    version = models.ForeignKey(DeclarationVersion, verbose_name=_("version"), null=True, blank=True,
                                on_delete=models.CASCADE, related_name="receipts", db_constraint=False)
    # indexed by receipt_org_idx (organization, id)
    organization = models.ForeignKey("accounts.Organization", verbose_name=_("declarant"),
                                     on_delete=models.PROTECT, related_name="+", db_index=False,
                                     db_constraint=False)
    kind = models.CharField(_("message kind"), max_length=6)
    guid = models.CharField(_("document guid"), max_length=36)  # receipt_guid_idx
    keys = models.JSONField(_("business keys echoed in the receipt"), default=dict)
    return_status = models.CharField(_("returnStatus"), max_length=10)
    return_time = models.DateTimeField(_("returnTime"), default=timezone.now)
    return_info = models.CharField(_("returnInfo"), max_length=1000)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    txid = models.BigIntegerField(_("transaction id"), db_default=CurrentTransactionId(), editable=False)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        indexes = [models.Index(fields=["organization", "id"], name="receipt_org_idx"),
                   models.Index(fields=["guid"], name="receipt_guid_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.guid} {self.return_status}"

    @property
    def accepted(self) -> bool:
        return not self.return_status.startswith("-")
