"""Information sharing (信息共享): enterprise filing (企业备案) and goods filing (商品备案).

An enterprise files once and every department works from that one record ("一次备案、多主体共享、
全流程使用"). Each filing and each filed item keeps its versions: a change (变更) is a new version
reviewed again while the version in force stays effective.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zone_portal.core.fields import BlindIndexField, EncryptedTextField


class EnterpriseRole(models.TextChoices):
    """The roles an enterprise may file for (customs.md glossary)."""

    EBC = "ebc", _("E-commerce enterprise (电商企业)")
    EBP = "ebp", _("E-commerce platform (电商平台)")
    LOGISTICS = "logistics", _("Logistics enterprise (物流企业)")
    PAYMENT = "payment", _("Payment enterprise (支付企业)")
    WAREHOUSE = "warehouse", _("Warehouse enterprise (仓储企业)")
    FTS = "fts", _("Foreign-trade service enterprise (外贸综合服务企业)")
    BROKER = "broker", _("Customs broker (报关企业)")
    PRODUCER = "producer", _("Producer (生产企业)")


class Department(models.TextChoices):
    """The departments that review filings (a subset of the organization kinds)."""

    CUSTOMS = "customs", _("Customs (海关)")
    TAX = "tax", _("Tax (税务)")
    FOREX = "forex", _("Foreign exchange (外汇管理)")
    COMMERCE = "commerce", _("Commerce (商务)")
    MARKET = "market", _("Market regulation (市场监管)")


class ReviewRule(models.Model):
    """One cell of the role-to-department matrix: which department must approve a filing.

    A rule fires on a role applied for, or on a fact of the application (receives or pays foreign
    currency; operates an overseas warehouse for 9810). The zone administrator edits the matrix.
    """

    class Trigger(models.TextChoices):
        ROLE = "role", _("the enterprise applies for a role")
        FOREIGN_CURRENCY = "foreign_currency", _("the enterprise receives or pays foreign currency")
        OVERSEAS_WAREHOUSE = "overseas_warehouse", _("the enterprise operates an overseas warehouse (9810)")

    trigger = models.CharField(_("when"), max_length=24, choices=Trigger.choices)
    role = models.CharField(_("role"), max_length=16, choices=EnterpriseRole.choices, blank=True)
    department = models.CharField(_("department"), max_length=16, choices=Department.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("review rule (审核部门规则)")
        verbose_name_plural = _("review rules (审核部门规则)")
        ordering = ["trigger", "role", "department"]
        constraints = [
            models.UniqueConstraint(fields=["trigger", "role", "department"], name="reviewrule_unique"),
            models.CheckConstraint(condition=(Q(trigger="role") & ~Q(role="")) | (~Q(trigger="role") & Q(role="")),
                                   name="reviewrule_role_iff_role_trigger"),
        ]

    def __str__(self) -> str:
        what = self.get_role_display() if self.trigger == self.Trigger.ROLE else self.get_trigger_display()
        return f"{what} → {self.get_department_display()}"


class EnterpriseFiling(models.Model):
    """The one filing of an enterprise, with the version in force and the one under review."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        UNDER_REVIEW = "under_review", _("under review")
        RETURNED = "returned", _("returned for correction")
        FILED = "filed", _("filed")
        REJECTED = "rejected", _("rejected")
        REVOKED = "revoked", pgettext_lazy("enterprise filing status", "revoked")

    organization = models.OneToOneField(
        "accounts.Organization", verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="filing"
    )
    filing_no = models.CharField(_("filing number (备案编号)"), max_length=20, unique=True, null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    effective_version = models.ForeignKey(
        "EnterpriseFilingVersion", verbose_name=_("version in force"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.TextField(_("reason for revocation"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("enterprise filing (企业备案)")
        verbose_name_plural = _("enterprise filings (企业备案)")
        ordering = ["-updated_at"]
        # Declared here (not only in migration 0003) so that it is recreated after a flush.
        permissions = [("review_enterprisefiling", _("Can review enterprise filings for the department"))]
        constraints = [
            models.CheckConstraint(condition=~Q(status="filed") | (Q(filing_no__isnull=False)
                                                                   & Q(effective_version__isnull=False)),
                                   name="filing_filed_has_number_and_version"),
            models.CheckConstraint(condition=~Q(status="revoked") | Q(revoked_at__isnull=False),
                                   name="filing_revoked_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.filing_no or '—'} {self.organization}"


class EnterpriseFilingVersion(models.Model):
    """One version of an enterprise's filing application: the first one, or a change (变更)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        UNDER_REVIEW = "under_review", _("under review")
        RETURNED = "returned", _("returned for correction")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        SUPERSEDED = "superseded", _("superseded")
        WITHDRAWN = "withdrawn", _("withdrawn")

    filing = models.ForeignKey(EnterpriseFiling, verbose_name=_("filing"), on_delete=models.CASCADE,
                               related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    roles = ArrayField(models.CharField(max_length=16, choices=EnterpriseRole.choices), verbose_name=_("roles"))
    uscc = models.CharField(_("unified social credit code"), max_length=18)
    customs_code = models.CharField(_("customs registration code"), max_length=10, blank=True)
    name = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    legal_representative = EncryptedTextField(_("legal representative"), mask="name")
    registered_address = models.CharField(_("registered address"), max_length=300)
    operating_address = models.CharField(_("operating address"), max_length=300, blank=True)
    contact_name = EncryptedTextField(_("contact person"), mask="name")
    contact_mobile = EncryptedTextField(_("contact mobile"), mask="phone")
    contact_mobile_bidx = BlindIndexField(source="contact_mobile", kind="phone")
    contact_email = models.EmailField(_("contact email"))
    business_scope = models.TextField(_("business scope"))
    park = models.ForeignKey("portal.Park", verbose_name=_("park"), on_delete=models.PROTECT,
                             null=True, blank=True, related_name="+")
    bank_name = models.CharField(_("bank for forex receipts"), max_length=200, blank=True)
    bank_account = EncryptedTextField(_("bank account for forex receipts"), blank=True, mask="text")
    handles_foreign_currency = models.BooleanField(_("receives or pays foreign currency"), default=False)
    operates_overseas_warehouse = models.BooleanField(_("operates an overseas warehouse (9810)"), default=False)
    payment_licence_no = models.CharField(_("payment business licence number"), max_length=50, blank=True)
    express_permit_no = models.CharField(_("express business permit number"), max_length=50, blank=True)
    platform_domain = models.CharField(_("platform domain"), max_length=200, blank=True)
    platform_app_name = models.CharField(_("platform app name"), max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("enterprise filing version (企业备案版本)")
        verbose_name_plural = _("enterprise filing versions (企业备案版本)")
        ordering = ["filing", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["filing", "number"], name="filingversion_number_unique"),
            # One application in progress at a time: at most one draft, under-review or returned version.
            models.UniqueConstraint(fields=["filing"], condition=Q(status__in=["draft", "under_review", "returned"]),
                                    name="filingversion_one_open"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"


class DepartmentReview(models.Model):
    """One department's decision on one version: approve, reject with a reason, or return for
    correction naming the fields to fix."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        RETURNED = "returned", _("returned for correction")

    version = models.ForeignKey(EnterpriseFilingVersion, verbose_name=_("version"), on_delete=models.CASCADE,
                                related_name="reviews")
    department = models.CharField(_("department"), max_length=16, choices=Department.choices)
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices, default=Decision.PENDING)
    reason = models.TextField(_("reason"), blank=True)
    fields_to_fix = ArrayField(models.CharField(max_length=50), verbose_name=_("fields to fix"), default=list,
                               blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    round = models.PositiveSmallIntegerField(_("review round"), default=1)

    class Meta:
        verbose_name = _("department review (部门审核)")
        verbose_name_plural = _("department reviews (部门审核)")
        ordering = ["version", "department"]
        constraints = [
            models.UniqueConstraint(fields=["version", "department"], name="review_one_per_department"),
            models.CheckConstraint(
                condition=(Q(decision="pending") & Q(decided_at__isnull=True))
                | (~Q(decision="pending") & Q(decided_at__isnull=False)),
                name="review_decided_at_iff_decided",
            ),
            models.CheckConstraint(condition=~Q(decision__in=["rejected", "returned"]) | ~Q(reason=""),
                                   name="review_refusal_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.version} · {self.get_department_display()}: {self.get_decision_display()}"


class FilingAttachment(models.Model):
    """A document attached to a filing version (business licence, role permits), stored privately
    and served only to users who may see the filing."""

    class Kind(models.TextChoices):
        BUSINESS_LICENCE = "business_licence", _("business licence (营业执照)")
        PAYMENT_LICENCE = "payment_licence", _("payment business licence (支付业务许可证)")
        EXPRESS_PERMIT = "express_permit", _("express business permit (快递业务经营许可证)")
        ICP = "icp", _("ICP filing of the platform (ICP备案)")
        OTHER = "other", _("other")

    version = models.ForeignKey(EnterpriseFilingVersion, verbose_name=_("version"), on_delete=models.CASCADE,
                                related_name="attachments")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="filings/attachments/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("filing attachment (备案附件)")
        verbose_name_plural = _("filing attachments (备案附件)")
        ordering = ["version", "kind", "id"]

    def __str__(self) -> str:
        return self.original_name


class CustomsMode(models.TextChoices):
    """Customs supervision modes a filed item may be declared under (监管方式)."""

    M9610 = "9610", _("9610 cross-border e-commerce (retail)")
    M1210 = "1210", _("1210 bonded cross-border e-commerce")
    M9710 = "9710", _("9710 B2B direct export")
    M9810 = "9810", _("9810 export via overseas warehouse")


class GoodsItem(models.Model):
    """An item of goods filed once (商品备案) and reused by every declaration of its enterprise.

    ``record_no`` is the goods record number that inventory lists refer to (``itemRecordNo``);
    ``trace_id`` follows the item through declarations for traceability (源头可溯、去向可查).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        UNDER_REVIEW = "under_review", _("under review")
        FILED = "filed", _("filed")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    organization = models.ForeignKey("accounts.Organization", verbose_name=_("enterprise"),
                                     on_delete=models.PROTECT, related_name="goods")
    item_no = models.CharField(_("SKU (itemNo)"), max_length=50)
    record_no = models.CharField(_("goods record number (itemRecordNo)"), max_length=30, unique=True, null=True,
                                 blank=True)
    trace_id = models.UUIDField(_("traceability id"), unique=True, null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    effective_version = models.ForeignKey("GoodsVersion", verbose_name=_("version in force"),
                                          on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("goods item (备案商品)")
        verbose_name_plural = _("goods items (备案商品)")
        ordering = ["organization", "item_no"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "item_no"], name="goods_sku_unique_per_enterprise"),
            models.CheckConstraint(condition=~Q(status="filed") | (Q(record_no__isnull=False)
                                                                   & Q(effective_version__isnull=False)),
                                   name="goods_filed_has_record_no"),
        ]

    def __str__(self) -> str:
        return f"{self.item_no} ({self.record_no or '—'})"


class GoodsVersion(models.Model):
    """One version of a goods filing: the first application or a change, reviewed by customs."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        UNDER_REVIEW = "under_review", _("under review")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        SUPERSEDED = "superseded", _("superseded")

    item = models.ForeignKey(GoodsItem, verbose_name=_("goods item"), on_delete=models.CASCADE,
                             related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    name = models.CharField(_("name (Chinese)"), max_length=250)
    name_en = models.CharField(_("name (English)"), max_length=250, blank=True)
    hs_code = models.ForeignKey("codes.HsCode", verbose_name=_("HS code"), to_field="hs_code",
                                on_delete=models.PROTECT, related_name="+")
    declaration_elements = models.TextField(_("declaration elements (申报要素)"), blank=True)
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    model_spec = models.CharField(_("model / specification"), max_length=200, blank=True)
    ingredients = models.CharField(_("ingredients or material"), max_length=500, blank=True)
    usage = models.CharField(_("use"), max_length=200, blank=True)
    origin_country = models.ForeignKey("codes.Country", verbose_name=_("country of origin"),
                                       to_field="customs_code", on_delete=models.PROTECT, related_name="+")
    legal_unit_1 = models.ForeignKey("codes.Unit", verbose_name=_("first legal unit"), to_field="code",
                                     on_delete=models.PROTECT, related_name="+")
    legal_unit_2 = models.ForeignKey("codes.Unit", verbose_name=_("second legal unit"), to_field="code",
                                     on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    declared_unit = models.ForeignKey("codes.Unit", verbose_name=_("declared unit"), to_field="code",
                                      on_delete=models.PROTECT, related_name="+")
    unit_price = models.DecimalField(_("unit price"), max_digits=19, decimal_places=5)
    currency = models.ForeignKey("codes.Currency", verbose_name=_("currency"), to_field="customs_code",
                                 on_delete=models.PROTECT, related_name="+")
    barcode = models.CharField(_("barcode (GTIN)"), max_length=14, blank=True)
    manufacturer = models.CharField(_("manufacturer"), max_length=200, blank=True)
    modes = ArrayField(models.CharField(max_length=4, choices=CustomsMode.choices), verbose_name=_("customs modes"))
    direction = models.CharField(
        _("direction"), max_length=8, choices=[("import", _("import")), ("export", _("export"))],
        help_text=_("Import goods under 1210/9610 must be on the retail-import positive list."),
    )
    positive_list = models.BooleanField(_("on the retail-import positive list"), default=False,
                                        help_text=_("Derived from the HS code when the version is saved."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("goods filing version (商品备案版本)")
        verbose_name_plural = _("goods filing versions (商品备案版本)")
        ordering = ["item", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="goodsversion_number_unique"),
            models.UniqueConstraint(fields=["item"], condition=Q(status__in=["draft", "under_review"]),
                                    name="goodsversion_one_open"),
            models.CheckConstraint(condition=~Q(status="rejected") | ~Q(reason=""),
                                   name="goodsversion_rejection_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"


class GoodsImage(models.Model):
    """A picture of a goods item (up to five a version), stored privately."""

    version = models.ForeignKey(GoodsVersion, verbose_name=_("version"), on_delete=models.CASCADE,
                                related_name="images")
    file = models.FileField(_("image"), upload_to="filings/goods/%Y/%m/")
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("goods image (商品图片)")
        verbose_name_plural = _("goods images (商品图片)")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="goodsimage_position_unique"),
            models.CheckConstraint(condition=Q(position__gte=1) & Q(position__lte=5), name="goodsimage_at_most_five"),
        ]

    def __str__(self) -> str:
        return f"{self.version} #{self.position}"


from .models_hub import Declaration, DeclarationReceipt, DeclarationVersion  # noqa: E402, F401
