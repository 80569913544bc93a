"""Webhook delivery to a real HTTP server on 127.0.0.1: signed requests, retry with backoff, giving
up after the window, disabling a failing endpoint with a notification, re-enabling, manual
re-send, redirects, the claim that keeps duplicate tasks harmless, and the sweeper.

The end-to-end tests run the real Celery worker of ``tests/fixtures/celery.py`` (so they commit
for real); the others call the delivery functions directly, one step at a time.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from tests.events.conftest import make_endpoint, wait_until
from zone_portal.accounts.models import Notification
from zone_portal.audit.models import AuditEvent
from zone_portal.events import delivery, services, signing
from zone_portal.events.models import WebhookDelivery, WebhookEndpoint

ROOT = Path(__file__).resolve().parents[2]
S = WebhookDelivery.Status


def verify_example():
    """The partner's verify function exactly as docs/webhooks.md (and the README) show it."""
    source = (ROOT / "docs" / "webhooks.md").read_text()
    code = re.search(r"<!-- webhook-verify:start -->\s*```python\n(.*?)```", source, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "docs/webhooks.md", "exec"), namespace)  # our own documentation, run as partners would
    return namespace["verify_webhook"]


def publish_filed(org, **payload):
    with transaction.atomic():
        return services.publish("filing.filed", organization_ids=[org.pk],
                                payload={"filing_no": "ZF2026000001", **payload}, subject=org.uscc)[0]


def delivery_of(event, endpoint) -> WebhookDelivery:
    return WebhookDelivery.objects.get(event_id=event.pk, endpoint=endpoint)


def settled(event, endpoint, status):
    def check():
        d = delivery_of(event, endpoint)
        return d if d.status == status else None
    return wait_until(check, timeout=40)


# --- end to end, through the real worker ------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_an_event_reaches_the_partner_signed_and_nobody_elses(celery_worker, receiver, webhook_settings,
                                                              org_a, org_b, user_a, user_b):
    endpoint, secret = make_endpoint(user_a, org_a, receiver.url)
    other, _ = make_endpoint(user_b, org_b, receiver.url + "-b")
    event = publish_filed(org_a)

    [request] = receiver.wait_for(1)
    d = settled(event, endpoint, S.SUCCEEDED)

    headers = request.headers
    assert headers["X-Webhook-Id"] == str(event.pk)
    assert headers["X-Webhook-Event"] == "filing.filed"
    assert headers["X-Webhook-Delivery"] == str(d.pk)
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert abs(int(headers["X-Webhook-Timestamp"]) - time.time()) < 60
    # The receiver computes the HMAC itself and gets the same signature, with the library
    # function and with the documented example alike; another secret does not verify.
    assert signing.verify(secret, headers["X-Webhook-Timestamp"], request.body, headers["X-Webhook-Signature"])
    assert verify_example()(secret, headers, request.body)
    assert not verify_example()(secret + "x", headers, request.body)
    assert request.json == {"id": event.pk, "type": "filing.filed", "subject": org_a.uscc,
                            "data": {"filing_no": "ZF2026000001"},
                            "created_at": request.json["created_at"]}
    assert request.path == "/hook"
    assert (d.attempts, d.response_status, d.last_error) == (1, 200, "")
    assert d.delivered_at is not None
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).last_success_at is not None
    assert not WebhookDelivery.objects.filter(endpoint=other).exists()  # B's endpoint: nothing of A


@pytest.mark.django_db(transaction=True)
def test_a_500_is_retried_with_backoff_until_it_succeeds(celery_worker, receiver, webhook_settings, org_a, user_a):
    receiver.answer(500, 200)
    endpoint, secret = make_endpoint(user_a, org_a, receiver.url)
    event = publish_filed(org_a)

    first, second = receiver.wait_for(2)
    d = settled(event, endpoint, S.SUCCEEDED)

    assert first.headers["X-Webhook-Id"] == second.headers["X-Webhook-Id"] == str(event.pk)
    assert first.body == second.body
    for request in (first, second):  # each attempt is signed with its own timestamp
        assert signing.verify(secret, request.headers["X-Webhook-Timestamp"], request.body,
                              request.headers["X-Webhook-Signature"])
    assert (d.attempts, d.response_status, d.last_error) == (2, 200, "")
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.failing_since is None


@pytest.mark.django_db(transaction=True)
def test_a_delivery_is_given_up_when_its_retry_window_ends(celery_worker, receiver, webhook_settings, org_a, user_a):
    webhook_settings.WEBHOOK_RETRY_WINDOW = 2  # retries at +1 s, then +2 s is past the window
    receiver.answer(500)
    endpoint, _ = make_endpoint(user_a, org_a, receiver.url)
    event = publish_filed(org_a)

    d = settled(event, endpoint, S.FAILED)
    tried = len(receiver.requests)
    assert d.attempts == tried >= 2
    assert (d.response_status, d.last_error) == (500, "HTTP 500")
    time.sleep(3)
    assert len(receiver.requests) == tried  # nothing more after giving up
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).is_active  # one failed delivery is not a dead endpoint


@pytest.mark.django_db(transaction=True)
def test_an_endpoint_that_keeps_failing_is_disabled_its_enterprise_told_and_re_enabling_resumes(
        celery_worker, receiver, webhook_settings, org_a, user_a):
    webhook_settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    webhook_settings.WEBHOOK_DISABLE_WINDOW = 0
    receiver.answer(500)
    endpoint, _ = make_endpoint(user_a, org_a, receiver.url)
    event = publish_filed(org_a)

    wait_until(lambda: WebhookEndpoint.objects.get(pk=endpoint.pk).status == WebhookEndpoint.Status.DISABLED,
               timeout=40)
    endpoint.refresh_from_db()
    assert endpoint.disabled_cause == WebhookEndpoint.DisabledCause.FAILING
    assert endpoint.consecutive_failures >= 3
    note = Notification.objects.get(organization=org_a, verb="events.webhookendpoint.disable")
    assert endpoint.url in note.body
    assert note.url == f"/events/webhooks/{endpoint.pk}/"
    audit = AuditEvent.objects.get(action="events.webhookendpoint.disable", target_id=str(endpoint.pk))
    assert audit.actor_label == "system" and audit.extra["cause"] == "failing"
    # Its delivery waits, paused: nothing is sent to a disabled endpoint.
    tried = len(receiver.requests)
    time.sleep(2.5)
    assert len(receiver.requests) == tried
    assert delivery_of(event, endpoint).status == S.PENDING

    receiver.answer(200)
    services.webhook_endpoint_enable(actor=user_a, endpoint=endpoint)

    d = settled(event, endpoint, S.SUCCEEDED)
    assert d.response_status == 200
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.consecutive_failures == 0
    assert AuditEvent.objects.filter(action="events.webhookendpoint.enable", target_id=str(endpoint.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_failed_delivery_is_sent_again_by_hand(celery_worker, receiver, webhook_settings, org_a, user_a):
    webhook_settings.WEBHOOK_RETRY_WINDOW = 1
    receiver.answer(503)
    endpoint, _ = make_endpoint(user_a, org_a, receiver.url)
    event = publish_filed(org_a)
    failed = settled(event, endpoint, S.FAILED)

    receiver.answer(200)
    webhook_settings.WEBHOOK_RETRY_WINDOW = 3600
    services.webhook_delivery_resend(actor=user_a, delivery=failed)

    d = settled(event, endpoint, S.SUCCEEDED)
    assert d.manual_resends == 1
    assert receiver.requests[-1].headers["X-Webhook-Id"] == str(event.pk)
    audit = AuditEvent.objects.get(action="events.webhookdelivery.resend")
    assert (audit.actor_user_id, audit.organization_id, audit.target_id) == (user_a.pk, org_a.pk, str(d.pk))


# --- one step at a time -------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_redirect_is_not_followed(receiver, webhook_settings, org_a, user_a):
    receiver.answer(302)
    endpoint, _ = make_endpoint(user_a, org_a, receiver.url)
    event = publish_filed(org_a)
    d = delivery_of(event, endpoint)

    outcome = delivery.webhook_deliveries_send(endpoint_id=endpoint.pk, delivery_ids=[d.pk])

    assert [r.path for r in receiver.requests] == ["/hook"]  # never /hook/elsewhere
    d.refresh_from_db()
    assert (d.status, d.response_status) == (S.PENDING, 302)
    assert "redirects are not followed" in d.last_error
    assert outcome.retry_later == {1.0: [d.pk]}


@pytest.mark.django_db
def test_a_duplicate_task_sends_nothing_twice(receiver, webhook_settings, org_a, user_a):
    endpoint, _ = make_endpoint(user_a, org_a, receiver.url)
    events = [publish_filed(org_a, n=i) for i in range(3)]
    ids = [delivery_of(e, endpoint).pk for e in events]

    first = delivery.webhook_deliveries_send(endpoint_id=endpoint.pk, delivery_ids=ids)
    again = delivery.webhook_deliveries_send(endpoint_id=endpoint.pk, delivery_ids=ids)  # Celery redelivered it

    assert first.succeeded == 3 and again.succeeded == 0
    assert [r.headers["X-Webhook-Id"] for r in receiver.requests] == [str(e.pk) for e in events]  # in event order


@pytest.mark.django_db
def test_a_claimed_delivery_is_left_alone_until_its_lease_runs_out(receiver, webhook_settings, org_a, user_a):
    endpoint, _ = make_endpoint(user_a, org_a, receiver.url)
    d = delivery_of(publish_filed(org_a), endpoint)
    import uuid

    now = timezone.now()
    assert [c.id for c in delivery._claim(endpoint.pk, [d.pk], uuid.uuid4(), now)] == [d.pk]
    assert delivery._claim(endpoint.pk, [d.pk], uuid.uuid4(), now) == []  # another worker: nothing
    later = now + timedelta(seconds=delivery._lease_seconds() + 1)
    assert [c.id for c in delivery._claim(endpoint.pk, [d.pk], uuid.uuid4(), later)] == [d.pk]  # the first died


@pytest.mark.django_db
def test_a_batch_stops_hammering_an_endpoint_that_is_down(receiver, webhook_settings, org_a, user_a):
    receiver.answer(500)
    endpoint, _ = make_endpoint(user_a, org_a, receiver.url)
    ids = [delivery_of(publish_filed(org_a, n=i), endpoint).pk for i in range(6)]

    outcome = delivery.webhook_deliveries_send(endpoint_id=endpoint.pk, delivery_ids=ids)

    assert len(receiver.requests) == delivery.BATCH_FAILURES_BEFORE_PAUSE
    assert outcome.failed_attempts == 3
    assert sorted(outcome.retry_later[1.0]) == ids  # the 3 tried and the 3 not tried, all later
    assert list(WebhookDelivery.objects.filter(pk__in=ids).order_by("id").values_list("attempts", flat=True)) == [
        1, 1, 1, 0, 0, 0]


@pytest.mark.django_db
def test_an_address_outside_the_public_internet_is_never_called(receiver, webhook_settings, org_a, user_a):
    endpoint, _ = make_endpoint(user_a, org_a, receiver.url)
    d = delivery_of(publish_filed(org_a), endpoint)
    webhook_settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False

    delivery.webhook_deliveries_send(endpoint_id=endpoint.pk, delivery_ids=[d.pk])

    assert receiver.requests == []
    d.refresh_from_db()
    assert d.last_error == delivery.NOT_PUBLIC and d.attempts == 1


@pytest.mark.django_db
def test_the_sweeper_finds_lost_work_fails_expired_and_skips_disabled_endpoints(webhook_settings, org_a, user_a):
    # Inside the test's transaction the after-commit enqueue never runs: as if the task was lost.
    lost_ep, _ = make_endpoint(user_a, org_a, "https://a.example.com/hook")
    paused_ep, _ = make_endpoint(user_a, org_a, "https://b.example.com/hook")
    events = [publish_filed(org_a, n=i) for i in range(3)]
    services.webhook_endpoint_disable(actor=user_a, endpoint=paused_ep)
    long_ago = timezone.now() - timedelta(minutes=10)
    WebhookDelivery.objects.update(next_attempt_at=long_ago)
    expired = delivery_of(events[0], paused_ep)
    WebhookDelivery.objects.filter(pk=expired.pk).update(retry_until=long_ago)

    found = delivery.webhook_deliveries_sweep()

    assert found == [(lost_ep.pk, [delivery_of(e, lost_ep).pk for e in events])]
    expired.refresh_from_db()
    assert (expired.status, expired.last_error) == (S.FAILED, delivery.RETRY_WINDOW_ENDED)
    assert delivery_of(events[1], paused_ep).status == S.PENDING  # paused, still within its window
    assert delivery.webhook_deliveries_sweep(endpoint_id=paused_ep.pk) == []


def test_retry_delay_doubles_and_is_capped(settings):
    settings.WEBHOOK_RETRY_BASE_DELAY = 30
    settings.WEBHOOK_RETRY_MAX_DELAY = 1800
    assert [delivery.retry_delay(n) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1800, 1800]


def test_signing_is_hmac_sha256_over_timestamp_dot_body():
    import hashlib
    import hmac

    body = '{"id":1,"data":{"name":"甲公司"}}'.encode()
    expected = hmac.new(b"whsec_test", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signing.sign("whsec_test", 1700000000, body) == expected
    assert signing.verify("whsec_test", "1700000000", body, expected.upper())
    assert not signing.verify("whsec_test", "1700000001", body, expected)
    assert not signing.verify("whsec_test", "1700000000", body + b" ", expected)
    headers = {"X-Webhook-Timestamp": "1700000000", "X-Webhook-Signature": expected}
    assert verify_example()("whsec_test", headers, body, now=1700000100)
    assert not verify_example()("whsec_test", headers, body, now=1700000000 + 301)  # too old: a replay


def test_readme_shows_the_same_verify_example_as_the_guide():
    pattern = re.compile(r"<!-- webhook-verify:start -->.*?<!-- webhook-verify:end -->", re.S)
    guide = pattern.search((ROOT / "docs" / "webhooks.md").read_text()).group(0)
    readme = pattern.search((ROOT / "README.md").read_text()).group(0)
    assert readme == guide
