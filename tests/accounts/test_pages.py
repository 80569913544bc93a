"""Registration, login and API client pages, with the fixed cast of permission tests."""

import pytest
from django.urls import reverse

from tests.accounts.factories import make_uscc
from zone_portal.accounts import roles, services
from zone_portal.accounts.models import ApiClient, Organization, User
from zone_portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

REGISTER = reverse("accounts:register")


def _form(**overrides):
    data = {
        "organization_name": "宁波测试跨境电商有限公司", "organization_name_en": "Ningbo Test CBEC Ltd.",
        "uscc": make_uscc(42), "contact_name": "陈七", "mobile": "13600001234", "email": "chen@example.com",
        "username": "nb_admin", "password1": "Ningbo-Zone-2026", "password2": "Ningbo-Zone-2026",
    }
    data.update(overrides)
    return data


def test_registration_logs_the_new_admin_in(client):
    response = client.post(REGISTER, _form())
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")
    user = User.objects.get(username="nb_admin")
    assert roles.role_of(user).code == roles.ENTERPRISE_ADMIN
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_duplicate_uscc_is_refused_with_a_clear_message(client, org_a):
    response = client.post(REGISTER, _form(uscc=org_a.uscc), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "already registered" in response.context["form"].errors["uscc"][0]
    assert Organization.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("uscc", "91110000600037341K", "check character"),
        ("mobile", "1360000123", "11-digit"),
        ("password1", "short1A!", "too short"),
        ("password1", "alllowercaseletters", "at least 3 kinds"),
    ],
)
def test_bad_input_gets_a_field_error(client, field, value, fragment):
    data = _form(**{field: value})
    if field == "password1":
        data["password2"] = value
    response = client.post(REGISTER, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors[field])
    assert fragment in errors
    assert not User.objects.filter(username="nb_admin").exists()


def test_registration_is_rate_limited(client, settings):
    settings.REGISTRATION_RATE_LIMIT = "2/h"
    for n in range(2):
        client.post(REGISTER, _form(uscc="bad", username=f"u{n}"))
    response = client.post(REGISTER, _form())
    assert response.status_code == 429
    assert not User.objects.filter(username="nb_admin").exists()


def test_five_failed_logins_lock_the_account_for_fifteen_minutes(client, user_a):
    url = reverse("accounts:login")
    for _ in range(5):
        client.post(url, {"username": "admin_a", "password": "wrong-password"})
    locked = client.post(url, {"username": "admin_a", "password": "Passw0rd!Zone"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_officer_sessions_expire_after_thirty_idle_minutes(client, officer_with_perm, user_a):
    client.force_login(officer_with_perm)
    client.get(reverse("portal:dashboard"))
    assert client.session.get_expiry_age() == 30 * 60
    client.logout()
    client.force_login(user_a)
    client.get(reverse("portal:dashboard"))
    assert client.session.get_expiry_age() > 30 * 60


# --- API clients ------------------------------------------------------------------------------

def test_admin_creates_a_client_and_sees_the_secret_once(client, user_a):
    client.force_login(user_a)
    response = client.post(reverse("accounts:api_client_create"),
                           {"name": "订单系统", "scopes": ["order:write", "order:read"]})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret and secret.encode() in response.content
    assert response["Cache-Control"].startswith("max-age=0")
    api_client = ApiClient.objects.get(organization=user_a.organization)
    assert api_client.scopes == ["order:read", "order:write"]
    for url in (reverse("accounts:api_client_list"), reverse("accounts:api_client_detail", args=[api_client.pk])):
        page = client.get(url)
        assert page.status_code == 200
        assert secret.encode() not in page.content


def test_rotate_shows_a_new_secret_and_revoke_stops_the_client(client, user_a):
    api_client, old = services.api_client_create(actor=user_a, organization=user_a.organization,
                                                 name="erp", scopes=[])
    client.force_login(user_a)
    rotated = client.post(reverse("accounts:api_client_rotate", args=[api_client.pk]))
    assert rotated.status_code == 200
    assert rotated.context["secret"] != old
    revoked = client.post(reverse("accounts:api_client_revoke", args=[api_client.pk]), {"reason": "retired"})
    assert revoked.status_code == 302
    api_client.refresh_from_db()
    assert api_client.status == ApiClient.Status.REVOKED


@pytest.mark.parametrize("who", ["user_b", "operator_a", "officer_with_perm", "officer_without_perm"])
def test_nobody_else_sees_or_touches_enterprise_a_clients(client, user_a, who, request):
    api_client, _ = services.api_client_create(actor=user_a, organization=user_a.organization,
                                               name="erp", scopes=["order:read"])
    events = AuditEvent.objects.count()
    client.force_login(request.getfixturevalue(who))
    urls = [
        (reverse("accounts:api_client_detail", args=[api_client.pk]), "get"),
        (reverse("accounts:api_client_rotate", args=[api_client.pk]), "post"),
        (reverse("accounts:api_client_revoke", args=[api_client.pk]), "post"),
    ]
    if who == "user_b":  # B's administrator has its own (empty) list, without A's client
        listing = client.get(reverse("accounts:api_client_list"))
        assert listing.status_code == 200
        assert api_client.key_id.encode() not in listing.content
    else:  # operators and officers have no API client pages at all
        urls += [(reverse("accounts:api_client_list"), "get"), (reverse("accounts:api_client_create"), "get")]
    for url, method in urls:
        assert getattr(client, method)(url).status_code == 404, url
    api_client.refresh_from_db()
    assert api_client.is_active
    assert AuditEvent.objects.count() == events


def test_anonymous_is_sent_to_login(client, user_a):
    response = client.get(reverse("accounts:api_client_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- back office ------------------------------------------------------------------------------

def test_zone_admin_creates_an_officer_in_the_back_office(client, zone_admin, customs):
    client.force_login(zone_admin)
    response = client.post(reverse("admin:accounts_user_add"), {
        "organization": customs.pk, "role": roles.CUSTOMS_OFFICER, "username": "customs2",
        "full_name": "孙八", "email": "sun@example.gov.cn", "mobile": "13511112222",
    })
    assert response.status_code == 302
    officer = User.objects.get(username="customs2")
    assert officer.is_staff and roles.role_of(officer).code == roles.CUSTOMS_OFFICER


@pytest.mark.parametrize("who", ["officer_with_perm", "officer_without_perm"])
def test_other_officers_cannot_create_users(client, who, request, customs):
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("admin:accounts_user_add"), {
        "organization": customs.pk, "role": roles.CUSTOMS_OFFICER, "username": "customs3",
        "full_name": "x", "email": "x@example.gov.cn",
    })
    assert response.status_code == 403
    assert not User.objects.filter(username="customs3").exists()


def test_enterprise_users_cannot_enter_the_back_office(client, user_a):
    client.force_login(user_a)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_back_office_shows_personal_data_masked(client, zone_admin, user_a):
    client.force_login(zone_admin)
    page = client.get(reverse("admin:accounts_user_change", args=[user_a.pk]))
    assert page.status_code == 200
    assert user_a.mobile.encode() not in page.content
    assert (user_a.mobile[:3] + "****" + user_a.mobile[-4:]).encode() in page.content
