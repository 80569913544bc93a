"""Publishing events and reading them back from the pull feed: one row per organization, order,
visibility (B never sees A's events), cursor pagination, limit bounds and bad cursors.

The feed serves an event only once every older transaction on the server has ended, so these
tests commit for real (``transaction=True``) and poll briefly: a parallel test run's open
transaction may hold the feed back for a moment, never change what it serves.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from tests.accounts.factories import ApiClientFactory, OrganizationFactory
from tests.api.helpers import error_of
from tests.events.conftest import wait_until
from zone_portal.events import selectors, services
from zone_portal.events.models import Event, WebhookDelivery

FEED = "/api/v1/events/"


def publish_committed(event_type, organization_ids, payload=None, subject=""):
    with transaction.atomic():
        return services.publish(event_type, organization_ids=organization_ids, payload=payload or {},
                                subject=subject)


def feed_ids(api, expected: int, **params) -> list[int]:
    """The ids of the first page once it holds ``expected`` events."""
    def read():
        response = api.get(FEED, params=params)
        assert response.status_code == 200, response.content
        ids = [e["id"] for e in response.json()["results"]]
        return ids if len(ids) >= expected else None
    return wait_until(read)


# --- publish ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_publish_writes_one_event_per_organization_named(org_a, org_b):
    events = services.publish("filing.filed", organization_ids=[org_a.pk, org_b.pk, org_a.pk],
                              payload={"filing_no": "ZF2026000001", "amount": Decimal("1.50")},
                              subject="ZF2026000001")

    assert [e.organization_id for e in events] == [org_a.pk, org_b.pk]
    assert events[0].pk < events[1].pk
    stored = Event.objects.get(pk=events[0].pk)
    assert stored.event_type == "filing.filed"
    assert stored.subject == "ZF2026000001"
    assert stored.payload == {"filing_no": "ZF2026000001", "amount": "1.50"}
    assert stored.txid > 0


@pytest.mark.django_db
def test_unknown_event_type_is_refused_and_nothing_is_written(org_a):
    with pytest.raises(services.EventTypeUnknown):
        services.publish("filing.exploded", organization_ids=[org_a.pk], payload={})
    with pytest.raises(ValueError):
        services.publish("filing.filed", organization_ids=[], payload={})
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_events_roll_back_with_the_business_transaction(org_a):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        services.publish("filing.filed", organization_ids=[org_a.pk], payload={})
        raise Boom
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_publish_many_is_a_few_statements_and_one_task_per_endpoint_per_batch(
        org_a, org_b, user_a, settings, django_assert_max_num_queries, django_capture_on_commit_callbacks,
        monkeypatch):
    settings.WEBHOOK_BATCH_SIZE = 500
    from tests.events.conftest import make_endpoint
    from zone_portal.events import tasks

    settings.WEBHOOK_ALLOW_HTTP = settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    accepted, _secret = make_endpoint(user_a, org_a, "https://partner-a.example.com/hook",
                                      event_types=["declaration.accepted"])
    make_endpoint(user_a, org_a, "https://partner-a.example.com/other", event_types=["declaration.rejected"])
    sent = []
    monkeypatch.setattr(tasks.webhook_deliveries_send, "apply_async",
                        lambda kwargs, countdown=None: sent.append(kwargs))
    n = 20_000
    specs = [("declaration.accepted", [org_a.pk] if i % 2 else [org_a.pk, org_b.pk],
              {"guid": f"G{i:035d}", "kind": "order", "seq": i}, f"order:G{i:035d}") for i in range(n)]

    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(8):
        written = services.publish_many(specs)
    elapsed = time.perf_counter() - started

    assert written == n + n // 2  # every other document names two organizations
    assert Event.objects.filter(organization=org_a).count() == n
    assert Event.objects.filter(organization=org_b).count() == n // 2
    assert WebhookDelivery.objects.filter(endpoint=accepted).count() == n  # only A's, only the subscribed type
    assert WebhookDelivery.objects.count() == n
    assert len(sent) == n // 500  # one task per endpoint per batch, never one per event
    assert {s["endpoint_id"] for s in sent} == {accepted.pk}
    assert sorted(d for s in sent for d in s["delivery_ids"]) == sorted(
        WebhookDelivery.objects.values_list("id", flat=True))
    print(f"publish_many: {written} events and {n} deliveries in {elapsed:.2f} s "
          f"({written / elapsed:,.0f} events/s)")
    assert elapsed < 20  # a guard against per-row work, not a benchmark (the CPU is shared)


# --- the feed -------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_feed_serves_an_organizations_events_in_order_and_nothing_of_others(
        signed_client, org_a, org_b, events_client_a, events_client_b, client, user_b):
    first = publish_committed("filing.submitted", [org_a.pk], {"n": 1}, subject="A")[0]
    publish_committed("filing.submitted", [org_b.pk], {"n": "b"})
    second = publish_committed("filing.decided", [org_a.pk], {"n": 2})[0]
    third = publish_committed("filing.filed", [org_a.pk, org_b.pk], {"n": 3})[0]

    ids_a = feed_ids(signed_client(events_client_a), 3)
    assert ids_a == [first.pk, second.pk, third.pk]
    body = signed_client(events_client_a).get(FEED).json()
    assert [e["type"] for e in body["results"]] == ["filing.submitted", "filing.decided", "filing.filed"]
    assert body["results"][0] | {"created_at": None, "cursor": None} == {
        "id": first.pk, "type": "filing.submitted", "subject": "A", "data": {"n": 1}, "created_at": None,
        "cursor": None}
    assert body["next_cursor"] == body["results"][-1]["cursor"]
    assert body["has_more"] is False

    ids_b = feed_ids(signed_client(events_client_b), 2)
    assert set(ids_b).isdisjoint(ids_a)
    assert all(Event.objects.get(pk=i).organization_id == org_b.pk for i in ids_b)
    client.force_login(user_b)  # a signed-in user of B: the same view of B only
    assert [e["id"] for e in client.get(FEED).json()["results"]] == ids_b


@pytest.mark.django_db(transaction=True)
def test_feed_pages_by_cursor_without_gaps_or_repeats(signed_client, org_a, events_client_a):
    published = [publish_committed("inventory.state", [org_a.pk], {"i": i})[0].pk for i in range(5)]
    api = signed_client(events_client_a)
    feed_ids(api, 5, limit=5)

    seen, after, pages = [], None, []
    while True:
        params = {"limit": 2} | ({"after": after} if after else {})
        body = api.get(FEED, params=params).json()
        pages.append(([e["id"] for e in body["results"]], body["has_more"]))
        seen += pages[-1][0]
        after = body["next_cursor"]
        if not body["has_more"]:
            break
    assert pages == [(published[:2], True), (published[2:4], True), (published[4:], False)]
    assert seen == published
    # Nothing new: an empty page that keeps the cursor where it was.
    body = api.get(FEED, params={"after": after}).json()
    assert body == {"results": [], "next_cursor": after, "has_more": False}
    # Any event's own cursor continues right after it.
    middle = api.get(FEED, params={"limit": 3}).json()["results"][2]["cursor"]
    assert [e["id"] for e in api.get(FEED, params={"after": middle}).json()["results"]] == published[3:]


@pytest.mark.django_db(transaction=True)
def test_feed_filters_by_type(signed_client, org_a, events_client_a):
    publish_committed("filing.submitted", [org_a.pk])
    filed = publish_committed("filing.filed", [org_a.pk])[0]
    api = signed_client(events_client_a)
    feed_ids(api, 2)
    body = api.get(FEED, params={"types": "filing.filed,goods.filed"}).json()
    assert [e["id"] for e in body["results"]] == [filed.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("limit", ["0", "-1", "1001", "many"])
def test_feed_limit_out_of_bounds_is_a_field_error(signed_client, events_client_a, limit):
    response = signed_client(events_client_a).get(FEED, params={"limit": limit})
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["field"]) == ("validation_error", "limit")


@pytest.mark.django_db
@pytest.mark.parametrize("after", ["105", "abc", "1-x", "-1-2", "99999999999999999999999-1"])
def test_feed_bad_cursor_is_a_clear_field_error(signed_client, events_client_a, after):
    response = signed_client(events_client_a).get(FEED, params={"after": after})
    assert response.status_code == 400
    error = error_of(response)
    assert error["field"] == "after"
    assert error["errors"][0]["code"] == "cursor_invalid"
    assert "next_cursor" in error["message"]


@pytest.mark.django_db
def test_feed_limit_bounds_are_inclusive(signed_client, events_client_a):
    api = signed_client(events_client_a)
    assert api.get(FEED, params={"limit": 1}).status_code == 200
    assert api.get(FEED, params={"limit": 1000}).status_code == 200


@pytest.mark.django_db
def test_feed_refuses_a_client_without_the_scope_and_officers(signed_client, org_a, client, officer_with_perm):
    no_scope = ApiClientFactory(organization=org_a, scopes=["order:read"])
    response = signed_client(no_scope).get(FEED)
    assert response.status_code == 403
    assert error_of(response)["code"] == "scope_missing"
    client.force_login(officer_with_perm)
    assert client.get(FEED).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_feed_is_one_query_whatever_the_page_size(signed_client, org_a, events_client_a,
                                                  django_assert_max_num_queries):
    services.publish_many([("receipt.created", [org_a.pk], {"i": i}, "") for i in range(300)])
    api = signed_client(events_client_a)
    feed_ids(api, 300, limit=300)
    with django_assert_max_num_queries(4):  # the client and its organization, last-used, the page
        body = api.get(FEED, params={"limit": 300}).json()
    assert len(body["results"]) == 300


@pytest.mark.django_db(transaction=True)
def test_feed_selector_follows_the_documented_order(org_a):
    other = OrganizationFactory()
    publish_committed("filing.filed", [org_a.pk, other.pk])
    page = wait_until(lambda: (p := selectors.event_feed(organization_id=org_a.pk)).events and p)
    assert [e.organization_id for e in page.events] == [org_a.pk]
    assert page.next_cursor == f"{page.events[0].txid}-{page.events[0].pk}"
    with connection.cursor() as cur:  # the txid is the writing transaction's, recorded by the database
        cur.execute("SELECT txid::text FROM events_event WHERE id = %s", [page.events[0].pk])
        assert int(cur.fetchone()[0]) == page.events[0].txid
