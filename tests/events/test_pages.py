"""The enterprise webhook pages: list, create (secret once), edit, delivery log with re-send,
disable and re-enable — who may see and do what, and the CSP (no inline style or script)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.events.conftest import make_endpoint
from tests.portal.markup import parse
from zone_portal.audit.models import AuditEvent
from zone_portal.events import services
from zone_portal.events.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

FORM = {"url": "https://erp.a.example.com/hook", "description": "ERP", "event_types": ["filing.filed"]}


@pytest.fixture
def endpoint_a(user_a, org_a):
    return make_endpoint(user_a, org_a, "https://a.example.com/hook", ["filing.filed", "filing.revoked"])[0]


@pytest.fixture
def failed_delivery(endpoint_a, org_a):
    services.publish("filing.filed", organization_ids=[org_a.pk], payload={}, subject=org_a.uscc)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint_a)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=9, response_status=500,
                                                          last_error="HTTP 500")
    return delivery


def assert_csp_clean(response):
    page = parse(response.content)
    assert page.style_attributes == [] and page.style_elements == 0
    assert page.inline_scripts == [] and page.event_handlers == []


def test_an_administrator_creates_an_endpoint_and_sees_its_secret_once(client, user_a, org_a):
    client.force_login(user_a)
    assert_csp_clean(client.get(reverse("events:webhook_create")))

    response = client.post(reverse("events:webhook_create"), FORM)

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.organization, endpoint.url, endpoint.event_types) == (org_a, FORM["url"], ["filing.filed"])
    html = response.content.decode()
    assert endpoint.secret in html
    assert response["Cache-Control"].startswith("max-age=0")  # never_cache: the secret is not kept anywhere
    detail = client.get(reverse("events:webhook_detail", args=[endpoint.pk])).content.decode()
    assert endpoint.secret not in detail and endpoint.secret_fingerprint in detail
    assert AuditEvent.objects.filter(action="events.webhookendpoint.create", actor_user=user_a).count() == 1


def test_a_plain_http_url_is_a_form_error(client, user_a):
    client.force_login(user_a)
    response = client.post(reverse("events:webhook_create"), FORM | {"url": "http://erp.a.example.com/hook"})
    assert response.status_code == 400
    assert "HTTPS" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_list_and_detail_with_the_delivery_log(client, user_a, endpoint_a, failed_delivery):
    client.force_login(user_a)
    listing = client.get(reverse("events:webhook_list"))
    assert listing.status_code == 200 and endpoint_a.url in listing.content.decode()
    assert reverse("events:webhook_create") in parse(listing.content).links
    assert_csp_clean(listing)

    detail = client.get(reverse("events:webhook_detail", args=[endpoint_a.pk]))
    html = detail.content.decode()
    assert detail.status_code == 200 and "HTTP 500" in html and f"delivery-{failed_delivery.pk}" in html
    assert reverse("events:delivery_resend", args=[failed_delivery.pk]) in [f["action"] for f in
                                                                            parse(detail.content).forms]
    assert_csp_clean(detail)
    filtered = client.get(reverse("events:webhook_detail", args=[endpoint_a.pk]), {"status": "succeeded"})
    assert f"delivery-{failed_delivery.pk}" not in filtered.content.decode()


def test_an_administrator_re_sends_edits_disables_and_re_enables(client, user_a, endpoint_a, failed_delivery,
                                                                 django_capture_on_commit_callbacks):
    client.force_login(user_a)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("events:delivery_resend", args=[failed_delivery.pk]))
    assert response.status_code == 302 and len(callbacks) == 1
    failed_delivery.refresh_from_db()
    assert (failed_delivery.status, failed_delivery.manual_resends) == ("pending", 1)

    response = client.post(reverse("events:webhook_edit", args=[endpoint_a.pk]),
                           FORM | {"event_types": ["filing.revoked", "goods.filed"]})
    assert response.status_code == 302
    endpoint_a.refresh_from_db()
    assert endpoint_a.event_types == ["filing.revoked", "goods.filed"] and endpoint_a.url == FORM["url"]

    client.post(reverse("events:webhook_disable", args=[endpoint_a.pk]), {"reason": "upgrade"})
    endpoint_a.refresh_from_db()
    assert not endpoint_a.is_active
    assert "disabled-notice" in client.get(reverse("events:webhook_detail", args=[endpoint_a.pk])).content.decode()
    client.post(reverse("events:webhook_enable", args=[endpoint_a.pk]))
    endpoint_a.refresh_from_db()
    assert endpoint_a.is_active

    old = endpoint_a.secret
    rotated = client.post(reverse("events:webhook_rotate", args=[endpoint_a.pk]))
    endpoint_a.refresh_from_db()
    assert endpoint_a.secret != old and endpoint_a.secret in rotated.content.decode()
    actions = set(AuditEvent.objects.filter(action__startswith="events.").values_list("action", flat=True))
    assert actions >= {"events.webhookdelivery.resend", "events.webhookendpoint.update",
                       "events.webhookendpoint.disable", "events.webhookendpoint.enable",
                       "events.webhookendpoint.rotate_secret"}


def test_an_operator_sees_the_log_but_changes_nothing(client, operator_a, endpoint_a, failed_delivery):
    client.force_login(operator_a)
    listing = client.get(reverse("events:webhook_list"))
    assert listing.status_code == 200 and endpoint_a.url in listing.content.decode()
    assert reverse("events:webhook_create") not in parse(listing.content).links
    detail = client.get(reverse("events:webhook_detail", args=[endpoint_a.pk]))
    assert detail.status_code == 200 and "HTTP 500" in detail.content.decode()
    assert reverse("events:delivery_resend", args=[failed_delivery.pk]) not in [
        f["action"] for f in parse(detail.content).forms]
    before = AuditEvent.objects.count()
    for response in (client.get(reverse("events:webhook_create")), client.post(reverse("events:webhook_create"), FORM),
                     client.get(reverse("events:webhook_edit", args=[endpoint_a.pk])),
                     client.post(reverse("events:webhook_rotate", args=[endpoint_a.pk])),
                     client.post(reverse("events:webhook_disable", args=[endpoint_a.pk])),
                     client.post(reverse("events:delivery_resend", args=[failed_delivery.pk]))):
        assert response.status_code == 403
    endpoint_a.refresh_from_db()
    failed_delivery.refresh_from_db()
    assert endpoint_a.is_active and failed_delivery.status == "failed" and WebhookEndpoint.objects.count() == 1
    assert AuditEvent.objects.count() == before


def test_another_enterprise_gets_404_and_changes_nothing(client, user_b, endpoint_a, failed_delivery):
    client.force_login(user_b)
    assert endpoint_a.url not in client.get(reverse("events:webhook_list")).content.decode()
    before = AuditEvent.objects.count()
    for response in (client.get(reverse("events:webhook_detail", args=[endpoint_a.pk])),
                     client.get(reverse("events:webhook_edit", args=[endpoint_a.pk])),
                     client.post(reverse("events:webhook_edit", args=[endpoint_a.pk]), FORM),
                     client.post(reverse("events:webhook_rotate", args=[endpoint_a.pk])),
                     client.post(reverse("events:webhook_disable", args=[endpoint_a.pk])),
                     client.post(reverse("events:webhook_enable", args=[endpoint_a.pk])),
                     client.post(reverse("events:delivery_resend", args=[failed_delivery.pk]))):
        assert response.status_code == 404
    endpoint_a.refresh_from_db()
    assert endpoint_a.is_active and endpoint_a.url == "https://a.example.com/hook"
    assert AuditEvent.objects.count() == before


def test_officers_get_404_and_anonymous_users_are_sent_to_log_in(client, officer_with_perm, zone_admin, endpoint_a):
    for officer in (officer_with_perm, zone_admin):
        client.force_login(officer)
        assert client.get(reverse("events:webhook_list")).status_code == 404
        assert client.get(reverse("events:webhook_detail", args=[endpoint_a.pk])).status_code == 404
    client.logout()
    response = client.get(reverse("events:webhook_list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_menu_offers_webhooks_to_enterprise_users(client, user_a, operator_a):
    for user in (user_a, operator_a):
        client.force_login(user)
        html = client.get(reverse("portal:dashboard")).content.decode()
        nav = html[html.index("<nav"):html.index("</nav>")]
        assert reverse("events:webhook_list") in parse(nav).links


def test_the_back_office_shows_deliveries_and_re_sends_through_the_service(client, zone_admin, failed_delivery,
                                                                           endpoint_a, officer_with_perm):
    client.force_login(zone_admin)
    for name in ("admin:events_event_changelist", "admin:events_webhookendpoint_changelist",
                 "admin:events_webhookdelivery_changelist"):
        assert client.get(reverse(name)).status_code == 200, name
    page = client.get(reverse("admin:events_webhookendpoint_change", args=[endpoint_a.pk])).content.decode()
    assert endpoint_a.secret not in page
    response = client.post(reverse("admin:events_webhookdelivery_changelist"),
                           {"action": "resend_deliveries", "_selected_action": [failed_delivery.pk]})
    assert response.status_code == 302
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == "pending"
    assert AuditEvent.objects.get(action="events.webhookdelivery.resend").actor_user == zone_admin

    services.webhook_endpoint_disable(actor=zone_admin, endpoint=endpoint_a)
    client.post(reverse("admin:events_webhookendpoint_changelist"),
                {"action": "enable_endpoints", "_selected_action": [endpoint_a.pk]})
    endpoint_a.refresh_from_db()
    assert endpoint_a.is_active

    client.force_login(officer_with_perm)  # a customs officer: no events in the back office
    assert client.get(reverse("admin:events_webhookdelivery_changelist")).status_code == 403
