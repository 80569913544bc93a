"""The menu of each role: the right entries, and no link to a page that does not exist."""

import pytest
from django.urls import Resolver404, resolve, reverse

from tests.accounts.factories import DepartmentFactory, OfficerFactory, UserFactory
from tests.portal.markup import parse
from zone_portal.accounts import roles
from zone_portal.portal import registry

pytestmark = pytest.mark.django_db


def _nav_links(client, url=None):
    """The links of the navigation bar (the <nav> element), by parsing the rendered page."""
    html = client.get(url or reverse("portal:dashboard")).content.decode()
    start = html.index("<nav")
    nav = html[start:html.index("</nav>", start)]
    return parse(nav).links


def _assert_all_routed(links):
    for href in links:
        if href.startswith("#"):
            continue
        try:
            resolve(href.split("?")[0])
        except Resolver404:
            pytest.fail(f"dead link in the menu: {href}")


def test_anonymous_menu_offers_home_register_and_login(client):
    links = _nav_links(client, reverse("portal:home"))
    assert reverse("portal:home") in links
    assert reverse("accounts:register") in links
    assert reverse("accounts:login") in links
    assert reverse("portal:dashboard") not in links
    _assert_all_routed(links)


def test_a_module_adds_a_public_entry_for_visitors_only(client, user_a):
    registry.register_menu_item(key="test_public", label="Public look-up", url_name="accounts:password_reset",
                                icon="star", roles={registry.VISITOR}, order=10)
    try:
        links = _nav_links(client, reverse("portal:home"))
        assert "Public look-up" in client.get(reverse("portal:home")).content.decode()
        # after Home, before Register
        assert links.index(reverse("portal:home")) < links.index(reverse("accounts:password_reset")) \
            < links.index(reverse("accounts:register"))
        _assert_all_routed(links)
        client.force_login(user_a)
        assert "Public look-up" not in client.get(reverse("portal:dashboard")).content.decode()
    finally:
        registry._MENU.pop("test_public", None)


def test_enterprise_admin_menu_has_api_clients_and_no_back_office(client, user_a):
    client.force_login(user_a)
    links = _nav_links(client)
    assert reverse("portal:dashboard") in links
    assert reverse("accounts:api_client_list") in links
    assert reverse("admin:index") not in links
    assert reverse("accounts:password_change") in links
    _assert_all_routed(links)


def test_enterprise_operator_menu_has_no_api_clients(client, operator_a):
    client.force_login(operator_a)
    links = _nav_links(client)
    assert reverse("portal:dashboard") in links
    assert reverse("accounts:api_client_list") not in links
    _assert_all_routed(links)


@pytest.mark.parametrize("role", [roles.CUSTOMS_OFFICER, roles.BANK_OFFICER, roles.ZONE_ADMIN])
def test_officer_menu_has_the_back_office(client, role):
    officer = OfficerFactory(
        organization=DepartmentFactory(kind=roles.ROLES[role].org_kind), role=role
    )
    client.force_login(officer)
    links = _nav_links(client)
    assert reverse("admin:index") in links
    assert reverse("accounts:api_client_list") not in links
    _assert_all_routed(links)


def test_logout_is_a_post_form_and_logs_out(client, user_a):
    client.force_login(user_a)
    page = parse(client.get(reverse("portal:dashboard")).content)
    logout_forms = [f for f in page.forms if f["action"] == reverse("accounts:logout")]
    assert len(logout_forms) == 1
    assert logout_forms[0]["method"] == "post"
    assert reverse("accounts:logout") not in page.links  # a GET link would answer 405

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("portal:dashboard")).status_code == 302  # signed out


def test_menu_hides_an_entry_whose_page_is_not_routed_yet(client, user_a):
    registry.register_menu_item(key="test_future", label="Future module", url_name="future:index",
                                icon="star", roles={roles.ENTERPRISE_ADMIN}, order=10)
    try:
        client.force_login(user_a)
        html = client.get(reverse("portal:dashboard")).content.decode()
        assert "Future module" not in html
    finally:
        registry._MENU.pop("test_future", None)


def test_a_module_adds_its_menu_entry_for_the_roles_it_names(client, user_a, operator_a):
    registry.register_menu_item(key="test_home_again", label="Zone policies", url_name="portal:home",
                                icon="star", roles={roles.ENTERPRISE_ADMIN}, order=10)
    try:
        client.force_login(user_a)
        assert "Zone policies" in client.get(reverse("portal:dashboard")).content.decode()
        client.force_login(operator_a)
        assert "Zone policies" not in client.get(reverse("portal:dashboard")).content.decode()
    finally:
        registry._MENU.pop("test_home_again", None)


def test_current_section_is_marked_in_the_menu(client, user_a):
    client.force_login(user_a)
    html = client.get(reverse("accounts:api_client_list")).content.decode()
    nav = html[html.index("<nav"):html.index("</nav>")]
    marked = nav[: nav.index('aria-current="page"')]
    assert marked.rstrip().endswith(f'href="{reverse("accounts:api_client_list")}"')


def test_user_without_role_gets_a_menu_and_an_explanation(client):
    user = UserFactory(organization=None)
    user.groups.clear()
    client.force_login(user)
    response = client.get(reverse("portal:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "no role yet" in html
    assert 'id="queue-' not in html  # no work queue without a role
