"""Celery tasks of clearance. Thin: a bounded batch of ids in, one service call.

Every step is safe to repeat (``acks_late``: a worker that dies mid-batch leaves the message to be
redelivered): the services lock the lists and act only on those still in the state they expect, so
a second copy of a task finds nothing to do. A lost message is caught by ``clearance_sweep``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from filings.hub.ingest import STATUS_ACCEPTED
from filings.hub.spec import DocType
from filings.models import Declaration

from . import services
from .models import State

logger = logging.getLogger("filings.clearance")

DEFAULT_BATCH_SIZE = 500
DEFAULT_SWEEP_AFTER_SECONDS = 300


def batch_size() -> int:
    return int(getattr(settings, "CLEARANCE_BATCH_SIZE", DEFAULT_BATCH_SIZE))


def chunks(ids, size: int | None = None) -> list[list[int]]:
    ids = sorted({int(i) for i in ids})
    size = size or batch_size()
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def enqueue(task, ids) -> None:
    """One task per bounded batch. Called after the commit: a broker error is logged, not raised —
    the lists wait in their state and the sweep picks them up."""
    for batch in chunks(ids):
        try:
            task.delay(batch)
        except Exception:  # any broker error: the sweep is the fallback
            logger.exception("could not enqueue %s for %d ids; the sweep will pick them up", task.name, len(batch))
            return


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=5, soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
             time_limit=settings.CELERY_TASK_TIME_LIMIT)
def clearance_lists_clear(declaration_ids: list[int]) -> dict:
    """Quota, tax and the release decision for reconciled lists."""
    return {state: len(ids) for state, ids in services.lists_clear(declaration_ids=declaration_ids).items()}


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=5, soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
             time_limit=settings.CELERY_TASK_TIME_LIMIT)
def clearance_documents_process(declaration_ids: list[int]) -> dict:
    """Cancellations, returns and departures declared."""
    return services.documents_process(declaration_ids=declaration_ids)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=150)
def clearance_sweep() -> dict:
    """Enqueue what a lost message left behind: lists reconciled, and cancellations, returns and
    departures declared, more than ``CLEARANCE_SWEEP_AFTER_SECONDS`` ago (at most ten batches a run)."""
    before = timezone.now() - timedelta(seconds=int(getattr(settings, "CLEARANCE_SWEEP_AFTER_SECONDS",
                                                            DEFAULT_SWEEP_AFTER_SECONDS)))
    limit = batch_size() * 10
    lists = list(Declaration.objects.filter(doc_type=DocType.INVENTORY, list_state=State.RECONCILED, deleted=False,
                                            updated_at__lt=before).order_by("pk").values_list("pk", flat=True)[:limit])
    docs = list(Declaration.objects.filter(doc_type__in=(DocType.CANCEL, DocType.REFUND), app_status="2",
                                           deleted=False, return_status=STATUS_ACCEPTED, updated_at__lt=before)
                .order_by("pk").values_list("pk", flat=True)[:limit])
    enqueue(clearance_lists_clear, lists)
    enqueue(clearance_documents_process, docs)
    return {"lists": len(lists), "documents": len(docs)}
