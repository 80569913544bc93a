"""Celery tasks of the reconciliation (三单比对). Thin: one domain call each.

``reconciliation_drain`` works the queue in bounded batches for at most ``RECONCILIATION_DRAIN_BUDGET``
seconds, then sends itself again if work remains; a second copy finds nothing to claim that is
not its own. ``reconciliation_sweep`` is periodic (CELERY_BEAT_SCHEDULE, every 5 minutes by
default). Both are ``acks_late``: a worker that dies leaves the message to be redelivered, and
its claimed rows to the sweep.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from . import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
             time_limit=settings.CELERY_TASK_TIME_LIMIT)
def reconciliation_drain() -> dict:
    """Reconcile the queued order keys, batch by batch."""
    cache.delete(services.KICK_KEY)  # from here on, new work kicks a new task
    budget = float(getattr(settings, "RECONCILIATION_DRAIN_BUDGET", 60))
    done, more = services.work_drain(budget_s=budget)
    if more:
        reconciliation_drain.delay()
    return {"keys": done, "more": more}


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=240, time_limit=270)
def reconciliation_sweep() -> dict:
    """Release stale claims, queue what was missed and what is overdue, kick a drain."""
    outcome = services.reconciliation_sweep()
    return {"released": outcome.released, "missed": outcome.missed, "overdue": outcome.overdue}


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
             time_limit=settings.CELERY_TASK_TIME_LIMIT)
def reconciliation_backfill_range(*, lo: str, hi: str | None) -> dict:
    """Reconcile every set of one range of order numbers (safe to repeat)."""
    outcome = services.reconcile_backfill(lo=lo, hi=hi)
    return {"results": outcome.results, "changed": len(outcome.changed_ids)}


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=150)
def reconciliation_backfill() -> int:
    """Fan out the whole hub in ranges of about ``RECONCILIATION_BATCH_SIZE`` orders, one task each."""
    ranges = services.order_no_ranges()
    for lo, hi in ranges:
        reconciliation_backfill_range.delay(lo=lo, hi=hi)
    return len(ranges)
