"""Models of clearance (清单核放): the dated retail-import policy, the buyers' annual quota, the tax
bill of each import list, and the history of every list's life.

The inventory list itself is the declaration hub's ``filings.Declaration`` (``doc_type`` inventory,
``list_state``); this app adds what the list's clearance needs beside it. ``TRANSITIONS`` is the
one table of the list's allowed state changes.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings.models import Declaration

State = Declaration.ListState

# The list's life (issue 5): reconciliation moves declared → reconciled; quota and tax move a
# reconciled list to the risk check (or refuse it, or hold it when reference data is missing);
# the release decision releases, holds or rejects; a released list may be cancelled, returned or,
# for export, closed (结关) after its departure — and an export list may still come back after that.
TRANSITIONS: dict[str, frozenset[str]] = {
    State.DECLARED: frozenset({State.RECONCILED, State.REJECTED}),
    State.RECONCILED: frozenset({State.RISK_CHECK, State.HELD, State.REJECTED}),
    State.RISK_CHECK: frozenset({State.RELEASED, State.HELD, State.REJECTED}),
    State.HELD: frozenset({State.RELEASED, State.REJECTED}),
    State.RELEASED: frozenset({State.CANCELLED, State.RETURNED, State.CLOSED}),
    State.CLOSED: frozenset({State.RETURNED}),
    State.REJECTED: frozenset(),
    State.CANCELLED: frozenset(),
    State.RETURNED: frozenset(),
}

MONEY = {"max_digits": 19, "decimal_places": 5}  # N19,5, as the spec types amounts


def allowed(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, frozenset())


class RetailImportPolicy(models.Model):
    """The retail-import limits and tax factor in force from a date (跨境电商零售进口税收政策).

    Dated reference data, edited by customs or the zone office in the back office: a list is
    judged by the row in force on the day it was declared. Seeded with 财关税〔2016〕18号
    (2016-04-08: 2,000 / 20,000, 70 %) and 财关税〔2018〕49号 (2019-01-01: 5,000 / 26,000, 70 %).
    """

    class SingleItemRule(models.TextChoices):
        GENERAL_TRADE = "general_trade", _("over the single limit: refused (general trade)")
        FULL_TAX = "full_tax", _("one indivisible item over the single limit but within the annual limit: "
                                 "allowed, taxed in full at goods rates")

    valid_from = models.DateField(_("valid from"), unique=True)
    single_limit = models.DecimalField(_("single-transaction limit (CNY)"), **MONEY)
    annual_limit = models.DecimalField(_("annual limit per person (CNY)"), **MONEY)
    tax_factor = models.DecimalField(_("share of the statutory VAT and consumption tax levied"), max_digits=5,
                                     decimal_places=4, help_text=_("0.7000 = 70 %"))
    single_item_rule = models.CharField(_("single indivisible item over the single limit"), max_length=20,
                                        choices=SingleItemRule.choices)
    source = models.CharField(_("source"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(_("last changed at"), auto_now=True)

    class Meta:
        verbose_name = _("retail-import policy (零售进口限值与税率)")
        verbose_name_plural = _("retail-import policies (零售进口限值与税率)")
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(single_limit__gt=0, annual_limit__gte=F("single_limit")),
                                   name="clearance_policy_limits_ordered"),
            models.CheckConstraint(condition=Q(tax_factor__gte=0, tax_factor__lte=1),
                                   name="clearance_policy_factor_range"),
        ]

    def __str__(self) -> str:
        return f"{self.valid_from}: {self.single_limit:.0f} / {self.annual_limit:.0f}, {self.tax_factor:.0%}"


class ReturnWindow(models.Model):
    """How many days after release a return may be declared, from a date (退货期限): 30 days for
    retail imports (CEB625), a year for exports (CEB213) — secondary sources, so dated rows."""

    direction = models.CharField(_("direction"), max_length=1, choices=Declaration.Direction.choices)
    valid_from = models.DateField(_("valid from"))
    days = models.PositiveIntegerField(_("days after release"))
    source = models.CharField(_("source"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(_("last changed at"), auto_now=True)

    class Meta:
        verbose_name = _("return window (退货期限)")
        verbose_name_plural = _("return windows (退货期限)")
        ordering = ["direction", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["direction", "valid_from"], name="clearance_returnwindow_unique"),
            models.CheckConstraint(condition=Q(days__gt=0), name="clearance_returnwindow_days_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.valid_from}: {self.days}"


class QuotaLedger(models.Model):
    """One buyer's retail-import purchases in one calendar year (个人年度交易额度), by the blind index
    of the buyer's ID number — never the number itself.

    The row every quota decision about that buyer and year locks (``SELECT … FOR UPDATE``), so two
    lists of the same buyer at the same moment are decided one after the other. ``used`` is the sum
    of the buyer's charges minus what was restored.
    """

    buyer_id_bidx = models.CharField(_("blind index of the buyer's ID number"), max_length=64)
    year = models.PositiveSmallIntegerField(_("year"))
    used = models.DecimalField(_("used (CNY)"), default=Decimal(0), **MONEY)
    updated_at = models.DateTimeField(_("last changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("annual quota of a buyer (个人年度额度)")
        verbose_name_plural = _("annual quotas of buyers (个人年度额度)")
        constraints = [
            models.UniqueConstraint(fields=["buyer_id_bidx", "year"], name="clearance_quota_buyer_year"),
            models.CheckConstraint(condition=Q(used__gte=0), name="clearance_quota_used_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.buyer_id_bidx[:8]}…"


class QuotaCharge(models.Model):
    """What one inventory list counts against its buyer's annual quota, and what a cancellation, a
    return or a rejection gave back."""

    class Status(models.TextChoices):
        CHARGED = "charged", _("charged")
        PARTLY_RESTORED = "partly_restored", _("partly restored")
        RESTORED = "restored", _("restored")

    declaration = models.OneToOneField("filings.Declaration", verbose_name=_("inventory list"),
                                       on_delete=models.CASCADE, related_name="quota_charge")
    buyer_id_bidx = models.CharField(_("blind index of the buyer's ID number"), max_length=64)
    buyer_name_bidx = models.CharField(_("blind index of the buyer's name"), max_length=64, blank=True)
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("amount counted (CNY)"), **MONEY)
    restored = models.DecimalField(_("amount restored (CNY)"), default=Decimal(0), **MONEY)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.CHARGED)
    policy = models.ForeignKey(RetailImportPolicy, verbose_name=_("policy applied"), on_delete=models.PROTECT,
                               related_name="+")
    charged_at = models.DateTimeField(_("charged at"), default=timezone.now)
    restored_at = models.DateTimeField(_("restored at"), null=True, blank=True)

    class Meta:
        verbose_name = _("quota charge of a list (额度占用)")
        verbose_name_plural = _("quota charges of lists (额度占用)")
        indexes = [models.Index(fields=["buyer_id_bidx", "year"], name="clearance_charge_buyer_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0, restored__gte=0, restored__lte=F("amount")),
                                   name="clearance_charge_restored_range"),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.amount}"

    @property
    def counted(self) -> Decimal:
        return self.amount - self.restored


class TaxBill(models.Model):
    """The electronic tax bill (电子税单, CEB816 TaxHeadRd) of one retail-import list: tariff 0,
    import VAT and consumption tax at the policy's share (70 %) of the statutory amount."""

    class Status(models.TextChoices):
        GENERATED = "1", _("generated (已生成)")
        SUMMARISED = "2", _("summarised (已汇总)")
        VOID = "3", _("void (作废)")

    declaration = models.OneToOneField("filings.Declaration", verbose_name=_("inventory list"),
                                       on_delete=models.CASCADE, related_name="tax_bill")
    guid = models.CharField(_("guid"), max_length=36, unique=True)
    tax_no = models.CharField(_("taxNo"), max_length=50, unique=True)
    invt_no = models.CharField(_("invtNo"), max_length=18, blank=True)
    tax_price = models.DecimalField(_("duty-paid value (完税价格)"), **MONEY)
    customs_tax = models.DecimalField(_("customsTax (关税)"), **MONEY)
    value_added_tax = models.DecimalField(_("valueAddedTax (增值税)"), **MONEY)
    consumption_tax = models.DecimalField(_("consumptionTax (消费税)"), **MONEY)
    refunded_customs_tax = models.DecimalField(_("customs tax given back on return"), default=Decimal(0), **MONEY)
    refunded_value_added_tax = models.DecimalField(_("VAT given back on return"), default=Decimal(0), **MONEY)
    refunded_consumption_tax = models.DecimalField(_("consumption tax given back on return"), default=Decimal(0),
                                                   **MONEY)
    status = models.CharField(_("status"), max_length=1, choices=Status.choices, default=Status.GENERATED)
    tax_factor = models.DecimalField(_("share of the statutory tax levied"), max_digits=5, decimal_places=4)
    policy = models.ForeignKey(RetailImportPolicy, verbose_name=_("policy applied"), on_delete=models.PROTECT,
                               related_name="+")
    assure_code = models.CharField(_("assureCode"), max_length=64, blank=True)
    ebc_code = models.CharField(_("ebcCode"), max_length=64, blank=True)
    logistics_code = models.CharField(_("logisticsCode"), max_length=64, blank=True)
    agent_code = models.CharField(_("agentCode"), max_length=18, blank=True)
    customs_code = models.CharField(_("customsCode"), max_length=4, blank=True)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("generated at (returnTime)"), default=timezone.now)
    updated_at = models.DateTimeField(_("last changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("tax bill (电子税单)")
        verbose_name_plural = _("tax bills (电子税单)")
        constraints = [
            models.CheckConstraint(condition=Q(customs_tax__gte=0, value_added_tax__gte=0, consumption_tax__gte=0),
                                   name="clearance_taxbill_not_negative"),
        ]

    def __str__(self) -> str:
        return self.tax_no

    @property
    def total(self) -> Decimal:
        return self.customs_tax + self.value_added_tax + self.consumption_tax

    @property
    def refunded_total(self) -> Decimal:
        return self.refunded_customs_tax + self.refunded_value_added_tax + self.refunded_consumption_tax


class TaxBillLine(models.Model):
    """One line of a tax bill (CEB816 TaxListRd), with the rates it was computed from."""

    bill = models.ForeignKey(TaxBill, verbose_name=_("tax bill"), on_delete=models.CASCADE, related_name="lines")
    gnum = models.PositiveIntegerField(_("gnum"))
    gcode = models.CharField(_("gcode"), max_length=10)
    gname = models.CharField(_("gname"), max_length=250, blank=True)
    qty = models.DecimalField(_("qty"), **MONEY)
    unit = models.CharField(_("unit"), max_length=3, blank=True)
    tax_price = models.DecimalField(_("duty-paid value (taxPrice)"), **MONEY)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=4)
    consumption_tax_rate = models.DecimalField(_("consumption tax rate"), max_digits=5, decimal_places=4)
    consumption_tax_specific = models.DecimalField(_("specific consumption tax (CNY per unit)"), max_digits=12,
                                                   decimal_places=4, default=Decimal(0))
    specific_qty = models.DecimalField(_("quantity in the specific tax's unit"), default=Decimal(0), **MONEY)
    rate_effective_from = models.DateField(_("rates in force from"))
    customs_tax = models.DecimalField(_("customsTax"), **MONEY)
    value_added_tax = models.DecimalField(_("valueAddedTax"), **MONEY)
    consumption_tax = models.DecimalField(_("consumptionTax"), **MONEY)
    returned_qty = models.DecimalField(_("quantity returned"), default=Decimal(0), **MONEY)

    class Meta:
        verbose_name = _("tax bill line")
        verbose_name_plural = _("tax bill lines")
        ordering = ["bill_id", "gnum"]
        constraints = [models.UniqueConstraint(fields=["bill", "gnum"], name="clearance_taxbillline_gnum")]

    def __str__(self) -> str:
        return f"{self.bill_id} #{self.gnum}"


class ListStateChange(models.Model):
    """One step of an inventory list's life: from which state to which, why, by whom, and the
    document (a cancellation, a return, a departure) that caused it, if any."""

    declaration = models.ForeignKey("filings.Declaration", verbose_name=_("inventory list"),
                                    on_delete=models.CASCADE, related_name="state_changes")
    from_state = models.CharField(_("from"), max_length=12, choices=State.choices)
    to_state = models.CharField(_("to"), max_length=12, choices=State.choices)
    return_status = models.CharField(_("returnStatus"), max_length=10, blank=True)
    code = models.IntegerField(_("rule code"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=1000, blank=True)
    document = models.ForeignKey("filings.Declaration", verbose_name=_("caused by"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("officer"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(_("actor"), max_length=200)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("list state change (清单状态变化)")
        verbose_name_plural = _("list state changes (清单状态变化)")
        ordering = ["declaration_id", "id"]
        indexes = [models.Index(fields=["document"], name="clearance_change_doc_idx")]

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.from_state} → {self.to_state}"


class InventoryList(Declaration):
    """The inventory lists (清单) among the declared documents, as customs works on them in the back
    office: by state, with their quota and tax (a proxy of ``filings.Declaration``)."""

    class Meta:
        proxy = True
        verbose_name = _("inventory list (清单)")
        verbose_name_plural = _("inventory lists (清单)")
