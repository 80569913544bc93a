"""Writes of the event mechanism: publishing events, and managing webhook endpoints.

Publishing is part of the caller's transaction (outbox pattern): the event rows commit or roll
back with the business change they report, and their webhook deliveries are enqueued only after
the commit. The bulk path (``publish_many``) writes with ``COPY``: the declaration hub publishes
one event per document at tens of thousands of documents a second.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zone_portal.accounts.models import ApiClient, Organization, User
from zone_portal.audit.services import audit_record, diff, snapshot
from zone_portal.core import pgcopy
from zone_portal.core.errors import ApplicationError, Conflict, PermissionDenied

from . import tasks
from .addresses import host_is_private_literal, private_networks_allowed
from .delivery import batches
from .models import Event, WebhookDelivery, WebhookEndpoint
from .types import EVENT_TYPES, unknown_types

SECRET_PREFIX = "whsec_"
MAX_ENDPOINTS_PER_ORGANIZATION = 10
URL_MAX_LENGTH = 500
# Audited fields of an endpoint: never the secret itself, only its fingerprint.
AUDITED_FIELDS = ["url", "description", "event_types", "status", "secret_fingerprint"]

EventSpec = tuple[str, Iterable[int], dict, str]


# --- errors -------------------------------------------------------------------------------------

class EventTypeUnknown(ApplicationError):
    code = "event_type_unknown"


class WebhookUrlInvalid(ApplicationError):
    code = "webhook_url_invalid"


class WebhookUrlNotHttps(WebhookUrlInvalid):
    code = "webhook_url_not_https"


class WebhookUrlNotPublic(WebhookUrlInvalid):
    code = "webhook_url_not_public"


# --- publishing -----------------------------------------------------------------------------------

def _json_default(value):
    if isinstance(value, (Decimal, Promise)):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _payload_json(payload: dict) -> str:
    return orjson.dumps(payload, default=_json_default, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")


EVENT_COLUMNS = ("organization_id", "event_type", "subject", "payload", "created_at")


def _copy_events(cursor, rows: list[tuple[int, str, str, str]], now) -> None:
    """Write the event rows: a few by one INSERT, many by COPY; ids and ``txid`` come from the
    column defaults."""
    quote = connection.ops.quote_name
    table, columns = quote(Event._meta.db_table), ", ".join(quote(c) for c in EVENT_COLUMNS)
    if len(rows) <= pgcopy.SMALL_ROWS:  # a few (a single declaration's): one INSERT, one round trip
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}",  # noqa: S608 (constant names)
                       [v for org, event_type, subject, payload in rows for v in (org, event_type, subject,
                                                                                   payload, now)])
        return
    pgcopy.copy_rows(cursor, table, EVENT_COLUMNS, ((org, event_type, subject, payload, now)
                                                   for org, event_type, subject, payload in rows))


def _id_floor(cursor, organization_ids: list[int]) -> int:
    """The highest id this transaction has already written for these organizations (0 if none).
    A session's ids only grow, so the rows the coming COPY writes are exactly this transaction's
    rows above it (whatever the sequence's cache, and whatever other sessions take meanwhile)."""
    cursor.execute(f"SELECT coalesce(max(id), 0) FROM {Event._meta.db_table} "  # noqa: S608
                   "WHERE organization_id = ANY(%s) AND txid = pg_current_xact_id()", [organization_ids])
    return cursor.fetchone()[0]


def _subscribed(organization_ids: set[int], event_types: set[str]) -> list[int]:
    """The active endpoints of these organizations subscribed to any of these types."""
    # raw SQL: called for every declared request, where compiling the ORM query cost more than it
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {WebhookEndpoint._meta.db_table} "  # noqa: S608 (a constant table)
                       "WHERE organization_id = ANY(%s) AND status = %s AND event_types && %s::varchar[]",
                       [sorted(organization_ids), WebhookEndpoint.Status.ACTIVE, sorted(event_types)])
        return [row[0] for row in cursor.fetchall()]


def _insert_deliveries(cursor, *, floor: int, organization_ids: list[int], endpoint_ids: list[int], now
                       ) -> list[tuple[int, int]]:
    """One set-based INSERT: a delivery for each event this call wrote (this transaction's rows
    above ``floor``) and each active endpoint of its organization subscribed to its type.
    Returns (delivery id, endpoint id) in event order."""
    delivery_table = WebhookDelivery._meta.db_table
    cursor.execute(
        f"""INSERT INTO {delivery_table} (endpoint_id, event_id, status, attempts, next_attempt_at, retry_until,
                last_error, manual_resends, created_at)
            SELECT w.id, e.id, %s, 0, %s, %s, '', 0, %s
            FROM {Event._meta.db_table} e
            JOIN {WebhookEndpoint._meta.db_table} w
              ON w.organization_id = e.organization_id AND e.event_type = ANY(w.event_types)
            WHERE e.organization_id = ANY(%s) AND e.txid = pg_current_xact_id() AND e.id > %s
              AND w.id = ANY(%s) AND w.status = %s
            ORDER BY e.id, w.id
            ON CONFLICT DO NOTHING
            RETURNING id, endpoint_id""",  # noqa: S608
        [WebhookDelivery.Status.PENDING, now, now + timedelta(seconds=int(settings.WEBHOOK_RETRY_WINDOW)), now,
         organization_ids, floor, endpoint_ids, WebhookEndpoint.Status.ACTIVE],
    )
    return sorted(cursor.fetchall())


@transaction.atomic(savepoint=False)  # inside the caller's transaction: no savepoint round trips
def _write(specs: list[tuple[str, list[int], str, str]], *, return_ids: bool, now=None) -> list[tuple[int, int]]:
    """Write events (one row per organization named) and their deliveries; enqueue the deliveries
    after the commit. ``specs``: (type, organization ids, payload JSON, subject). Returns
    (event id, organization id) of the rows written, in order, when ``return_ids``."""
    rows = [(org, event_type, subject, payload) for event_type, orgs, payload, subject in specs for org in orgs]
    if not rows:
        return []
    now = now or timezone.now()
    organization_ids = sorted({row[0] for row in rows})
    endpoint_ids = _subscribed(set(organization_ids), {row[1] for row in rows})
    with connection.cursor() as cursor:
        floor = _id_floor(cursor, organization_ids) if (endpoint_ids or return_ids) else 0
        _copy_events(cursor, rows, now)
        if endpoint_ids:
            created = _insert_deliveries(cursor, floor=floor, organization_ids=organization_ids,
                                         endpoint_ids=endpoint_ids, now=now)
            by_endpoint: dict[int, list[int]] = {}
            for delivery_id, endpoint_id in created:
                by_endpoint.setdefault(endpoint_id, []).append(delivery_id)
            work = [(endpoint_id, batch) for endpoint_id, ids in by_endpoint.items() for batch in batches(ids)]
            if work:
                transaction.on_commit(functools.partial(tasks.enqueue_batches, work))
        if not return_ids:
            return []
        cursor.execute(f"SELECT id, organization_id FROM {Event._meta.db_table} "  # noqa: S608
                       "WHERE organization_id = ANY(%s) AND txid = pg_current_xact_id() AND id > %s ORDER BY id",
                       [organization_ids, floor])
        return cursor.fetchall()


def _spec(event_type: str, organization_ids: Iterable[int], payload: dict, subject: str
          ) -> tuple[str, list[int], str, str]:
    if event_type not in EVENT_TYPES:
        raise EventTypeUnknown(_("Unknown event type: %(type)s") % {"type": event_type}, field="event_type")
    orgs = list(dict.fromkeys(int(o) for o in organization_ids))
    if not orgs:
        raise ValueError(f"an event of type {event_type} must name at least one organization")
    return event_type, orgs, _payload_json(payload or {}), (subject or "")[:200]


def publish(event_type: str, *, organization_ids: Iterable[int], payload: dict, subject: str = "") -> list[Event]:
    """Record one event for each organization named and deliver it to their webhooks.

    Call it inside the transaction of the change the event reports: the events commit with it
    (or not at all), and webhook deliveries are enqueued only after the commit. Returns one
    ``Event`` per organization, in the order given (duplicates dropped).
    """
    event_type, orgs, payload_json, subject = _spec(event_type, organization_ids, payload, subject)
    now = timezone.now()
    written = _write([(event_type, orgs, payload_json, subject)], return_ids=True, now=now)
    data = orjson.loads(payload_json)
    events = []
    for event_id, organization_id in written:
        event = Event(id=event_id, organization_id=organization_id, event_type=event_type, subject=subject,
                      payload=data, created_at=now)
        event._state.adding, event._state.db = False, "default"
        events.append(event)
    return events


def publish_many(events: list[EventSpec]) -> int:
    """The bulk form of :func:`publish` for ``(event_type, organization_ids, payload, subject)``
    tuples: one ``COPY`` of the events and one set-based ``INSERT … SELECT`` of their deliveries,
    whatever the number of events, then one delivery task per endpoint per batch of
    ``WEBHOOK_BATCH_SIZE`` after the commit. Returns how many event rows were written."""
    specs = [_spec(event_type, orgs, payload, subject) for event_type, orgs, payload, subject in events]
    _write(specs, return_ids=False)
    return sum(len(orgs) for _type, orgs, _payload, _subject in specs)


# --- webhook endpoints ------------------------------------------------------------------------------

def _is_owner(actor, organization_id: int) -> bool:
    """An API client of the organization, or its enterprise administrator."""
    if isinstance(actor, ApiClient):
        return actor.is_active and actor.organization_id == organization_id
    if not getattr(actor, "is_authenticated", False):
        return False
    return actor.organization_id == organization_id and actor.has_perm("events.manage_webhooks")


def _check_owner(actor, organization_id: int) -> None:
    if not _is_owner(actor, organization_id):
        raise PermissionDenied(_("Only an administrator of this enterprise may manage its webhook endpoints."))


def _check_owner_or_support(actor, organization_id: int) -> None:
    if _is_owner(actor, organization_id):
        return
    if isinstance(actor, User) and actor.has_perm("events.support_webhooks"):
        return
    raise PermissionDenied(_("You may not manage this webhook endpoint."))


def webhook_url_clean(url: str) -> str:
    """An HTTPS URL with a host, no credentials and no fragment; plain HTTP only where
    ``WEBHOOK_ALLOW_HTTP`` is on, private and loopback hosts only where
    ``WEBHOOK_ALLOW_PRIVATE_NETWORKS`` is on."""
    url = (url or "").strip()
    if not url:
        raise WebhookUrlInvalid(_("Give the URL that receives the events."), code="required", field="url")
    if len(url) > URL_MAX_LENGTH:
        raise WebhookUrlInvalid(_("The URL may be at most %(n)d characters long.") % {"n": URL_MAX_LENGTH},
                                field="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  raises ValueError for a bad port
    except ValueError:
        raise WebhookUrlInvalid(_("This is not a valid URL."), field="url") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        raise WebhookUrlInvalid(_("Give a full URL starting with https://."), field="url")
    if scheme == "http" and not settings.WEBHOOK_ALLOW_HTTP:
        raise WebhookUrlNotHttps(_("Webhook URLs must use HTTPS."), field="url")
    if parts.username or parts.password:
        raise WebhookUrlInvalid(_("Do not put a user name or password in the URL; every request is signed."),
                                field="url")
    if parts.fragment:
        raise WebhookUrlInvalid(_("The URL may not contain a fragment (#…)."), field="url")
    if not private_networks_allowed() and host_is_private_literal(parts.hostname):
        raise WebhookUrlNotPublic(_("The URL must point to a public internet address."), field="url")
    return url


def event_types_clean(event_types) -> list[str]:
    """The subscribed types: at least one, each from the registry, sorted and without duplicates."""
    if isinstance(event_types, str):
        event_types = [event_types]
    chosen = sorted(set(event_types or []))
    if not chosen:
        raise EventTypeUnknown(_("Choose at least one event type."), code="required", field="event_types")
    unknown = unknown_types(chosen)
    if unknown:
        raise EventTypeUnknown(_("Unknown event type: %(types)s") % {"types": ", ".join(map(str, unknown))},
                               field="event_types")
    return chosen


def _new_secret() -> tuple[str, str]:
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    return secret, hashlib.sha256(secret.encode("utf-8")).hexdigest()[:12]


def _audit(actor, verb: str, endpoint: WebhookEndpoint, changes=None, **extra) -> None:
    audit_record(actor=actor, action=f"events.webhookendpoint.{verb}", target=endpoint,
                 organization_id=endpoint.organization_id, changes=changes, extra=extra or None)


@transaction.atomic
def webhook_endpoint_create(*, actor, organization: Organization, url: str, event_types: list[str],
                            description: str = "") -> tuple[WebhookEndpoint, str]:
    """Register an endpoint of an enterprise for the chosen event types; return it with its
    signing secret, which is shown this once (it is kept encrypted to sign deliveries)."""
    _check_owner(actor, organization.pk)
    if not organization.is_enterprise:
        raise ApplicationError(_("Webhook endpoints belong to enterprises."), code="org_not_enterprise")
    url = webhook_url_clean(url)
    chosen = event_types_clean(event_types)
    # Serialise creations of one organization so the limit holds under concurrent requests.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    if WebhookEndpoint.objects.filter(organization=organization).count() >= MAX_ENDPOINTS_PER_ORGANIZATION:
        raise Conflict(_("An enterprise may register at most %(n)d webhook endpoints.")
                       % {"n": MAX_ENDPOINTS_PER_ORGANIZATION}, code="webhook_endpoint_limit")
    secret, fingerprint = _new_secret()
    endpoint = WebhookEndpoint.objects.create(
        organization=organization, url=url, event_types=chosen, description=(description or "").strip()[:200],
        secret=secret, secret_fingerprint=fingerprint, created_by=actor if isinstance(actor, User) else None,
    )
    _audit(actor, "create", endpoint, changes=diff({}, snapshot(endpoint, AUDITED_FIELDS)))
    return endpoint, secret


def _lock(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update().select_related("organization").get(pk=endpoint.pk)


@transaction.atomic
def webhook_endpoint_update(*, actor, endpoint: WebhookEndpoint, url: str | None = None,
                            event_types: list[str] | None = None, description: str | None = None) -> WebhookEndpoint:
    """Change an endpoint's URL, event types or description (what is ``None`` stays). The secret
    stays; deliveries already waiting go to the new URL."""
    endpoint = _lock(endpoint)
    _check_owner(actor, endpoint.organization_id)
    before = snapshot(endpoint, AUDITED_FIELDS)
    if url is not None:
        endpoint.url = webhook_url_clean(url)
    if event_types is not None:
        endpoint.event_types = event_types_clean(event_types)
    if description is not None:
        endpoint.description = description.strip()[:200]
    changes = diff(before, snapshot(endpoint, AUDITED_FIELDS))
    if changes:
        endpoint.save(update_fields=["url", "event_types", "description", "updated_at"])
        _audit(actor, "update", endpoint, changes=changes)
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(*, actor, endpoint: WebhookEndpoint) -> str:
    """Replace the signing secret at once and return the new one (shown this once). Deliveries
    from now on, retries included, are signed with it."""
    endpoint = _lock(endpoint)
    _check_owner(actor, endpoint.organization_id)
    secret, fingerprint = _new_secret()
    before = endpoint.secret_fingerprint
    endpoint.secret, endpoint.secret_fingerprint = secret, fingerprint
    endpoint.secret_rotated_at = timezone.now()
    endpoint.save(update_fields=["secret", "secret_fingerprint", "secret_rotated_at", "updated_at"])
    _audit(actor, "rotate_secret", endpoint, changes={"secret_fingerprint": [before, fingerprint]})
    return secret


@transaction.atomic
def webhook_endpoint_disable(*, actor, endpoint: WebhookEndpoint, reason: str = "") -> WebhookEndpoint:
    """Stop sending to an endpoint. Waiting deliveries pause (and fail when their retry window
    ends); new events reach it only through the feed. Disabling a disabled endpoint changes
    nothing."""
    _check_owner_or_support(actor, endpoint.organization_id)
    now = timezone.now()
    # Conditional update: two people disabling at once produce one audit event, not two.
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, status=WebhookEndpoint.Status.ACTIVE).update(
        status=WebhookEndpoint.Status.DISABLED, disabled_cause=WebhookEndpoint.DisabledCause.MANUAL,
        disabled_at=now, updated_at=now)
    endpoint.refresh_from_db()
    if changed:
        _audit(actor, "disable", endpoint,
               changes={"status": [WebhookEndpoint.Status.ACTIVE, WebhookEndpoint.Status.DISABLED]},
               cause=WebhookEndpoint.DisabledCause.MANUAL, reason=(reason or "")[:500])
    return endpoint


@transaction.atomic
def webhook_endpoint_enable(*, actor, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Re-enable a disabled endpoint: its failure count starts again, and deliveries still within
    their retry window are sent right after the commit. Enabling an active endpoint changes
    nothing."""
    _check_owner_or_support(actor, endpoint.organization_id)
    now = timezone.now()
    before = WebhookEndpoint.objects.filter(pk=endpoint.pk).values("disabled_cause", "consecutive_failures").first()
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, status=WebhookEndpoint.Status.DISABLED).update(
        status=WebhookEndpoint.Status.ACTIVE, disabled_cause="", disabled_at=None, consecutive_failures=0,
        failing_since=None, updated_at=now)
    endpoint.refresh_from_db()
    if changed:
        _audit(actor, "enable", endpoint,
               changes={"status": [WebhookEndpoint.Status.DISABLED, WebhookEndpoint.Status.ACTIVE]},
               was_disabled_because=before["disabled_cause"] if before else "",
               failures_before=before["consecutive_failures"] if before else 0)
        transaction.on_commit(functools.partial(tasks.enqueue_resume, endpoint.pk))
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, actor, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its delivery log for good (the audit trail keeps the fact)."""
    endpoint = _lock(endpoint)
    _check_owner(actor, endpoint.organization_id)
    _audit(actor, "delete", endpoint, changes=diff(snapshot(endpoint, AUDITED_FIELDS), {}),
           deliveries=endpoint.deliveries.count())
    endpoint.delete()


# --- deliveries ---------------------------------------------------------------------------------------

class DeliveryInProgress(Conflict):
    code = "delivery_in_progress"


class EndpointDisabled(Conflict):
    code = "webhook_endpoint_disabled"


@transaction.atomic
def webhook_delivery_resend(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now, with a new retry window: one that failed, or one that
    succeeded but that the receiver lost. The endpoint must be active; a delivery still waiting or
    being sent is refused (it is on its way)."""
    delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    endpoint = delivery.endpoint
    _check_owner_or_support(actor, endpoint.organization_id)
    if delivery.status in (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.SENDING):
        raise DeliveryInProgress(_("This delivery is already waiting to be sent."))
    if not endpoint.is_active:
        raise EndpointDisabled(_("The endpoint is disabled; re-enable it before re-sending."))
    now = timezone.now()
    old_status = delivery.status
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.retry_until = now + timedelta(seconds=int(settings.WEBHOOK_RETRY_WINDOW))
    delivery.claim_token = None
    delivery.manual_resends += 1
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "retry_until", "claim_token",
                                 "manual_resends"])
    audit_record(actor=actor, action="events.webhookdelivery.resend", target=delivery,
                 organization_id=endpoint.organization_id, changes={"status": [old_status, delivery.status]},
                 extra={"event": delivery.event_id, "endpoint": endpoint.pk})
    transaction.on_commit(functools.partial(tasks.enqueue_batches, [(endpoint.pk, [delivery.pk])]))
    return delivery
