"""Django's login and password pages, rendered with the portal's templates."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.portal.markup import parse

pytestmark = pytest.mark.django_db

PASSWORD = "Passw0rd!Zone"


def test_login_page_renders_bootstrap_fields_and_the_reset_link(client):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "registration/login.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert re.search(r'<input type="text" name="username"[^>]*class="form-control"', html)
    assert re.search(r'<input type="password" name="password"[^>]*class="form-control"', html)
    assert '<label class="form-label" for="id_username">' in html
    links = parse(html).links
    assert reverse("accounts:password_reset") in links
    assert reverse("accounts:register") in links


def test_wrong_password_shows_the_error_and_keeps_the_user_out(client, user_a):
    response = client.post(reverse("accounts:login"), {"username": "admin_a", "password": "wrong-one"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="alert alert-danger"' in html
    assert "Please enter a correct username and password" in html
    assert "_auth_user_id" not in client.session


def test_login_keeps_the_next_page(client, user_a):
    target = reverse("accounts:api_client_list")
    response = client.get(f"{reverse('accounts:login')}?next={target}")
    page = parse(response.content)
    login_form = next(f for f in page.forms if f["action"] == reverse("accounts:login"))
    assert login_form["inputs"]["next"] == target
    response = client.post(reverse("accounts:login"),
                           {"username": "admin_a", "password": PASSWORD, "next": target})
    assert response["Location"] == target


def test_password_change_shows_field_errors_next_to_the_field(client, user_a):
    client.force_login(user_a)
    response = client.post(reverse("accounts:password_change"), {
        "old_password": "not-my-password", "new_password1": "N3w-Zone-Password", "new_password2": "N3w-Zone-Password",
    }, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'name="old_password"[^>]*class="form-control is-invalid"', html)
    assert 'id="id_old_password_error"' in html
    assert 'aria-describedby="id_old_password_error"' in html
    assert "Your old password was entered incorrectly" in html
    # the password rules are shown as help text, linked to the field
    assert 'id="id_new_password1_helptext"' in html
    user_a.refresh_from_db()
    assert user_a.check_password(PASSWORD)


def test_password_change_succeeds_and_says_so(client, user_a):
    client.force_login(user_a)
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "N3w-Zone-Password", "new_password2": "N3w-Zone-Password",
    }, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.status_code == 200
    assert "Your password was changed" in response.content.decode()
    user_a.refresh_from_db()
    assert user_a.check_password("N3w-Zone-Password")


def test_password_reset_mails_a_working_link_to_choose_a_new_password(client, user_a, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post(reverse("accounts:password_reset"), {"email": user_a.email},
                           HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Check your e-mail" in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user_a.email]
    assert message.subject == "Reset your password on the Pilot-zone public service platform"
    assert "admin_a" in message.body
    path = re.search(r"http://testserver(/\S+)", message.body).group(1)

    response = client.get(path, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Choose a new password" in response.content.decode()
    set_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(set_url, {"new_password1": "Reset-Zone-2026", "new_password2": "Reset-Zone-2026"},
                           HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Your new password is set" in response.content.decode()
    user_a.refresh_from_db()
    assert user_a.check_password("Reset-Zone-2026")

    # the link works once
    response = client.get(path, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "This link cannot be used" in response.content.decode()


def test_password_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"},
                           HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Check your e-mail" in response.content.decode()
    assert mail.outbox == []
