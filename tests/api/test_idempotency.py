"""Idempotency-Key on POST: replay the first answer, refuse reuse with another body or while running."""

import threading

import pytest
from django.db import connection
from django.test import Client

from tests.api.helpers import error_of
from tests.api.urls_for_tests import RECORD_ACTION, RecordCreateView, slow_gate
from tests.fixtures.api import SignedClient
from zone_portal.audit.models import AuditEvent

RECORDS = "/api/v1/test/records/"
pytestmark = pytest.mark.urls("tests.api.urls_for_tests")


def records():
    return AuditEvent.objects.filter(action=RECORD_ACTION)


def test_same_key_and_body_replays_the_first_answer_without_a_second_write(signed_client, client_with_scope):
    api = signed_client(client_with_scope)
    payload = {"order_no": "ORD-1", "amount": "12.50"}

    first = api.post(RECORDS, payload, idempotency_key="key-1")
    again = api.post(RECORDS, payload, idempotency_key="key-1")  # new timestamp and nonce

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Content-Type"] == first["Content-Type"]
    assert records().count() == 1


def test_same_key_with_another_body_is_a_conflict(signed_client, client_with_scope):
    api = signed_client(client_with_scope)
    api.post(RECORDS, {"order_no": "ORD-1", "amount": "1"}, idempotency_key="key-1")

    response = api.post(RECORDS, {"order_no": "ORD-1", "amount": "2"}, idempotency_key="key-1")

    assert response.status_code == 409
    body = error_of(response)
    assert body["code"] == "idempotency_key_conflict"
    assert body["field"] == "Idempotency-Key"
    assert records().count() == 1


def test_same_key_with_another_query_is_a_conflict(signed_client, client_with_scope):
    api = signed_client(client_with_scope)
    payload = {"order_no": "ORD-1", "amount": "1"}
    api.post(RECORDS, payload, idempotency_key="key-1")

    response = api.post(RECORDS, payload, idempotency_key="key-1", params={"dry_run": "1"})

    assert error_of(response)["code"] == "idempotency_key_conflict"


def test_without_a_key_every_post_runs(signed_client, client_with_scope):
    api = signed_client(client_with_scope)
    payload = {"order_no": "ORD-1", "amount": "1"}

    api.post(RECORDS, payload)
    api.post(RECORDS, payload)

    assert records().count() == 2


def test_keys_are_per_caller(signed_client, client_with_scope, org_b_client):
    payload = {"order_no": "ORD-1", "amount": "1"}

    a = signed_client(client_with_scope).post(RECORDS, payload, idempotency_key="shared")
    b = signed_client(org_b_client).post(RECORDS, payload, idempotency_key="shared")

    assert a.status_code == b.status_code == 201
    assert "Idempotent-Replayed" not in b
    assert a.json()["id"] != b.json()["id"]
    assert records().count() == 2


def test_a_4xx_answer_is_replayed_too(signed_client, client_with_scope):
    api = signed_client(client_with_scope)

    first = api.post(RECORDS, {"order_no": "DUPLICATE", "amount": "1"}, idempotency_key="dup")
    again = api.post(RECORDS, {"order_no": "DUPLICATE", "amount": "1"}, idempotency_key="dup")

    assert first.status_code == again.status_code == 409
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() == error_of(first)


def test_a_5xx_answer_is_not_kept_so_a_retry_runs_again(signed_client, client_with_scope):
    api = signed_client(client_with_scope)

    first = api.post(RECORDS, {"order_no": "BOOM", "amount": "1"}, idempotency_key="boom")
    again = api.post(RECORDS, {"order_no": "BOOM", "amount": "1"}, idempotency_key="boom")

    assert first.status_code == again.status_code == 500
    assert "Idempotent-Replayed" not in again


def test_refused_requests_reserve_nothing(signed_client, client_without_scope):
    """A request refused before the view (missing scope, bad signature) must not fix the key."""
    payload = {"order_no": "ORD-1", "amount": "1"}
    api = signed_client(client_without_scope)

    no_scope = api.post(RECORDS, payload, idempotency_key="k")
    forged = api.post(RECORDS, payload, idempotency_key="k", secret="wrong")
    client_without_scope.scopes = ["order:write"]
    client_without_scope.save(update_fields=["scopes"])
    allowed = api.post(RECORDS, payload, idempotency_key="k")

    assert error_of(no_scope)["code"] == "scope_missing"
    assert error_of(forged)["code"] == "auth_bad_signature"
    assert allowed.status_code == 201
    assert "Idempotent-Replayed" not in allowed
    assert records().count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\there"])
def test_invalid_key(signed_client, client_with_scope, key):
    response = signed_client(client_with_scope).post(RECORDS, {"order_no": "A", "amount": "1"},
                                                     headers={"Idempotency-Key": key})

    assert response.status_code == 400
    assert error_of(response)["code"] == "idempotency_key_invalid"
    assert not records().exists()


def test_a_view_may_require_the_key(signed_client, client_with_scope, monkeypatch):
    monkeypatch.setattr(RecordCreateView, "idempotency_key_required", True)
    response = signed_client(client_with_scope).post(RECORDS, {"order_no": "A", "amount": "1"})

    assert response.status_code == 400
    body = error_of(response)
    assert (body["code"], body["field"]) == ("validation_error", "Idempotency-Key")
    assert not records().exists()


def test_session_user_posts_are_idempotent_too(client, user_a):
    client.force_login(user_a)
    payload = {"order_no": "WEB-1", "amount": "3"}

    first = client.post(RECORDS, payload, content_type="application/json", headers={"Idempotency-Key": "w1"})
    again = client.post(RECORDS, payload, content_type="application/json", headers={"Idempotency-Key": "w1"})

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert records().count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_while_the_first_is_running_is_told_to_wait(client_with_scope):
    """Two threads, two database connections: the second request arrives while the first one is
    held inside the view."""
    payload = {"order_no": "SLOW", "amount": "1"}
    slow_gate.reset()
    results = {}

    def first_request():
        try:
            results["first"] = SignedClient(Client(), client_with_scope).post(RECORDS, payload,
                                                                              idempotency_key="slow")
        finally:
            connection.close()

    thread = threading.Thread(target=first_request)
    thread.start()
    try:
        assert slow_gate.entered.wait(timeout=10), "the first request never reached the view"
        during = SignedClient(Client(), client_with_scope).post(RECORDS, payload, idempotency_key="slow")
        other_body = SignedClient(Client(), client_with_scope).post(
            RECORDS, {"order_no": "SLOW", "amount": "2"}, idempotency_key="slow")
    finally:
        slow_gate.release.set()
        thread.join(timeout=10)

    assert during.status_code == 409
    assert error_of(during)["code"] == "idempotency_in_progress"
    assert during["Retry-After"] == "1"
    assert error_of(other_body)["code"] == "idempotency_key_conflict"
    assert results["first"].status_code == 201

    after = SignedClient(Client(), client_with_scope).post(RECORDS, payload, idempotency_key="slow")
    assert after["Idempotent-Replayed"] == "true"
    assert after.json() == results["first"].json()
    assert records().count() == 1


def test_a_form_posted_from_the_browser_is_fingerprinted_too(user_a):
    """With CSRF enforced as for a real browser, the CSRF check parses the multipart body before
    the view runs; the key must still see the raw body."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user_a)
    token = "a" * 32
    browser.cookies["csrftoken"] = token
    form = {"order_no": "FORM-1", "amount": "4", "csrfmiddlewaretoken": token}

    first = browser.post(RECORDS, form, headers={"Idempotency-Key": "f1"})
    again = browser.post(RECORDS, form, headers={"Idempotency-Key": "f1"})
    other = browser.post(RECORDS, {**form, "amount": "5"}, headers={"Idempotency-Key": "f1"})

    assert first.status_code == 201, first.content
    assert again["Idempotent-Replayed"] == "true"
    assert error_of(other)["code"] == "idempotency_key_conflict"
    assert records().count() == 1
