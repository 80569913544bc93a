"""The audit trail is append-only, for the application and superusers alike."""

import pytest
from django.db import DatabaseError, transaction

from zone_portal.audit.models import AuditEvent
from zone_portal.audit.services import audit_record
from zone_portal.core import request_context

pytestmark = pytest.mark.django_db


def _event(actor):
    with transaction.atomic():
        return audit_record(actor=actor, action="accounts.user.test", target=actor,
                            changes={"email": ["a@example.com", "b@example.com"]})


def test_event_carries_actor_request_id_and_ip(user_a):
    tokens = request_context.bind("req-1234567890", "10.1.2.3")
    try:
        event = _event(user_a)
    finally:
        request_context.unbind(tokens)
    assert event.actor_user == user_a
    assert event.organization_id == user_a.organization_id
    assert event.request_id == "req-1234567890"
    assert event.ip_address == "10.1.2.3"


def test_database_refuses_update_and_delete(user_a):
    event = _event(user_a)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "accounts.user.test"


@pytest.mark.django_db(transaction=True)
def test_audit_record_outside_a_transaction_is_a_programming_error(user_a):
    with pytest.raises(RuntimeError):
        audit_record(actor=user_a, action="x.y.z")


def test_back_office_offers_no_edit_or_delete_even_to_superusers(client, user_a, django_user_model):
    event = _event(user_a)
    root = django_user_model.objects.create_superuser("root", "root@example.com", "Root-Pass-2026")
    client.force_login(root)
    assert client.get("/admin/audit/auditevent/").status_code == 200
    change = client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"action": "tampered"})
    assert change.status_code in (302, 403) or b"tampered" not in change.content
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "accounts.user.test"


def test_officer_sees_filterable_audit_log_zone_admin_everything(client, zone_admin, officer_with_perm, user_a):
    _event(user_a)
    client.force_login(zone_admin)
    page = client.get("/admin/audit/auditevent/", {"action": "accounts.user.test"})
    assert page.status_code == 200
    assert b"accounts.user.test" in page.content
