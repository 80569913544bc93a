"""Accounts services: registration, user creation, API clients — with their audit events."""

import hashlib

import pytest
from django.db import connection

from tests.accounts.factories import make_uscc
from zone_portal.accounts import roles, services
from zone_portal.accounts.models import ApiClient, Organization, User
from zone_portal.audit.models import AuditEvent
from zone_portal.core.errors import ApplicationError, Conflict, PermissionDenied

pytestmark = pytest.mark.django_db


def _registration(**overrides):
    data = dict(organization_name="杭州测试跨境电商有限公司", organization_name_en="Hangzhou Test CBEC Ltd.",
                uscc=make_uscc(7), contact_name="王五", mobile="13900001111", email="wang@example.com",
                username="hz_admin", password="Zone-Portal-2026")
    data.update(overrides)
    return services.Registration(**data)


def test_registration_creates_enterprise_admin_and_audits():
    user = services.enterprise_register(data=_registration())
    assert user.organization.kind == Organization.Kind.ENTERPRISE
    assert roles.role_of(user).code == roles.ENTERPRISE_ADMIN
    assert user.check_password("Zone-Portal-2026")
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"accounts.organization.register", "accounts.user.create"} <= actions


def test_registration_refuses_a_second_enterprise_with_the_same_uscc():
    services.enterprise_register(data=_registration())
    with pytest.raises(Conflict) as info:
        services.enterprise_register(data=_registration(username="other"))
    assert info.value.code == "uscc_taken"
    assert info.value.field == "uscc"
    assert Organization.objects.count() == 1
    assert User.objects.count() == 1


def test_personal_data_is_encrypted_at_rest_with_a_blind_index():
    user = services.enterprise_register(data=_registration())
    with connection.cursor() as cur:
        cur.execute("SELECT contact_name, contact_mobile FROM accounts_organization WHERE id = %s",
                    [user.organization_id])
        name, mobile = cur.fetchone()
        cur.execute("SELECT mobile FROM accounts_user WHERE id = %s", [user.pk])
        (user_mobile,) = cur.fetchone()
    assert name.startswith("sm4:") and "王五" not in name
    assert mobile.startswith("sm4:") and "13900001111" not in mobile
    assert user_mobile.startswith("sm4:")
    from zone_portal.core.crypto import blind_index

    assert Organization.objects.get(contact_mobile_bidx=blind_index("+86 139 0000 1111", "phone")).pk == (
        user.organization_id
    )


def test_zone_admin_creates_an_officer_with_an_unusable_password(zone_admin, customs):
    officer = services.user_create(actor=zone_admin, organization=customs, username="new_customs",
                                   email="c@example.gov.cn", full_name="赵六", mobile="13700000000",
                                   role=roles.CUSTOMS_OFFICER)
    assert officer.is_staff
    assert not officer.has_usable_password()
    assert officer.has_perm("accounts.view_organization")
    assert AuditEvent.objects.filter(action="accounts.user.create", target_id=str(officer.pk)).exists()


def test_role_must_fit_the_organization(zone_admin, customs):
    with pytest.raises(ApplicationError) as info:
        services.user_create(actor=zone_admin, organization=customs, username="x", email="x@example.com",
                             full_name="x", mobile="", role=roles.TAX_OFFICER)
    assert info.value.code == "role_org_mismatch"


def test_enterprise_admin_cannot_create_officers(user_a, customs):
    with pytest.raises(PermissionDenied):
        services.user_create(actor=user_a, organization=customs, username="sneaky", email="s@example.com",
                             full_name="s", mobile="", role=roles.CUSTOMS_OFFICER)
    assert not User.objects.filter(username="sneaky").exists()


def test_api_client_secret_is_never_stored(user_a):
    client, secret = services.api_client_create(actor=user_a, organization=user_a.organization,
                                                name="订单系统", scopes=["order:write"])
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM accounts_apiclient WHERE id = %s", [client.pk])
        row = " ".join(str(v) for v in cur.fetchone())
    assert secret not in row
    assert hashlib.sha256(secret.encode()).hexdigest() not in row  # even the signing key is encrypted
    assert ApiClient.objects.get(pk=client.pk).signing_key == hashlib.sha256(secret.encode()).hexdigest()


def test_api_client_scopes_are_checked(user_a):
    with pytest.raises(ApplicationError) as info:
        services.api_client_create(actor=user_a, organization=user_a.organization, name="x",
                                   scopes=["order:write", "everything:admin"])
    assert info.value.code == "scope_unknown"
    assert not ApiClient.objects.exists()


def test_rotation_replaces_the_key_and_revocation_is_final(user_a):
    client, secret = services.api_client_create(actor=user_a, organization=user_a.organization,
                                                name="erp", scopes=[])
    new_secret = services.api_client_rotate(actor=user_a, client=client)
    client.refresh_from_db()
    assert new_secret != secret
    assert client.signing_key == hashlib.sha256(new_secret.encode()).hexdigest()
    services.api_client_revoke(actor=user_a, client=client)
    services.api_client_revoke(actor=user_a, client=client)  # repeating is a no-op
    assert AuditEvent.objects.filter(action="accounts.apiclient.revoke").count() == 1
    with pytest.raises(Conflict):
        services.api_client_rotate(actor=user_a, client=client)


def test_another_enterprise_cannot_manage_the_client(user_a, user_b, operator_a):
    client, _ = services.api_client_create(actor=user_a, organization=user_a.organization, name="erp",
                                           scopes=[])
    for intruder in (user_b, operator_a):
        events = AuditEvent.objects.count()
        with pytest.raises(PermissionDenied):
            services.api_client_revoke(actor=intruder, client=client)
        client.refresh_from_db()
        assert client.is_active
        assert AuditEvent.objects.count() == events
