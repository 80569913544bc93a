"""Reads of events and webhooks, always scoped to the caller's organization.

The feed's cursor
-----------------
Event ids come from a sequence, and concurrent transactions commit in any order: id 105 may be
visible while 104 is still uncommitted. A reader that moved past 105 would never see 104. So the
feed

- serves a row only when the transaction that wrote it is older than every transaction still
  running (``txid < pg_snapshot_xmin(pg_current_snapshot())``): such a transaction has ended, so
  the set of rows it wrote is final;
- orders by ``(txid, id)`` and its cursor is that pair: any transaction still running, or started
  later, has a ``txid`` at least the current ``xmin``, so every row it will ever commit sorts after
  everything already served.

The price is latency: a long write transaction anywhere on the database server holds the feed
back (not other rows' correctness) until it ends. Ordering by id alone with the ``xmin`` filter is
not enough: a transaction with an older ``txid`` can take a later id and commit first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zone_portal.accounts.models import ApiClient
from zone_portal.core.errors import ApplicationError

from .models import Event, WebhookDelivery, WebhookEndpoint

FEED_DEFAULT_LIMIT = 100
FEED_MAX_LIMIT = 1000
_CURSOR_RE = re.compile(r"^([0-9]{1,20})-([0-9]{1,19})$")


class CursorInvalid(ApplicationError):
    code = "cursor_invalid"


@dataclass(frozen=True, order=True)
class FeedCursor:
    """A position in the feed: after the event ``event_id`` written by transaction ``txid``."""

    txid: int
    event_id: int

    def __str__(self) -> str:
        return f"{self.txid}-{self.event_id}"


def feed_cursor_parse(value: str) -> FeedCursor:
    """The cursor a previous page returned (``next_cursor``, or an event's ``cursor``)."""
    match = _CURSOR_RE.match((value or "").strip())
    if not match or int(match.group(1)) >= 2**64 or int(match.group(2)) >= 2**63:
        raise CursorInvalid(_("This is not a cursor of the event feed. Pass the next_cursor of the previous "
                              "page, or leave the parameter out to read from the start."), field="after")
    return FeedCursor(int(match.group(1)), int(match.group(2)))


def event_cursor(event: Event) -> FeedCursor:
    return FeedCursor(event.txid, event.pk)


@dataclass(frozen=True)
class FeedPage:
    events: list[Event]
    next_cursor: str | None
    has_more: bool


def event_feed(*, organization_id: int, after: FeedCursor | None = None, limit: int = FEED_DEFAULT_LIMIT,
               event_types: list[str] | None = None) -> FeedPage:
    """The organization's events after ``after``, oldest first, in an order that later commits
    never change (see the module docstring). ``next_cursor`` is where the next call continues;
    with no new event it is ``after`` itself."""
    if not 1 <= limit <= FEED_MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {FEED_MAX_LIMIT}")
    table = Event._meta.db_table
    where = ["organization_id = %s", "txid < pg_snapshot_xmin(pg_current_snapshot())"]
    params: list = [organization_id]
    if after is not None:
        where.append("(txid, id) > (%s::text::xid8, %s)")
        params += [str(after.txid), after.event_id]
    if event_types:
        where.append("event_type = ANY(%s)")
        params.append(list(event_types))
    sql = (f"SELECT id, organization_id, event_type, subject, payload, created_at, txid FROM {table} "  # noqa: S608
           f"WHERE {' AND '.join(where)} ORDER BY txid, id LIMIT %s")
    rows = list(Event.objects.raw(sql, [*params, limit + 1]))
    has_more = len(rows) > limit
    rows = rows[:limit]
    if rows:
        next_cursor = str(event_cursor(rows[-1]))
    else:
        next_cursor = str(after) if after is not None else None
    return FeedPage(events=rows, next_cursor=next_cursor, has_more=has_more)


def event_envelope(event: Event) -> dict:
    """The JSON object a partner receives for an event, by webhook and in the feed alike."""
    return {
        "id": event.pk,
        "type": event.event_type,
        "created_at": timezone.localtime(event.created_at).isoformat(),
        "subject": event.subject,
        "data": event.payload,
    }


# --- webhook endpoints and deliveries ---------------------------------------------------------

def _caller_organization_id(user) -> int | None:
    """The organization whose endpoints ``user`` sees: an API client's or an enterprise user's."""
    if isinstance(user, ApiClient):
        return user.organization_id
    if not getattr(user, "is_authenticated", False):
        return None
    if getattr(user, "is_enterprise_user", False) and user.has_perm("events.view_webhookendpoint"):
        return user.organization_id
    return None


def webhook_endpoint_list_for_user(*, user) -> QuerySet[WebhookEndpoint]:
    """The endpoints of the caller's own organization (an API client or an enterprise user)."""
    organization_id = _caller_organization_id(user)
    qs = WebhookEndpoint.objects.select_related("organization")
    if organization_id is None:
        return qs.none()
    return qs.filter(organization_id=organization_id).order_by("-created_at", "-id")


def webhook_endpoint_get_for_user(*, user, pk) -> WebhookEndpoint:
    """One endpoint of the caller's organization; 404 for anyone else's."""
    try:
        return webhook_endpoint_list_for_user(user=user).get(pk=pk)
    except (WebhookEndpoint.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def webhook_delivery_list(*, endpoint: WebhookEndpoint, status: str | None = None) -> QuerySet[WebhookDelivery]:
    """The delivery log of one endpoint (already fetched through a ``*_get_for_user``), newest
    event first."""
    qs = WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event").order_by("-event_id")
    if status in WebhookDelivery.Status.values:
        qs = qs.filter(status=status)
    return qs


def webhook_delivery_get_for_user(*, user, pk) -> WebhookDelivery:
    """One delivery to an endpoint of the caller's organization; 404 otherwise."""
    organization_id = _caller_organization_id(user)
    if organization_id is None:
        raise Http404
    delivery = (WebhookDelivery.objects.select_related("endpoint", "event")
                .filter(pk=pk, endpoint__organization_id=organization_id).first())
    if delivery is None:
        raise Http404
    return delivery
