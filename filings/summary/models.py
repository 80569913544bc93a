"""Models of the export summary declaration (清单核放、汇总申报) and of the 无票免税 register.

Export inventory lists (CEB603) are released one by one; each month the released lists with
statisticsFlag B are summarised into summary declarations (汇总申报单), grouped by configurable
head keys (consignor, transport mode, owner, destination, port …) and, inside one summary, into
lines by configurable line keys (item country, 10-digit HS code, currency …). Every list line is
mapped to the summary line it went into (``gseqno``), which is the content of the customs'
CEB792 汇总结果单.

- ``SummaryRun``: one grouping (the monthly job's, or one CEB701 汇总申请单's), with the keys used;
- ``Summary``: one summary declaration (CEB792 SummaryResultHead), seen and confirmed by its enterprise;
- ``SummaryLine``: one line of it (the goods of the later 报关单);
- ``SummaryItem``: one list line and the summary line it went into (CEB792 SummaryResultList);
- ``ExemptionRecord``: the six 无票免税 fields of one exported item (财税〔2018〕103号), for the tax office.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import BrinIndex, GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SummaryRun(models.Model):
    """One grouping of released export lists into summary declarations: the monthly job's for a
    month, or one CEB701 汇总申请单's. Records the keys and flags it grouped by."""

    class Trigger(models.TextChoices):
        MONTHLY = "monthly", _("monthly job")
        APPLY = "apply", _("summary request (CEB701)")

    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices)
    month = models.DateField(_("month"), help_text=_("First day of the month the lists were released in."))
    window_start = models.DateTimeField(_("released from"))
    window_end = models.DateTimeField(_("released before"))
    ebc_code = models.CharField(_("consignor (ebcCode)"), max_length=18, blank=True,
                                help_text=_("A summary request covers the lists of its consignor only."))
    invt_nos = ArrayField(models.CharField(max_length=30), verbose_name=_("requested list numbers"), default=list,
                          blank=True)
    apply = models.ForeignKey("filings.Declaration", verbose_name=_("summary request (CEB701)"), null=True,
                              blank=True, on_delete=models.PROTECT, related_name="+")
    apply_version = models.PositiveIntegerField(_("version of the request"), null=True, blank=True)
    summary_flag = models.CharField(_("summaryFlag"), max_length=1,
                                    help_text=_("1: by consignor only; 2: by consignor and owner."))
    item_name_flag = models.CharField(_("itemNameFlag"), max_length=1, blank=True,
                                      help_text=_("1: also by the list's original item name."))
    head_keys = models.JSONField(_("head keys"), default=list)
    line_keys = models.JSONField(_("line keys"), default=list)
    list_count = models.PositiveIntegerField(_("lists"), default=0)
    item_count = models.PositiveIntegerField(_("list lines"), default=0)
    summary_count = models.PositiveIntegerField(_("summaries"), default=0)
    seconds = models.FloatField(_("seconds"), default=0)
    created_at = models.DateTimeField(_("run at"), default=timezone.now)

    class Meta:
        verbose_name = _("summary run (汇总批次)")
        verbose_name_plural = _("summary runs (汇总批次)")
        constraints = [
            models.UniqueConstraint(fields=["apply", "apply_version"], condition=Q(apply__isnull=False),
                                    name="summaryrun_one_per_request"),
        ]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} {self.month:%Y-%m} #{self.pk}"


class Summary(models.Model):
    """One summary declaration (汇总申报单): the released lists of one consignor that share the
    head keys, in one month; the content of the CEB792 SummaryResultHead. Its enterprise sees it,
    confirms it, and downloads it as Excel or PDF."""

    class Status(models.TextChoices):
        GENERATED = "generated", _("generated (待确认)")
        CONFIRMED = "confirmed", _("confirmed (已确认)")

    run = models.ForeignKey(SummaryRun, verbose_name=_("run"), on_delete=models.PROTECT, related_name="summaries")
    organization = models.ForeignKey("accounts.Organization", verbose_name=_("consignor enterprise"),
                                     on_delete=models.PROTECT, related_name="+")
    parties = ArrayField(models.BigIntegerField(), verbose_name=_("organizations that may see it"), default=list)
    month = models.DateField(_("month"))
    group_key = models.CharField(_("group key"), max_length=1000)
    key_values = models.JSONField(_("head key values"), default=dict)
    guid = models.CharField(_("guid"), max_length=36, unique=True)
    sum_no = models.CharField(_("sumNo (汇总申请编号)"), max_length=18, unique=True)
    decl_seq_no = models.CharField(_("declSeqNo (汇总统一编号)"), max_length=18)
    entry_id = models.CharField(_("entryId (报关单编号)"), max_length=18, blank=True)
    customs_code = models.CharField(_("customsCode"), max_length=4, blank=True)
    ebc_code = models.CharField(_("ebcCode (收发货人)"), max_length=18)
    ebc_name = models.CharField(_("ebcName"), max_length=100, blank=True)
    owner_code = models.CharField(_("ownerCode (生产销售单位)"), max_length=18, blank=True)
    owner_name = models.CharField(_("ownerName"), max_length=100, blank=True)
    traf_mode = models.CharField(_("trafMode (运输方式)"), max_length=1, blank=True)
    country = models.CharField(_("country (运抵国)"), max_length=3, blank=True)
    port_code = models.CharField(_("portCode (出境关别)"), max_length=4, blank=True)
    agent_code = models.CharField(_("agentCode"), max_length=18, blank=True)
    agent_name = models.CharField(_("agentName"), max_length=100, blank=True)
    decl_agent_code = models.CharField(_("declAgentCode (报关单位)"), max_length=18, blank=True)
    decl_agent_name = models.CharField(_("declAgentName"), max_length=100, blank=True)
    gross_weight = models.DecimalField(_("gross weight (kg)"), max_digits=24, decimal_places=5, default=0)
    net_weight = models.DecimalField(_("net weight (kg)"), max_digits=24, decimal_places=5, default=0)
    list_count = models.PositiveIntegerField(_("lists"), default=0)
    item_count = models.PositiveIntegerField(_("list lines"), default=0)
    line_count = models.PositiveIntegerField(_("summary lines"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.GENERATED)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("generated at"), default=timezone.now)

    class Meta:
        verbose_name = _("summary declaration (汇总申报单)")
        verbose_name_plural = _("summary declarations (汇总申报单)")
        constraints = [
            models.UniqueConstraint(fields=["run", "group_key"], name="summary_unique_group_per_run"),
            models.CheckConstraint(
                condition=(Q(status="confirmed", confirmed_at__isnull=False)
                           | Q(status="generated", confirmed_at__isnull=True)),
                name="summary_confirmed_iff_time"),
        ]
        indexes = [
            models.Index(fields=["organization", "-month"], name="summary_org_month_idx"),
            GinIndex(fields=["parties"], name="summary_parties_gin"),
        ]

    def __str__(self) -> str:
        return self.sum_no


class SummaryLine(models.Model):
    """One line of a summary declaration: the list lines of its summary that share the line keys,
    their quantities and values added up."""

    # No database-level foreign keys on the three tables the runs fill in bulk (lines, mapping,
    # register): a per-row referential check (and its FOR KEY SHARE lock on the parent row) made
    # the mapping of a million lists several times slower, and the one statement that writes these
    # rows takes every parent id from the rows it just wrote or read. Declarations are never
    # deleted (the hub marks them deleted), summaries only through Django, which cascades. No
    # separate index on a foreign key that leads a composite index already.
    summary = models.ForeignKey(Summary, verbose_name=_("summary"), on_delete=models.CASCADE, related_name="lines",
                                db_constraint=False, db_index=False)  # indexed by (summary, gseqno)
    gseqno = models.PositiveIntegerField(_("gseqno (汇总序号)"))
    group_key = models.CharField(_("group key"), max_length=1000)
    key_values = models.JSONField(_("line key values"), default=dict)
    gcode = models.CharField(_("gcode"), max_length=10)
    gname = models.CharField(_("goods name"), max_length=300)
    item_name = models.CharField(_("item name (itemName)"), max_length=250, blank=True)
    country = models.CharField(_("country (最终目的国)"), max_length=3)
    currency = models.CharField(_("currency"), max_length=3)
    unit = models.CharField(_("unit"), max_length=3, blank=True)
    qty = models.DecimalField(_("quantity"), max_digits=28, decimal_places=5, default=0)
    unit1 = models.CharField(_("legal unit"), max_length=3, blank=True)
    qty1 = models.DecimalField(_("legal quantity"), max_digits=28, decimal_places=5, default=0)
    unit2 = models.CharField(_("second unit"), max_length=3, blank=True)
    qty2 = models.DecimalField(_("second quantity"), max_digits=28, decimal_places=5, null=True, blank=True)
    total_price = models.DecimalField(_("total price"), max_digits=28, decimal_places=5, default=0)
    item_count = models.PositiveIntegerField(_("list lines"), default=0)

    class Meta:
        verbose_name = _("summary line")
        verbose_name_plural = _("summary lines")
        constraints = [models.UniqueConstraint(fields=["summary", "gseqno"], name="summaryline_unique_gseqno")]

    def __str__(self) -> str:
        return f"{self.summary_id}/{self.gseqno}"


class SummaryItem(models.Model):
    """One list line and the summary line it went into (CEB792 SummaryResultList). A list line is
    in at most one summary: the unique (declaration, gnum) is what makes a second run skip it."""

    summary = models.ForeignKey(Summary, verbose_name=_("summary"), on_delete=models.CASCADE, related_name="items",
                                db_constraint=False, db_index=False)  # see SummaryLine.summary
    gseqno = models.PositiveIntegerField(_("gseqno (汇总序号)"))
    declaration = models.ForeignKey("filings.Declaration", verbose_name=_("inventory list"),
                                    on_delete=models.DO_NOTHING, related_name="+", db_constraint=False,
                                    db_index=False)  # indexed by (declaration, gnum)
    invt_no = models.CharField(_("invtNo"), max_length=30)
    logistics_no = models.CharField(_("logisticsNo"), max_length=60)
    gnum = models.PositiveIntegerField(_("gnum"))
    gcode = models.CharField(_("gcode"), max_length=10)

    class Meta:
        verbose_name = _("summarised list line")
        verbose_name_plural = _("summarised list lines")
        constraints = [models.UniqueConstraint(fields=["declaration", "gnum"], name="summaryitem_line_once")]
        # A run writes its mapping rows in summary order, so a summary's rows sit together and a
        # BRIN index finds them; a B-tree here cost a million-list month seconds of random inserts.
        indexes = [BrinIndex(fields=["summary"], pages_per_range=16, name="summaryitem_summary_brin")]

    def __str__(self) -> str:
        return f"{self.invt_no}/{self.gnum} → {self.gseqno}"


class ExemptionRecord(models.Model):
    """The 无票免税 register (无票免税登记): the six fields of one exported item — export date, goods
    name, unit, quantity, unit price and amount — that 财税〔2018〕103号 requires a zone exporter
    without purchase invoices to record on the zone's online platform. One row per released export
    list line; the tax office queries and exports it."""

    # Foreign keys without database constraints: see SummaryLine.summary.
    organization = models.ForeignKey("accounts.Organization", verbose_name=_("exporter"),
                                     on_delete=models.DO_NOTHING, related_name="+", db_constraint=False,
                                     db_index=False)  # indexed by (organization, export_date)
    ebc_code = models.CharField(_("ebcCode"), max_length=18)
    ebc_name = models.CharField(_("ebcName"), max_length=100, blank=True)
    declaration = models.ForeignKey("filings.Declaration", verbose_name=_("inventory list"),
                                    on_delete=models.DO_NOTHING, related_name="+", db_constraint=False,
                                    db_index=False)  # indexed by (declaration, gnum)
    invt_no = models.CharField(_("invtNo"), max_length=30)
    gnum = models.PositiveIntegerField(_("gnum"))
    export_date = models.DateField(_("export date (出口日期)"))
    goods_name = models.CharField(_("goods name (货物名称)"), max_length=250)
    unit = models.CharField(_("unit (计量单位)"), max_length=3)
    quantity = models.DecimalField(_("quantity (数量)"), max_digits=24, decimal_places=5)
    unit_price = models.DecimalField(_("unit price (单价)"), max_digits=24, decimal_places=5)
    amount = models.DecimalField(_("amount (金额)"), max_digits=24, decimal_places=5)
    currency = models.CharField(_("currency"), max_length=3)
    gcode = models.CharField(_("gcode"), max_length=10)
    statistics_flag = models.CharField(_("statisticsFlag"), max_length=1)
    trade_mode = models.CharField(_("tradeMode"), max_length=4)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("exemption without invoice record (无票免税登记)")
        verbose_name_plural = _("exemption without invoice register (无票免税登记)")
        constraints = [models.UniqueConstraint(fields=["declaration", "gnum"], name="exemption_line_once")]
        indexes = [
            models.Index(fields=["export_date"], name="exemption_date_idx"),
            models.Index(fields=["organization", "export_date"], name="exemption_org_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.invt_no}/{self.gnum}"
