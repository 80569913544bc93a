"""The webhook endpoint API: who may do what (the fixed cast), validation with field errors, the
secret shown once, the audit trail, delivery log and re-send, idempotency."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.accounts.factories import ApiClientFactory
from tests.api.helpers import error_of
from tests.events.conftest import make_endpoint
from zone_portal.audit.models import AuditEvent
from zone_portal.core.errors import PermissionDenied
from zone_portal.events import services
from zone_portal.events.models import Event, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

ENDPOINTS = "/api/v1/webhooks/endpoints/"
GOOD = {"url": "https://erp.partner-a.example.com/zone/hook", "event_types": ["filing.filed", "filing.revoked"],
        "description": "ERP"}


def endpoint_url(pk, suffix=""):
    return f"{ENDPOINTS}{pk}/{suffix}"


def audit_count(action=None):
    qs = AuditEvent.objects.filter(action__startswith="events.")
    return qs.filter(action=action).count() if action else qs.count()


@pytest.fixture
def endpoint_a(user_a, org_a):
    return make_endpoint(user_a, org_a, "https://a.example.com/hook", ["filing.filed"])[0]


# --- create -------------------------------------------------------------------------------------

def test_a_partner_registers_an_endpoint_and_sees_the_secret_once(signed_client, events_client_a, org_a):
    api = signed_client(events_client_a)
    response = api.post(ENDPOINTS, GOOD)

    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert body["url"] == GOOD["url"] and body["event_types"] == ["filing.filed", "filing.revoked"]
    assert body["status"] == "active"
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert endpoint.organization == org_a and endpoint.secret == secret
    with connection.cursor() as cur:  # at rest the secret is SM4 ciphertext
        cur.execute("SELECT secret FROM events_webhookendpoint WHERE id = %s", [endpoint.pk])
        assert cur.fetchone()[0].startswith("sm4:")
    assert "secret" not in api.get(endpoint_url(endpoint.pk)).json()
    assert "secret" not in api.get(ENDPOINTS).json()[0]
    audit = AuditEvent.objects.get(action="events.webhookendpoint.create")
    assert audit.actor_api_client == events_client_a and audit.organization_id == org_a.pk
    assert secret not in str(audit.changes) and "secret_fingerprint" in audit.changes


@pytest.mark.parametrize(("url", "code"), [
    ("http://erp.partner-a.example.com/hook", "webhook_url_not_https"),
    ("ftp://erp.partner-a.example.com/hook", "webhook_url_invalid"),
    ("https://user:pass@erp.partner-a.example.com/hook", "webhook_url_invalid"),
    ("https://erp.partner-a.example.com/hook#frag", "webhook_url_invalid"),
    ("https://10.1.2.3/hook", "webhook_url_not_public"),
    ("https://127.0.0.1:8000/hook", "webhook_url_not_public"),
    ("https://[::1]/hook", "webhook_url_not_public"),
    ("https://metadata.localhost/hook", "webhook_url_not_public"),
    ("https://169.254.169.254/latest/meta-data", "webhook_url_not_public"),
    ("not a url", "webhook_url_invalid"),
])
def test_a_bad_url_is_refused_with_a_field_error_and_nothing_is_written(signed_client, events_client_a, url, code):
    response = signed_client(events_client_a).post(ENDPOINTS, GOOD | {"url": url})

    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["field"]) == (code, "url")
    assert not WebhookEndpoint.objects.exists() and audit_count() == 0


def test_http_is_accepted_only_where_the_setting_allows_it(signed_client, events_client_a, settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    response = signed_client(events_client_a).post(ENDPOINTS, GOOD | {"url": "http://erp.partner-a.example.com/h"})
    assert response.status_code == 201


@pytest.mark.parametrize(("types", "code"), [
    (["filing.filed", "filing.exploded"], "event_type_unknown"),
    (["*"], "event_type_unknown"),
    ([], "validation_error"),
])
def test_unknown_or_no_event_types_are_refused(signed_client, events_client_a, types, code):
    response = signed_client(events_client_a).post(ENDPOINTS, GOOD | {"event_types": types})

    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["field"]) == (code, "event_types")
    if code == "event_type_unknown":
        assert "filing.exploded" in error["message"] or "*" in error["message"]
    assert not WebhookEndpoint.objects.exists()


def test_the_event_types_are_listed_for_partners(signed_client, client_without_scope):
    body = signed_client(client_without_scope).get("/api/v1/events/types/").json()
    types = {t["type"] for t in body}
    assert {"declaration.accepted", "declaration.rejected", "receipt.created", "filing.filed", "goods.filed",
            "reconciliation.result", "inventory.state"} <= types


def test_an_enterprise_has_at_most_ten_endpoints(signed_client, events_client_a):
    api = signed_client(events_client_a)
    for i in range(services.MAX_ENDPOINTS_PER_ORGANIZATION):
        assert api.post(ENDPOINTS, GOOD | {"url": f"https://erp.example.com/{i}"}).status_code == 201
    response = api.post(ENDPOINTS, GOOD)
    assert response.status_code == 409
    assert error_of(response)["code"] == "webhook_endpoint_limit"


def test_a_retried_create_with_the_same_idempotency_key_creates_one_endpoint(signed_client, events_client_a):
    api = signed_client(events_client_a)
    first = api.post(ENDPOINTS, GOOD, idempotency_key="create-erp-hook")
    again = api.post(ENDPOINTS, GOOD, idempotency_key="create-erp-hook")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert WebhookEndpoint.objects.count() == 1


# --- the cast -----------------------------------------------------------------------------------

def test_a_client_without_the_write_scope_is_refused_and_nothing_changes(signed_client, events_reader_a, endpoint_a):
    api = signed_client(events_reader_a)
    before = audit_count()
    assert api.get(ENDPOINTS).status_code == 200  # events:read suffices to read
    for response in (api.post(ENDPOINTS, GOOD), api.post(endpoint_url(endpoint_a.pk, "rotate-secret/")),
                     api.post(endpoint_url(endpoint_a.pk, "disable/")),
                     api.request("PATCH", endpoint_url(endpoint_a.pk), data={"description": "x"}),
                     api.delete(endpoint_url(endpoint_a.pk))):
        assert response.status_code == 403
        assert error_of(response)["code"] == "scope_missing"
    endpoint_a.refresh_from_db()
    assert endpoint_a.is_active and endpoint_a.description == "" and audit_count() == before


def test_a_client_without_any_events_scope_reads_nothing(signed_client, client_with_scope, endpoint_a):
    response = signed_client(client_with_scope).get(ENDPOINTS)
    assert response.status_code == 403 and error_of(response)["code"] == "scope_missing"


def test_enterprise_b_sees_nothing_of_a_and_changes_nothing(signed_client, events_client_b, endpoint_a, client,
                                                            user_b, django_capture_on_commit_callbacks):
    services.publish("filing.filed", organization_ids=[endpoint_a.organization_id], payload={})
    delivery = WebhookDelivery.objects.get(endpoint=endpoint_a)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)
    before = audit_count()
    api = signed_client(events_client_b)
    assert api.get(ENDPOINTS).json() == []
    with django_capture_on_commit_callbacks() as callbacks:
        responses = (api.get(endpoint_url(endpoint_a.pk)), api.get(endpoint_url(endpoint_a.pk, "deliveries/")),
                     api.request("PATCH", endpoint_url(endpoint_a.pk), data={"description": "mine now"}),
                     api.post(endpoint_url(endpoint_a.pk, "rotate-secret/")),
                     api.post(endpoint_url(endpoint_a.pk, "disable/")),
                     api.post(endpoint_url(endpoint_a.pk, "enable/")),
                     api.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/resend/"),
                     api.delete(endpoint_url(endpoint_a.pk)))
    for response in responses:
        assert response.status_code == 404, response.content
        assert error_of(response)["code"] == "not_found"
    assert callbacks == []  # no task was queued
    client.force_login(user_b)  # B's administrator on the web session: the same
    assert client.get(endpoint_url(endpoint_a.pk)).status_code == 404
    endpoint_a.refresh_from_db()
    assert endpoint_a.is_active and endpoint_a.description == "" and audit_count() == before
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == WebhookDelivery.Status.FAILED


def test_users_read_with_their_role_and_only_administrators_change(client, user_a, operator_a, endpoint_a,
                                                                   officer_with_perm, zone_admin):
    client.force_login(operator_a)
    assert [e["id"] for e in client.get(ENDPOINTS).json()] == [endpoint_a.pk]
    assert client.post(ENDPOINTS, GOOD, content_type="application/json").status_code == 403
    assert client.post(endpoint_url(endpoint_a.pk, "disable/")).status_code == 403
    assert WebhookEndpoint.objects.count() == 1 and WebhookEndpoint.objects.get().is_active

    client.force_login(user_a)
    response = client.post(ENDPOINTS, GOOD, content_type="application/json")
    assert response.status_code == 201 and "secret" in response.json()

    for officer in (officer_with_perm, zone_admin):  # officers have no endpoints of their own here
        client.force_login(officer)
        assert client.get(ENDPOINTS).status_code == 403
        assert client.get(endpoint_url(endpoint_a.pk)).status_code in (403, 404)


def test_the_endpoint_list_is_a_fixed_number_of_queries(signed_client, events_client_a, user_a, org_a,
                                                        django_assert_max_num_queries):
    for i in range(5):
        make_endpoint(user_a, org_a, f"https://a.example.com/{i}")
    api = signed_client(events_client_a)
    with django_assert_max_num_queries(4):
        assert len(api.get(ENDPOINTS).json()) == 5


# --- change, rotate, disable, enable, delete ----------------------------------------------------

def test_patch_changes_only_what_is_given_and_audits_it(signed_client, events_client_a, endpoint_a):
    api = signed_client(events_client_a)
    response = api.request("PATCH", endpoint_url(endpoint_a.pk), data={"event_types": ["filing.revoked"]})
    assert response.status_code == 200, response.content
    endpoint_a.refresh_from_db()
    assert endpoint_a.event_types == ["filing.revoked"] and endpoint_a.url == "https://a.example.com/hook"
    audit = AuditEvent.objects.get(action="events.webhookendpoint.update")
    assert audit.changes == {"event_types": [["filing.filed"], ["filing.revoked"]]}
    api.request("PATCH", endpoint_url(endpoint_a.pk), data={"event_types": ["filing.revoked"]})
    assert audit_count("events.webhookendpoint.update") == 1  # nothing changed: nothing audited
    bad = api.request("PATCH", endpoint_url(endpoint_a.pk), data={"url": "http://a.example.com/"})
    assert bad.status_code == 400 and error_of(bad)["field"] == "url"


def test_rotation_gives_a_new_secret_once_and_audits_the_fingerprints(signed_client, events_client_a, endpoint_a):
    old_secret, old_fingerprint = endpoint_a.secret, endpoint_a.secret_fingerprint
    body = signed_client(events_client_a).post(endpoint_url(endpoint_a.pk, "rotate-secret/")).json()
    endpoint_a.refresh_from_db()
    assert body["secret"] == endpoint_a.secret != old_secret
    assert body["secret_fingerprint"] == endpoint_a.secret_fingerprint != old_fingerprint
    audit = AuditEvent.objects.get(action="events.webhookendpoint.rotate_secret")
    assert audit.changes == {"secret_fingerprint": [old_fingerprint, endpoint_a.secret_fingerprint]}
    assert body["secret"] not in str(audit.extra) + str(audit.changes)


def test_disable_and_enable_are_each_audited_once(signed_client, events_client_a, endpoint_a):
    api = signed_client(events_client_a)
    assert api.post(endpoint_url(endpoint_a.pk, "disable/"), {"reason": "maintenance"}).json()["status"] == "disabled"
    assert api.post(endpoint_url(endpoint_a.pk, "disable/")).json()["disabled_cause"] == "manual"
    assert audit_count("events.webhookendpoint.disable") == 1
    assert AuditEvent.objects.get(action="events.webhookendpoint.disable").extra["reason"] == "maintenance"
    assert api.post(endpoint_url(endpoint_a.pk, "enable/")).json()["status"] == "active"
    assert api.post(endpoint_url(endpoint_a.pk, "enable/")).status_code == 200
    assert audit_count("events.webhookendpoint.enable") == 1


def test_a_disabled_endpoint_gets_no_new_deliveries(endpoint_a, user_a, org_a):
    services.webhook_endpoint_disable(actor=user_a, endpoint=endpoint_a)
    services.publish("filing.filed", organization_ids=[org_a.pk], payload={})
    assert not WebhookDelivery.objects.exists()
    assert Event.objects.filter(organization=org_a).count() == 1  # the feed still has it


def test_delete_removes_the_endpoint_and_audits_it(signed_client, events_client_a, endpoint_a):
    assert signed_client(events_client_a).delete(endpoint_url(endpoint_a.pk)).status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert AuditEvent.objects.get(action="events.webhookendpoint.delete").target_id == str(endpoint_a.pk)


# --- deliveries -----------------------------------------------------------------------------------

def test_the_delivery_log_and_a_re_send(signed_client, events_client_a, endpoint_a, org_a,
                                        django_capture_on_commit_callbacks):
    events = [services.publish("filing.filed", organization_ids=[org_a.pk], payload={"n": i})[0] for i in range(3)]
    WebhookDelivery.objects.filter(event=events[0]).update(status="failed", attempts=7, response_status=500,
                                                           last_error="HTTP 500")
    api = signed_client(events_client_a)

    log = api.get(endpoint_url(endpoint_a.pk, "deliveries/")).json()
    assert [d["event_id"] for d in log["results"]] == [e.pk for e in reversed(events)]
    failed = api.get(endpoint_url(endpoint_a.pk, "deliveries/"), params={"status": "failed"}).json()["results"]
    assert [(d["event_id"], d["attempts"], d["last_error"]) for d in failed] == [(events[0].pk, 7, "HTTP 500")]

    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(f"/api/v1/webhooks/deliveries/{failed[0]['id']}/resend/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["attempts"], response.json()["manual_resends"]) == (
        "pending", 0, 1)
    assert len(callbacks) == 1  # the delivery task, after the commit
    assert audit_count("events.webhookdelivery.resend") == 1

    again = api.post(f"/api/v1/webhooks/deliveries/{failed[0]['id']}/resend/")
    assert again.status_code == 409 and error_of(again)["code"] == "delivery_in_progress"
    assert audit_count("events.webhookdelivery.resend") == 1


def test_the_delivery_log_is_a_fixed_number_of_queries(signed_client, events_client_a, endpoint_a, org_a,
                                                      django_assert_max_num_queries):
    services.publish_many([("filing.filed", [org_a.pk], {"i": i}, "") for i in range(30)])
    api = signed_client(events_client_a)
    with django_assert_max_num_queries(5):  # the client, last-used, the endpoint, the page
        assert len(api.get(endpoint_url(endpoint_a.pk, "deliveries/")).json()["results"]) == 30


def test_a_delivery_of_a_disabled_endpoint_is_not_re_sent(signed_client, events_client_a, endpoint_a, user_a, org_a):
    services.publish("filing.filed", organization_ids=[org_a.pk], payload={})
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.update(status="failed")
    services.webhook_endpoint_disable(actor=user_a, endpoint=endpoint_a)
    response = signed_client(events_client_a).post(f"/api/v1/webhooks/deliveries/{delivery.pk}/resend/")
    assert response.status_code == 409 and error_of(response)["code"] == "webhook_endpoint_disabled"


def test_the_schema_documents_the_events_api(client):
    schema = client.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}).json()
    for path in ("/api/v1/events/", "/api/v1/webhooks/endpoints/", "/api/v1/webhooks/endpoints/{id}/",
                 "/api/v1/webhooks/deliveries/{id}/resend/"):
        assert path in schema["paths"], path
    parameters = {p["name"] for p in schema["paths"]["/api/v1/events/"]["get"]["parameters"]}
    assert {"after", "limit", "types"} <= parameters


def test_a_revoked_client_cannot_manage_endpoints_through_the_service(org_a):
    client = ApiClientFactory(organization=org_a, scopes=["events:write"], status="revoked",
                              revoked_at="2026-01-01T00:00:00Z")
    with pytest.raises(PermissionDenied):
        services.webhook_endpoint_create(actor=client, organization=org_a, url=GOOD["url"],
                                         event_types=GOOD["event_types"])
