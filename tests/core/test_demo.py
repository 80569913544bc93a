"""``manage.py load_demo``: the demo organizations and one working login per role, idempotently."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import password_validation
from django.core.management import call_command

from zone_portal.accounts import roles
from zone_portal.accounts.models import Organization, User
from zone_portal.accounts.validators import is_valid_uscc
from zone_portal.audit.models import AuditEvent
from zone_portal.core import demo

K = Organization.Kind


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Nine users a run with the production PBKDF2 cost would make this module crawl."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _load(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def _login_lines(output: str) -> list[list[str]]:
    return [line.split() for line in output.splitlines() if demo.DEMO_PASSWORD in line]


def test_load_demo_creates_departments_enterprises_and_one_user_per_role(db):
    output = _load()

    kinds = list(Organization.objects.values_list("kind", flat=True))
    for kind in (K.ZONE_OFFICE, K.TAX, K.FOREX, K.COMMERCE, K.MARKET, K.BANK):
        assert kinds.count(kind) == 1, kind
    assert kinds.count(K.CUSTOMS) == 2  # the zone's customs and a subordinate customs house (隶属海关)
    assert Organization.objects.filter(kind=K.CUSTOMS, name="综试区海关").exists()
    enterprises = Organization.objects.filter(kind=K.ENTERPRISE)
    assert enterprises.count() >= 3
    for enterprise in enterprises:
        assert is_valid_uscc(enterprise.uscc), enterprise.uscc
        assert enterprise.name.endswith("有限公司")

    users = {u.username: u for u in User.objects.all()}
    assert set(users) == {u.username for u in demo.USERS}
    by_role = {next(iter(u.role_codes())): u for u in users.values()}
    assert set(by_role) == set(roles.ROLES), "exactly one demo user per role"
    for code, user in by_role.items():
        role = roles.ROLES[code]
        assert user.role_codes() == {code}
        assert user.organization.kind == role.org_kind
        assert user.is_staff is role.staff
        assert user.is_superuser is False
        assert user.check_password(demo.DEMO_PASSWORD)
    assert by_role[roles.ZONE_ADMIN].is_staff is True
    assert by_role[roles.CUSTOMS_OFFICER].is_officer
    assert by_role[roles.ENTERPRISE_ADMIN].is_enterprise_user
    assert not User.objects.filter(username="admin").exists()
    assert not User.objects.filter(is_superuser=True).exists()

    assert "organizations: 13 created, 0 already there; users: 9 created, 0 already there" in output
    assert len(_login_lines(output)) == len(roles.ROLES)


def test_personal_data_of_demo_users_is_stored_encrypted(db):
    _load()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT mobile FROM accounts_user WHERE username = 'demo_customs'")
        [(stored,)] = cursor.fetchall()
    assert stored.startswith("sm4:")
    assert User.objects.get(username="demo_customs").mobile == "13900000203"


def test_load_demo_twice_creates_nothing_new_and_audits_only_the_first_run(db):
    _load()
    counts = (Organization.objects.count(), User.objects.count(), AuditEvent.objects.count())
    user_ids = set(User.objects.values_list("pk", flat=True))

    output = _load()

    assert (Organization.objects.count(), User.objects.count(), AuditEvent.objects.count()) == counts
    assert set(User.objects.values_list("pk", flat=True)) == user_ids
    assert "organizations: 0 created, 13 already there; users: 0 created, 9 already there" in output


def test_every_created_organization_and_user_has_a_system_audit_event(db):
    _load()

    org_events = AuditEvent.objects.filter(action="accounts.organization.create")
    user_events = AuditEvent.objects.filter(action="accounts.user.create")
    assert {int(e.target_id) for e in org_events} == set(Organization.objects.values_list("pk", flat=True))
    assert {int(e.target_id) for e in user_events} == set(User.objects.values_list("pk", flat=True))
    for event in [*org_events, *user_events]:
        assert event.actor_user_id is None
        assert event.actor_api_client_id is None
        assert event.actor_label == "system"
        assert event.extra["source"] == "load_demo"
    customs_event = user_events.get(target_repr="demo_customs")
    assert customs_event.extra["role"] == roles.CUSTOMS_OFFICER
    # Personal data in the audit trail is masked, never the plaintext.
    assert customs_event.changes["mobile"] == [None, "139****0203"]


def test_load_demo_keeps_an_existing_demo_user_as_it_is(db):
    _load()
    user = User.objects.get(username="demo_tax")
    user.set_password("Changed!2026pw")
    user.save()

    _load()

    user.refresh_from_db()
    assert user.check_password("Changed!2026pw")


def test_demo_password_satisfies_the_password_policy_for_every_demo_user(db):
    _load()
    for user in User.objects.all():
        password_validation.validate_password(demo.DEMO_PASSWORD, user)  # raises if not


def test_logins_only_prints_one_line_per_role_without_touching_the_database():
    # No db fixture: any query would fail with "Database access not allowed".
    output = _load("--logins-only")

    lines = _login_lines(output)
    assert len(lines) == len(roles.ROLES)
    assert len(output.strip().splitlines()) == len(roles.ROLES), "nothing but the login lines"
    assert [line[-2] for line in lines] == [u.username for u in demo.USERS]
    labels = [str(roles.ROLES[u.role].label) for u in demo.USERS]
    for label, line in zip(labels, output.strip().splitlines(), strict=True):
        assert line.startswith(label)


def test_the_printed_logins_are_the_accounts_load_demo_creates(db):
    printed = _login_lines(_load("--logins-only"))
    _load()
    for *_label, username, password in printed:
        assert User.objects.get(username=username).check_password(password)


@pytest.mark.parametrize("username", ["demo_customs", "demo_zone_admin", "demo_bank"])
def test_demo_officers_can_sign_in_to_the_back_office(client, db, username):
    _load()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_demo_enterprise_users_cannot_enter_the_back_office(client, db):
    _load()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "demo_ent_admin", "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 200  # the form again, with an error
    assert response.context["form"].has_error("__all__", "invalid_login")
    assert client.get("/admin/").status_code == 302
