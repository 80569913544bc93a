"""Every page runs under the CSP (no inline script or style) and loads only the portal's files."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.accounts.factories import DepartmentFactory, OfficerFactory
from tests.portal.markup import assert_csp_clean, parse
from zone_portal.accounts import roles

pytestmark = pytest.mark.django_db


def test_the_checker_catches_what_the_csp_would_block():
    """The helper the page tests rely on does fail on each kind of violation."""
    bad_pages = [
        "<html><body><script>alert(1)</script></body></html>",
        '<html><body><p style="color:red">x</p></body></html>',
        "<html><head><style>p{}</style></head></html>",
        '<html><body><button onclick="go()">x</button></body></html>',
        '<html><body><a href="javascript:go()">x</a></body></html>',
        '<html><head><script src="https://cdn.example.com/htmx.js"></script></head></html>',
        '<html><head><link rel="stylesheet" href="//cdn.example.com/b.css"></head></html>',
    ]
    for html in bad_pages:
        with pytest.raises(AssertionError):
            assert_csp_clean(html)
    page = assert_csp_clean('<html lang="en"><script id="d" type="application/json">{"a": 1}</script>'
                            '<script src="/static/portal/portal.js"></script></html>')
    assert page.lang == "en"


def test_public_pages_are_csp_clean(client):
    for name in ("portal:home", "accounts:login", "accounts:password_reset"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        page = assert_csp_clean(response.content)
        assert "/static/vendor/bootstrap-5.3.9/bootstrap.min.css" in page.stylesheet_hrefs
        assert "/static/vendor/htmx-2.0.11/htmx.min.js" in page.script_srcs
        assert "/static/portal/portal.js" in page.script_srcs


def test_pages_carry_the_htmx_config_that_keeps_htmx_from_injecting_styles(client):
    html = client.get(reverse("portal:home")).content.decode()
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false""" in html


def test_csp_header_forbids_inline_code(client):
    policy = client.get(reverse("portal:home"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize(
    "role",
    [roles.ENTERPRISE_ADMIN, roles.ENTERPRISE_OPERATOR, roles.CUSTOMS_OFFICER, roles.TAX_OFFICER,
     roles.FOREX_OFFICER, roles.BANK_OFFICER, roles.COMMERCE_OFFICER, roles.MARKET_OFFICER,
     roles.ZONE_ADMIN],
)
def test_every_dashboard_and_account_page_is_csp_clean(client, org_a, role):
    from tests.accounts.factories import UserFactory

    if roles.ROLES[role].staff:
        user = OfficerFactory(organization=DepartmentFactory(kind=roles.ROLES[role].org_kind), role=role)
    else:
        user = UserFactory(organization=org_a, role=role)
    client.force_login(user)
    for url in (reverse("portal:dashboard"), reverse("portal:home"), reverse("accounts:password_change"),
                reverse("accounts:password_change_done")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_csp_clean(response.content)


def test_password_reset_pages_are_csp_clean(client, user_a, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = client.post(reverse("accounts:password_reset"), {"email": user_a.email})
    assert response.status_code == 302
    assert_csp_clean(client.get(response["Location"]).content)
    link = re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    assert response.status_code == 200
    page = assert_csp_clean(response.content)
    assert any(f["method"] == "post" for f in page.forms)
    assert_csp_clean(client.get(reverse("accounts:password_reset_complete")).content)


def test_form_errors_render_without_inline_styles(client, user_a):
    response = client.post(reverse("accounts:login"), {"username": "admin_a", "password": "wrong"})
    assert response.status_code == 200
    assert_csp_clean(response.content)
    assert parse(response.content).lang == "zh-hans"
