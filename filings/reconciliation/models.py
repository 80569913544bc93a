"""Models of the three-document reconciliation (三单比对).

A trade is reconciled as a *set*: the order, the payment (import CEB411) or receipt (export
CEB403), the waybill and, once declared, the inventory list of one order number (customs.md
§1.4). ``ReconciliationResult`` is the answer for one set, ``ReconciliationResultChange`` its
history, ``ReconciliationWork`` the queue of order keys whose documents changed, and
``ReconciliationBatch`` one committed pass of the reconciler over a bounded set of keys.

The hot tables carry as few indexes as the reads need: every index costs ingest speed
(DESIGN.md §7). References to declarations are plain columns without a database constraint —
declarations are never deleted (the hub marks them ``deleted``) — so a batch of a hundred
thousand results does not pay four foreign-key look-ups a row.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReconciliationWork(models.Model):
    """An order key (direction + orderNo) whose documents changed and must be reconciled again.

    One row per key: enqueueing a key that is already waiting does nothing, and enqueueing one
    that a worker has claimed but not yet locked releases the claim, so the newest documents are
    always reconciled. A worker claims rows (``claimed_by``/``claimed_at``, committed), then in one
    transaction locks the rows it still owns, writes the results and deletes them; a claim older
    than ``RECONCILIATION_CLAIM_TIMEOUT`` belongs to a dead worker and the sweep releases it.
    """

    direction = models.CharField(_("direction"), max_length=1)
    order_no = models.CharField(_("orderNo"), max_length=60)
    enqueued_at = models.DateTimeField(_("enqueued at"), default=timezone.now)
    claimed_by = models.CharField(_("claimed by"), max_length=100, null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reconciliation work item")
        verbose_name_plural = _("reconciliation work queue")
        constraints = [models.UniqueConstraint(fields=["order_no", "direction"], name="reconciliation_work_key")]

    def __str__(self) -> str:
        return f"{self.direction}:{self.order_no}"


class ReconciliationBatch(models.Model):
    """One committed pass of the reconciler: which worker, over what, how many sets."""

    class Source(models.TextChoices):
        QUEUE = "queue", _("work queue")
        RANGE = "range", _("range (back-fill)")
        SWEEP = "sweep", _("sweep (incomplete marking)")

    token = models.CharField(_("claim token"), max_length=100, unique=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    worker = models.CharField(_("worker"), max_length=200, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    finished_at = models.DateTimeField(_("committed at"), null=True, blank=True)
    keys = models.PositiveIntegerField(_("order keys"), default=0)
    results = models.PositiveIntegerField(_("results written"), default=0)
    changed = models.PositiveIntegerField(_("results changed"), default=0)

    class Meta:
        verbose_name = _("reconciliation batch")
        verbose_name_plural = _("reconciliation batches")

    def __str__(self) -> str:
        return f"{self.source} {self.token}"


class ReconciliationResult(models.Model):
    """The reconciliation (三单比对) of one order: matched, mismatched with every failing rule,
    or waiting for documents (pending, then incomplete after ``RECONCILIATION_INCOMPLETE_AFTER``).

    Keyed by direction, orderNo and ebpCode (a waybill declared before its order has no ebpCode:
    its set waits under a blank ebpCode until the order arrives). ``failures`` holds, per failed
    rule, the stable code (``filings.hub.rules``), the field, the document and the two values —
    personal values only masked. ``parties`` are the organizations of the set's documents (their
    declarants and the enterprises they name): they, and customs, may see the result.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for documents")
        INCOMPLETE = "incomplete", _("incomplete")
        MATCHED = "matched", _("matched")
        MISMATCHED = "mismatched", _("mismatched")

    direction = models.CharField(_("direction"), max_length=1)
    order_no = models.CharField(_("orderNo"), max_length=60)
    ebp_code = models.CharField(_("ebpCode"), max_length=18, blank=True)
    order = models.ForeignKey("filings.Declaration", verbose_name=_("order"), null=True, blank=True,
                              on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    payment = models.ForeignKey("filings.Declaration", verbose_name=_("payment / receipt"), null=True, blank=True,
                                on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    waybill = models.ForeignKey("filings.Declaration", verbose_name=_("waybill"), null=True, blank=True,
                                on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    inventory = models.ForeignKey("filings.Declaration", verbose_name=_("inventory list"), null=True, blank=True,
                                  on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
                                  related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    codes = ArrayField(models.IntegerField(), verbose_name=_("failed rules"), default=list, blank=True)
    failures = models.JSONField(_("failures"), default=list, blank=True)
    missing = ArrayField(models.CharField(max_length=20), verbose_name=_("missing documents"), default=list,
                         blank=True)
    since = models.DateTimeField(_("first document declared at"), null=True, blank=True)
    parties = ArrayField(models.BigIntegerField(), verbose_name=_("organizations that may see it"), default=list)
    evaluations = models.PositiveIntegerField(_("evaluations"), default=1)
    batch = models.ForeignKey(ReconciliationBatch, verbose_name=_("last batch"), null=True, blank=True,
                              on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    created_at = models.DateTimeField(_("first reconciled at"), default=timezone.now)
    reconciled_at = models.DateTimeField(_("last reconciled at"), default=timezone.now)
    changed_at = models.DateTimeField(_("result changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("reconciliation result (三单比对结果)")
        verbose_name_plural = _("reconciliation results (三单比对结果)")
        constraints = [
            models.UniqueConstraint(fields=["order_no", "direction", "ebp_code"], name="reconciliation_result_key"),
            models.CheckConstraint(condition=Q(direction__in=["I", "E"]), name="reconciliation_result_direction"),
        ]
        indexes = [
            GinIndex(fields=["parties"], name="reconciliation_parties_gin"),
            # the sweep's incomplete marking and customs' queue: small partial indexes
            models.Index(fields=["since"], name="reconciliation_pending_idx", condition=Q(status="pending")),
            models.Index(fields=["-changed_at"], name="reconciliation_open_idx",
                         condition=Q(status__in=["mismatched", "incomplete"])),
        ]

    def __str__(self) -> str:
        return f"{self.direction}:{self.ebp_code}:{self.order_no} {self.status}"


class ReconciliationResultChange(models.Model):
    """The history of a result: one row each time its status, failures or documents changed."""

    result = models.ForeignKey(ReconciliationResult, verbose_name=_("result"), on_delete=models.CASCADE,
                               db_constraint=False, related_name="changes")
    batch = models.ForeignKey(ReconciliationBatch, verbose_name=_("batch"), null=True, blank=True,
                              on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=ReconciliationResult.Status.choices)
    codes = ArrayField(models.IntegerField(), verbose_name=_("failed rules"), default=list, blank=True)
    missing = ArrayField(models.CharField(max_length=20), verbose_name=_("missing documents"), default=list,
                         blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("reconciliation result change")
        verbose_name_plural = _("reconciliation result changes")

    def __str__(self) -> str:
        return f"{self.result_id} {self.status} @ {self.at:%Y-%m-%d %H:%M:%S}"


class ReconciliationSweepState(models.Model):
    """Where the sweep's scan of new declarations stands (one row).

    Each sweep scans the declaration ids above ``safe_from`` up to the newest id, then moves
    ``safe_from`` to where the previous sweep stopped: ids are taken in one order and committed in
    another, so every id is looked at by two sweeps, giving a slow transaction one sweep period
    to commit before the scan passes it for good.
    """

    safe_from = models.BigIntegerField(_("scan from declaration id"), default=0)
    scanned_to = models.BigIntegerField(_("scanned up to declaration id"), default=0)
    swept_at = models.DateTimeField(_("last sweep"), null=True, blank=True)

    class Meta:
        verbose_name = _("reconciliation sweep state")
        verbose_name_plural = _("reconciliation sweep state")

    def __str__(self) -> str:
        return f"({self.safe_from}, {self.scanned_to}]"
