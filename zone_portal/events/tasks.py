"""Celery tasks of the event mechanism. Thin: ids in, one domain call, enqueue what it returns.

Tasks are ``acks_late`` (a worker that dies mid-batch leaves the message to be redelivered) and
every step is safe to repeat: deliveries are claimed with a conditional UPDATE, so a second copy
of a task finds nothing to claim. ``webhook_deliveries_sweep`` runs every minute (see
``CELERY_BEAT_SCHEDULE``) and re-sends whatever a lost task left behind.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from . import delivery

logger = logging.getLogger("zone_portal.events")


def enqueue_batches(batches: list[tuple[int, list[int]]], *, countdown: float = 0) -> None:
    """Send one task per (endpoint, batch). Called after the commit: if the broker is unreachable
    the deliveries stay waiting in the database and the sweeper sends them, so the error is
    logged, never raised into the request whose data has already committed."""
    for endpoint_id, delivery_ids in batches:
        try:
            webhook_deliveries_send.apply_async(kwargs={"endpoint_id": endpoint_id, "delivery_ids": delivery_ids},
                                                countdown=countdown or None)
        except Exception:  # any broker error: the sweeper is the fallback
            logger.exception("could not enqueue webhook deliveries of endpoint %s; the sweeper will send them",
                             endpoint_id)
            return


def enqueue_resume(endpoint_id: int) -> None:
    """After an endpoint is re-enabled: send its deliveries still within their retry window now
    (the minute sweep would find them too; this saves the wait)."""
    try:
        webhook_deliveries_sweep.delay(endpoint_id=endpoint_id, grace_seconds=0)
    except Exception:  # any broker error: the sweeper is the fallback
        logger.exception("could not enqueue the resumption of webhook endpoint %s", endpoint_id)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
             time_limit=settings.CELERY_TASK_TIME_LIMIT)
def webhook_deliveries_send(*, endpoint_id: int, delivery_ids: list[int]) -> dict:
    """Send one batch of one endpoint's deliveries; enqueue the retries it asks for."""
    outcome = delivery.webhook_deliveries_send(endpoint_id=endpoint_id, delivery_ids=delivery_ids)
    for countdown, ids in outcome.retry_later.items():
        for batch in delivery.batches(ids):
            enqueue_batches([(endpoint_id, batch)], countdown=countdown)
    return {"succeeded": outcome.succeeded, "failed_attempts": outcome.failed_attempts,
            "gave_up": outcome.gave_up, "endpoint_disabled": outcome.endpoint_disabled}


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=150)
def webhook_deliveries_sweep(*, endpoint_id: int | None = None, grace_seconds: int | None = None) -> int:
    """Fail deliveries whose window ended; re-send overdue ones (all endpoints, or one that was
    just re-enabled). Returns how many deliveries were enqueued."""
    found = delivery.webhook_deliveries_sweep(
        endpoint_id=endpoint_id,
        grace_seconds=delivery.SWEEP_GRACE_SECONDS if grace_seconds is None else grace_seconds)
    enqueue_batches(found)
    return sum(len(ids) for _endpoint, ids in found)
