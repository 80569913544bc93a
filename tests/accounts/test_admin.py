"""The back office for organizations and API clients, with the fixed cast."""

import pytest
from django.urls import reverse

from tests.accounts.factories import ApiClientFactory
from zone_portal.accounts.models import ApiClient, Organization
from zone_portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

ORGS = reverse("admin:accounts_organization_changelist")


def test_zone_admin_sees_every_organization(client, zone_admin, org_a, org_b, customs):
    client.force_login(zone_admin)
    page = client.get(ORGS)
    assert page.status_code == 200
    for org in (org_a, org_b, customs):
        assert org.name.encode() in page.content


def test_customs_officer_sees_enterprises_read_only(client, officer_with_perm, org_a):
    client.force_login(officer_with_perm)
    assert org_a.name.encode() in client.get(ORGS).content
    change = reverse("admin:accounts_organization_change", args=[org_a.pk])
    assert client.get(change).status_code == 200
    response = client.post(change, {"kind": "enterprise", "name": "篡改", "uscc": org_a.uscc, "is_active": "on"})
    assert response.status_code == 403
    org_a.refresh_from_db()
    assert org_a.name == "甲跨境电商有限公司"


def test_officer_without_the_permission_sees_no_organizations(client, officer_without_perm, org_a):
    client.force_login(officer_without_perm)
    assert client.get(ORGS).status_code == 403
    assert client.get(reverse("admin:accounts_organization_change", args=[org_a.pk])).status_code == 403


def test_zone_admin_change_is_validated_and_audited(client, zone_admin, org_a):
    client.force_login(zone_admin)
    change = reverse("admin:accounts_organization_change", args=[org_a.pk])
    data = {"kind": "enterprise", "name": org_a.name, "name_en": "", "uscc": "91110000600037341K",
            "customs_code": "", "contact_name": "", "contact_mobile": "", "contact_email": "", "is_active": "on"}
    bad = client.post(change, data, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 200
    assert "check character" in str(bad.context["adminform"].form.errors["uscc"])
    data.update(uscc=org_a.uscc, customs_code="3301961Q43")
    assert client.post(change, data).status_code == 302
    event = AuditEvent.objects.get(action="accounts.organization.change", target_id=str(org_a.pk))
    assert event.changes["customs_code"] == ["", "3301961Q43"]


def test_zone_admin_creates_an_api_client_and_sees_the_secret_once(client, zone_admin, org_a):
    client.force_login(zone_admin)
    response = client.post(reverse("admin:accounts_apiclient_add"),
                           {"organization": org_a.pk, "name": "物流系统", "scopes": ["waybill:write"]})
    assert response.status_code == 200
    secret = response.context["secret"]
    created = ApiClient.objects.get(organization=org_a, name="物流系统")
    assert created.scopes == ["waybill:write"]
    detail = client.get(reverse("admin:accounts_apiclient_change", args=[created.pk]))
    assert detail.status_code == 200
    assert secret.encode() not in detail.content


def test_zone_admin_revokes_from_the_back_office(client, zone_admin, org_a):
    api_client = ApiClientFactory(organization=org_a)
    client.force_login(zone_admin)
    response = client.post(reverse("admin:accounts_apiclient_changelist"),
                           {"action": "revoke_clients", "_selected_action": [api_client.pk]})
    assert response.status_code == 302
    api_client.refresh_from_db()
    assert api_client.status == ApiClient.Status.REVOKED
    assert AuditEvent.objects.filter(action="accounts.apiclient.revoke", actor_user=zone_admin).exists()


@pytest.mark.parametrize("who", ["officer_with_perm", "officer_without_perm"])
def test_other_officers_cannot_create_or_revoke_clients(client, who, request, org_a):
    api_client = ApiClientFactory(organization=org_a)
    client.force_login(request.getfixturevalue(who))
    assert client.post(reverse("admin:accounts_apiclient_add"),
                       {"organization": org_a.pk, "name": "x", "scopes": []}).status_code == 403
    client.post(reverse("admin:accounts_apiclient_changelist"),
                {"action": "revoke_clients", "_selected_action": [api_client.pk]})
    api_client.refresh_from_db()
    assert api_client.is_active
    assert ApiClient.objects.filter(organization=org_a).count() == 1
    assert Organization.objects.filter(pk=org_a.pk).exists()


def test_zone_admin_keeps_the_park_list_and_officers_only_read_it(client, zone_admin, officer_with_perm):
    from zone_portal.portal.models import Park

    client.force_login(zone_admin)
    response = client.post(reverse("admin:portal_park_add"), {
        "code": "HZ-BJ", "name": "杭州跨境电商综试区下城园区", "name_en": "", "kind": "industrial_park",
        "address": "", "division_code": "330103", "description": "", "is_active": "on",
    })
    assert response.status_code == 302
    park = Park.objects.get(code="HZ-BJ")
    assert AuditEvent.objects.filter(action="portal.park.create", target_id=str(park.pk)).exists()
    client.force_login(officer_with_perm)
    assert client.get(reverse("admin:portal_park_changelist")).status_code == 200
    refused = client.post(reverse("admin:portal_park_add"), {"code": "X", "name": "x", "kind": "incubator"})
    assert refused.status_code == 403
