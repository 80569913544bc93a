"""Factories for the reconciliation (三单比对) models: plain rows for tests that need a result, a
batch or a queue entry without declaring documents and running the reconciler (the flow tests
declare through the hub and drain the queue instead)."""

from __future__ import annotations

import factory
from django.utils import timezone

from filings.reconciliation.models import (
    ReconciliationBatch,
    ReconciliationResult,
    ReconciliationResultChange,
    ReconciliationSweepState,
    ReconciliationWork,
)
from tests.filings.factories import DeclarationFactory


class ReconciliationWorkFactory(factory.django.DjangoModelFactory):
    """An import order key waiting in the work queue, not yet claimed."""

    class Meta:
        model = ReconciliationWork

    direction = "I"
    order_no = factory.Sequence(lambda n: f"ORD-W{n:06d}")


class ReconciliationBatchFactory(factory.django.DjangoModelFactory):
    """A committed pass of the reconciler over one order key of the queue."""

    class Meta:
        model = ReconciliationBatch

    token = factory.Sequence(lambda n: f"test-batch-{n:08d}")
    source = ReconciliationBatch.Source.QUEUE
    worker = "celery@test"
    finished_at = factory.LazyFunction(timezone.now)
    keys = 1
    results = 1
    changed = 1


class ReconciliationResultFactory(factory.django.DjangoModelFactory):
    """An import set whose order is declared and whose payment and waybill are still awaited
    (pending); pass ``status``, ``codes``, ``failures`` and ``missing`` for another outcome."""

    class Meta:
        model = ReconciliationResult

    direction = "I"
    order = factory.SubFactory(DeclarationFactory)
    order_no = factory.LazyAttribute(lambda o: o.order.order_no)
    ebp_code = factory.LazyAttribute(lambda o: o.order.ebp_code)
    status = ReconciliationResult.Status.PENDING
    missing = factory.LazyFunction(lambda: ["payment", "waybill"])
    since = factory.LazyAttribute(lambda o: o.order.declared_at)
    parties = factory.LazyAttribute(lambda o: list(o.order.parties))
    batch = factory.SubFactory(ReconciliationBatchFactory)


class ReconciliationResultChangeFactory(factory.django.DjangoModelFactory):
    """The first entry of a result's history, written by the batch that created it."""

    class Meta:
        model = ReconciliationResultChange

    result = factory.SubFactory(ReconciliationResultFactory)
    batch = factory.LazyAttribute(lambda o: o.result.batch)
    status = factory.LazyAttribute(lambda o: o.result.status)
    codes = factory.LazyAttribute(lambda o: list(o.result.codes))
    missing = factory.LazyAttribute(lambda o: list(o.result.missing))


class ReconciliationSweepStateFactory(factory.django.DjangoModelFactory):
    """Where the sweep's scan stands after two sweeps (one row in a real database)."""

    class Meta:
        model = ReconciliationSweepState

    safe_from = 100
    scanned_to = 200
    swept_at = factory.LazyFunction(timezone.now)
