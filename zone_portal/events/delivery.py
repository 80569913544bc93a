"""Sending webhook deliveries: claim a batch, POST each event signed, record the answer, retry with
exponential backoff until the retry window ends, and disable an endpoint that keeps failing.

Called by the thin tasks of ``tasks.py``; the functions return what the task must enqueue next
(a batch to retry later), so this module never imports Celery. Celery delivers a task at least
once and tasks are ``acks_late``: every step is safe to repeat. A batch is claimed with one
conditional ``UPDATE``, each result is written only under the claim's token, and a duplicate task
finds nothing left to claim.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zone_portal.accounts.notifications import notify
from zone_portal.audit.services import audit_record

from . import signing
from .addresses import host_resolves_to_public
from .models import Event, WebhookDelivery, WebhookEndpoint
from .selectors import event_envelope

logger = logging.getLogger("zone_portal.events")

# A batch stops trying after this many failures in a row: the rest wait with the same backoff
# instead of each costing a timeout against an endpoint that is down.
BATCH_FAILURES_BEFORE_PAUSE = 3
# Clocks of workers differ a little; a task arriving on time must find its delivery due.
CLAIM_SLACK = timedelta(seconds=2)
# Overdue by this much and still waiting: its task was lost (worker crash, broker restart,
# enqueue failure after the commit), so the sweeper sends it again.
SWEEP_GRACE_SECONDS = 120
SWEEP_LIMIT = 20_000
RESPONSE_READ_LIMIT = 64 * 1024
# Stored technical errors stay in English, like the HTTP statuses beside them.
RETRY_WINDOW_ENDED = "The retry window ended before the delivery succeeded."
NOT_PUBLIC = "The URL does not resolve to a public address; deliveries there are not allowed."

S = WebhookDelivery.Status


@dataclass
class Claimed:
    id: int
    event_id: int
    attempts: int
    retry_until: datetime


@dataclass
class BatchOutcome:
    """What one batch did, and what its task must enqueue next (``{countdown_seconds: ids}``)."""

    succeeded: int = 0
    failed_attempts: int = 0
    gave_up: int = 0
    endpoint_disabled: bool = False
    retry_later: dict[float, list[int]] = field(default_factory=dict)


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: base × 2^(attempts − 1), capped
    (below Redis's visibility timeout, so that a waiting task is not handed to a second worker)."""
    base = float(settings.WEBHOOK_RETRY_BASE_DELAY)
    return float(min(settings.WEBHOOK_RETRY_MAX_DELAY, base * 2 ** max(0, attempts - 1)))


def batches(ids: list[int], size: int | None = None) -> list[list[int]]:
    size = size or settings.WEBHOOK_BATCH_SIZE
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def _lease_seconds() -> int:
    return int(settings.CELERY_TASK_TIME_LIMIT) + 60


def _claim(endpoint_id: int, delivery_ids: list[int], token: uuid.UUID, now: datetime) -> list[Claimed]:
    """Take the deliveries of the batch that are due (or whose previous claim ran out)."""
    table = WebhookDelivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, claim_token = %s, next_attempt_at = %s "  # noqa: S608
            "WHERE id = ANY(%s) AND endpoint_id = %s AND status IN (%s, %s) AND next_attempt_at <= %s "
            "RETURNING id, event_id, attempts, retry_until",
            [S.SENDING, token, now + timedelta(seconds=_lease_seconds()), list(delivery_ids), endpoint_id,
             S.PENDING, S.SENDING, now + CLAIM_SLACK],
        )
        rows = cursor.fetchall()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


def _body(event: Event) -> bytes:
    return json.dumps(event_envelope(event), cls=DjangoJSONEncoder, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def _post(session: requests.Session, *, url: str, secret: str, event: Event, delivery_id: int
          ) -> tuple[bool, int | None, str]:
    """One signed POST; ``(succeeded, HTTP status, error)``. Redirects are not followed: the
    registered URL is the only destination."""
    body = _body(event)
    headers = signing.headers(secret=secret, event_id=event.pk, event_type=event.event_type,
                              delivery_id=delivery_id, timestamp=int(time.time()), body=body)
    timeout = float(settings.WEBHOOK_TIMEOUT)
    try:
        response = session.post(url, data=body, headers=headers, timeout=(timeout, timeout),
                                allow_redirects=False, stream=True)
        try:
            response.raw.read(RESPONSE_READ_LIMIT)  # read a little, so the connection can be reused
        finally:
            response.close()
    except requests.RequestException as exc:
        return False, None, f"{type(exc).__name__}: {exc}"[:500]
    code = response.status_code
    if 200 <= code < 300:
        return True, code, ""
    if 300 <= code < 400:
        return False, code, f"HTTP {code}: redirects are not followed; register the final URL"
    return False, code, f"HTTP {code}"


def _record_success(claim: Claimed, token: uuid.UUID, status_code: int | None, now: datetime) -> bool:
    return WebhookDelivery.objects.filter(pk=claim.id, claim_token=token).update(
        status=S.SUCCEEDED, attempts=F("attempts") + 1, last_attempt_at=now, delivered_at=now,
        response_status=status_code, last_error="", claim_token=None, next_attempt_at=now,
    ) == 1


def _record_failure(claim: Claimed, token: uuid.UUID, status_code: int | None, error: str, now: datetime,
                    outcome: BatchOutcome) -> bool:
    attempts = claim.attempts + 1
    delay = retry_delay(attempts)
    next_at = now + timedelta(seconds=delay)
    gives_up = next_at > claim.retry_until
    changes = {"attempts": F("attempts") + 1, "last_attempt_at": now, "response_status": status_code,
               "last_error": error[:500], "claim_token": None}
    if gives_up:
        changes |= {"status": S.FAILED, "next_attempt_at": now}
    else:
        changes |= {"status": S.PENDING, "next_attempt_at": next_at}
    if WebhookDelivery.objects.filter(pk=claim.id, claim_token=token).update(**changes) != 1:
        return False  # the claim ran out and another worker took the delivery over
    outcome.failed_attempts += 1
    if gives_up:
        outcome.gave_up += 1
    else:
        outcome.retry_later.setdefault(delay, []).append(claim.id)
    return True


def _release(claims: list[Claimed], token: uuid.UUID, delay: float, outcome: BatchOutcome) -> None:
    """Give untried deliveries back, due after ``delay`` seconds, without counting an attempt."""
    if not claims:
        return
    ids = [c.id for c in claims]
    released = WebhookDelivery.objects.filter(pk__in=ids, claim_token=token).update(
        status=S.PENDING, claim_token=None, next_attempt_at=timezone.now() + timedelta(seconds=delay))
    if released:
        outcome.retry_later.setdefault(delay, []).extend(ids)


def webhook_deliveries_send(*, endpoint_id: int, delivery_ids: list[int]) -> BatchOutcome:
    """Send one batch of deliveries of one endpoint, in event order.

    A 2xx answer is a success; anything else (an error status, a redirect, a timeout, a refused
    connection) is a failed attempt, retried after an exponentially growing delay while the
    delivery's retry window lasts and marked failed after it. A paused (disabled) endpoint's
    deliveries are left waiting for its re-enabling.
    """
    outcome = BatchOutcome()
    endpoint = WebhookEndpoint.objects.select_related("organization").filter(pk=endpoint_id).first()
    if endpoint is None or not endpoint.is_active or not delivery_ids:
        return outcome
    token = uuid.uuid4()
    claims = _claim(endpoint.pk, delivery_ids, token, timezone.now())
    if not claims:
        return outcome
    events = Event.objects.in_bulk([c.event_id for c in claims])
    parts = urlsplit(endpoint.url)
    destination_ok = host_resolves_to_public(parts.hostname or "", parts.port)
    secret = endpoint.secret
    budget = float(settings.CELERY_TASK_SOFT_TIME_LIMIT) / 2
    started = time.monotonic()
    results: list[tuple[datetime, bool]] = []
    failures_in_row = 0
    last_delay = 0.0
    with requests.Session() as session:
        for index, claim in enumerate(claims):
            if failures_in_row >= BATCH_FAILURES_BEFORE_PAUSE:
                _release(claims[index:], token, last_delay, outcome)
                break
            if time.monotonic() - started > budget:
                _release(claims[index:], token, 0.0, outcome)
                break
            event = events.get(claim.event_id)
            if event is None:
                continue  # events are never deleted; nothing sensible to send
            if destination_ok:
                ok, status_code, error = _post(session, url=endpoint.url, secret=secret, event=event,
                                               delivery_id=claim.id)
            else:
                ok, status_code, error = False, None, NOT_PUBLIC
            now = timezone.now()
            if ok:
                if _record_success(claim, token, status_code, now):
                    outcome.succeeded += 1
                    results.append((now, True))
                failures_in_row = 0
            else:
                if _record_failure(claim, token, status_code, error, now, outcome):
                    results.append((now, False))
                failures_in_row += 1
                last_delay = retry_delay(claim.attempts + 1)
                logger.info("webhook delivery %s (event %s, endpoint %s) failed: %s", claim.id, claim.event_id,
                            endpoint.pk, error[:200])
    _update_endpoint_health(endpoint, results)
    if results and not results[-1][1]:
        outcome.endpoint_disabled = webhook_endpoint_disable_if_failing(endpoint=endpoint)
    return outcome


def _update_endpoint_health(endpoint: WebhookEndpoint, results: list[tuple[datetime, bool]]) -> None:
    """Keep the endpoint's run of failures: reset by a success, extended by failures. Concurrent
    batches of one endpoint may interleave, so the count is approximate; it is a health signal."""
    if not results:
        return
    successes = [i for i, (_when, ok) in enumerate(results) if ok]
    qs = WebhookEndpoint.objects.filter(pk=endpoint.pk)
    if successes:
        trailing = results[successes[-1] + 1:]
        qs.update(consecutive_failures=len(trailing), failing_since=trailing[0][0] if trailing else None,
                  last_success_at=results[successes[-1]][0])
    else:
        first_failure = results[0][0]
        qs.filter(failing_since__isnull=True).update(failing_since=first_failure)
        qs.update(consecutive_failures=F("consecutive_failures") + len(results))


@transaction.atomic
def webhook_endpoint_disable_if_failing(*, endpoint: WebhookEndpoint) -> bool:
    """Disable an endpoint that has failed at least ``WEBHOOK_DISABLE_AFTER_FAILURES`` times in a
    row for at least ``WEBHOOK_DISABLE_WINDOW`` seconds, and tell its organization. Its waiting
    deliveries pause until it is re-enabled; the event feed keeps every event meanwhile."""
    now = timezone.now()
    window = timedelta(seconds=int(settings.WEBHOOK_DISABLE_WINDOW))
    disabled = WebhookEndpoint.objects.filter(
        pk=endpoint.pk, status=WebhookEndpoint.Status.ACTIVE,
        consecutive_failures__gte=int(settings.WEBHOOK_DISABLE_AFTER_FAILURES), failing_since__lte=now - window,
    ).update(status=WebhookEndpoint.Status.DISABLED, disabled_cause=WebhookEndpoint.DisabledCause.FAILING,
             disabled_at=now)
    if not disabled:
        return False
    endpoint.refresh_from_db()
    audit_record(actor=None, action="events.webhookendpoint.disable", target=endpoint,
                 organization_id=endpoint.organization_id,
                 changes={"status": [WebhookEndpoint.Status.ACTIVE, WebhookEndpoint.Status.DISABLED]},
                 extra={"cause": WebhookEndpoint.DisabledCause.FAILING,
                        "consecutive_failures": endpoint.consecutive_failures,
                        "failing_since": endpoint.failing_since.isoformat() if endpoint.failing_since else None})
    notify(organization=endpoint.organization, verb="events.webhookendpoint.disable",
           title=_("A webhook endpoint was disabled"),
           body=_("Deliveries to %(url)s failed %(n)d times in a row since %(since)s, so the platform stopped "
                  "sending to it. Fix the receiving system, then re-enable the endpoint; waiting deliveries are "
                  "sent again and the event feed holds every event meanwhile.")
           % {"url": endpoint.url, "n": endpoint.consecutive_failures,
              "since": timezone.localtime(endpoint.failing_since).strftime("%Y-%m-%d %H:%M")
              if endpoint.failing_since else "—"},
           url=reverse("events:webhook_detail", args=[endpoint.pk]))
    logger.warning("webhook endpoint %s disabled after %s failures in a row", endpoint.pk,
                   endpoint.consecutive_failures)
    return True


def webhook_deliveries_sweep(*, endpoint_id: int | None = None, grace_seconds: int = SWEEP_GRACE_SECONDS,
                             limit: int = SWEEP_LIMIT) -> list[tuple[int, list[int]]]:
    """Settle what no task will settle, and find work whose task was lost.

    Deliveries still waiting after their retry window (those of a disabled endpoint, or of a lost
    task) are marked failed. Deliveries of active endpoints overdue by ``grace_seconds`` (waiting,
    or claimed by a worker whose lease ran out) are returned as ``(endpoint_id, ids)`` batches for
    the caller to enqueue, at most ``limit`` per run.
    """
    now = timezone.now()
    expired = WebhookDelivery.objects.filter(status=S.PENDING, retry_until__lt=now)
    if endpoint_id is not None:
        expired = expired.filter(endpoint_id=endpoint_id)
    expired_ids = list(expired.order_by("id").values_list("id", flat=True)[:limit])
    if expired_ids:
        WebhookDelivery.objects.filter(pk__in=expired_ids, status=S.PENDING).update(
            status=S.FAILED, claim_token=None, last_error=RETRY_WINDOW_ENDED)
    due = WebhookDelivery.objects.filter(
        status__in=[S.PENDING, S.SENDING], next_attempt_at__lte=now - timedelta(seconds=grace_seconds),
        endpoint__status=WebhookEndpoint.Status.ACTIVE,
    )
    if endpoint_id is not None:
        due = due.filter(endpoint_id=endpoint_id)
    by_endpoint: dict[int, list[int]] = {}
    for ep_id, delivery_id in due.order_by("id").values_list("endpoint_id", "id")[:limit]:
        by_endpoint.setdefault(ep_id, []).append(delivery_id)
    return [(ep_id, batch) for ep_id, ids in by_endpoint.items() for batch in batches(ids)]
