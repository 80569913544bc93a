"""Scopes for partner clients, Django permissions for users, rows scoped to the caller's organization."""

import pytest

from tests.accounts.factories import ApiClientFactory
from tests.api.helpers import error_of
from tests.api.urls_for_tests import RECORD_ACTION
from zone_portal.accounts.models import ApiClient
from zone_portal.api.permissions import scope_required
from zone_portal.api.scoping import caller_organization_id, scope_to_caller_organization
from zone_portal.audit.models import AuditEvent

RECORDS = "/api/v1/test/records/"
CLIENTS = "/api/v1/test/clients/"
PAYLOAD = {"order_no": "ORD-1", "amount": "1"}
urls_for_tests = pytest.mark.urls("tests.api.urls_for_tests")


def records():
    return AuditEvent.objects.filter(action=RECORD_ACTION)


@urls_for_tests
def test_client_with_the_scope_may_write_and_the_write_is_its_organizations(signed_client, client_with_scope):
    response = signed_client(client_with_scope).post(RECORDS, PAYLOAD)

    assert response.status_code == 201
    event = records().get()
    assert event.actor_api_client_id == client_with_scope.pk
    assert event.organization_id == client_with_scope.organization_id


@urls_for_tests
def test_client_without_the_scope_is_refused_and_nothing_is_written(signed_client, client_without_scope):
    response = signed_client(client_without_scope).post(RECORDS, PAYLOAD, headers={"Accept-Language": "en"})

    assert response.status_code == 403
    body = error_of(response)
    assert body["code"] == "scope_missing"
    assert "order:write" in body["message"]
    assert not records().exists()


@urls_for_tests
def test_read_scope_alone_does_not_allow_writing(signed_client, org_a):
    reader = ApiClientFactory(organization=org_a, scopes=["order:read"])
    response = signed_client(reader).post(RECORDS, PAYLOAD)

    assert error_of(response)["code"] == "scope_missing"
    assert not records().exists()


@urls_for_tests
def test_a_method_without_declared_scopes_is_closed_to_clients(signed_client, client_with_scope, monkeypatch):
    from tests.api.urls_for_tests import RecordCreateView

    monkeypatch.setattr(RecordCreateView, "required_scopes", {"GET": ["order:read"]})
    response = signed_client(client_with_scope).post(RECORDS, PAYLOAD)

    assert response.status_code == 403
    assert error_of(response)["code"] == "scope_missing"
    assert not records().exists()


@urls_for_tests
def test_user_with_the_permission_may_write(client, user_a):
    client.force_login(user_a)  # enterprise admin: accounts.manage_api_clients
    response = client.post(RECORDS, PAYLOAD, content_type="application/json")

    assert response.status_code == 201
    assert records().get().actor_user_id == user_a.pk


@urls_for_tests
@pytest.mark.parametrize("who", ["operator_a", "officer_without_perm", "officer_with_perm"])
def test_user_without_the_permission_is_refused_and_nothing_is_written(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post(RECORDS, PAYLOAD, content_type="application/json")

    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert not records().exists()


@urls_for_tests
def test_anonymous_is_not_authenticated(client, db):
    response = client.post(RECORDS, PAYLOAD, content_type="application/json")

    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert not records().exists()


@urls_for_tests
def test_rows_are_scoped_to_the_callers_organization(
        signed_client, client, client_with_scope, client_without_scope, org_b_client,
        user_a, user_b, officer_with_perm):
    assert signed_client(client_with_scope).get(CLIENTS).json()["names"] == ["no-scope", "order-writer"]
    assert signed_client(org_b_client).get(CLIENTS).json()["names"] == ["b-order-writer"]

    client.force_login(user_a)
    assert client.get(CLIENTS).json()["names"] == ["no-scope", "order-writer"]
    client.force_login(user_b)
    assert client.get(CLIENTS).json()["names"] == ["b-order-writer"]
    client.force_login(officer_with_perm)  # officers are not scoped by this helper: nothing
    assert client.get(CLIENTS).json()["names"] == []


def test_caller_organization_id_for_each_kind_of_caller(client_with_scope, user_a, officer_with_perm):
    from django.contrib.auth.models import AnonymousUser

    assert caller_organization_id(client_with_scope) == client_with_scope.organization_id
    assert caller_organization_id(user_a) == user_a.organization_id
    assert caller_organization_id(officer_with_perm) is None
    assert caller_organization_id(AnonymousUser()) is None
    assert caller_organization_id(None) is None
    assert list(scope_to_caller_organization(ApiClient.objects.all(), officer_with_perm)) == []


def test_scope_required_factory(rf, client_with_scope, client_without_scope, user_a, operator_a):
    from zone_portal.api.errors import ScopeMissing

    permission = scope_required("order:write", user_perms=["accounts.manage_api_clients"])()
    partner_only = scope_required("order:write")()

    def allowed(check, caller):
        request = rf.post("/")
        request.user = caller
        return check.has_permission(request, view=None)

    assert allowed(permission, client_with_scope) is True
    with pytest.raises(ScopeMissing):
        allowed(permission, client_without_scope)
    assert allowed(permission, user_a) is True
    assert allowed(permission, operator_a) is False
    assert allowed(partner_only, client_with_scope) is True
    assert allowed(partner_only, user_a) is False
