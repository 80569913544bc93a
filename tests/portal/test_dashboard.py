"""Each role lands on its own home page, and sees nothing of another role or enterprise."""

import pytest
from django.db import transaction
from django.urls import reverse

from tests.accounts.factories import DepartmentFactory, OfficerFactory, OrganizationFactory
from tests.portal.markup import parse
from zone_portal.accounts import roles
from zone_portal.accounts.models import Organization
from zone_portal.audit.services import audit_record
from zone_portal.portal import registry

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("portal:dashboard")


def _get(client, user):
    client.force_login(user)
    response = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def _officer(role):
    return OfficerFactory(organization=DepartmentFactory(kind=roles.ROLES[role].org_kind), role=role)


def test_dashboard_sends_anonymous_visitors_to_login(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={DASHBOARD}"


def test_login_lands_on_the_dashboard(client, user_a):
    response = client.post(reverse("accounts:login"),
                           {"username": "admin_a", "password": "Passw0rd!Zone"})
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD


def test_enterprise_admin_sees_the_own_organization_and_empty_queues(client, user_a, org_a):
    html = _get(client, user_a)
    assert org_a.name in html
    assert org_a.uscc in html
    assert "Enterprise administrator" in html
    # the work queue cards, each with its honest empty state
    for key in ("enterprise_filing", "goods_filings", "declarations"):
        assert f'id="queue-{key}"' in html
    assert "File your enterprise" in html  # the filing module fills this card
    assert reverse("accounts:api_client_list") in parse(html).links
    # nothing of the zone administrator's page
    assert "recent-audit-events" not in html
    assert "Recent audit events" not in html


def test_enterprise_operator_sees_the_organization_but_no_api_client_management(client, operator_a, org_a):
    html = _get(client, operator_a)
    assert org_a.name in html
    assert "Enterprise operator" in html
    assert "Manage API clients" not in html


def test_enterprise_b_sees_nothing_of_enterprise_a(client, user_a, user_b, org_a, org_b):
    html = _get(client, user_b)
    assert org_b.name in html and org_b.uscc in html
    assert org_a.name not in html
    assert org_a.uscc not in html
    assert org_a.name_en not in html
    assert "admin_a" not in html


@pytest.mark.parametrize(
    ("role", "own_queue", "foreign_queue"),
    [
        (roles.CUSTOMS_OFFICER, "held_lists", "refund_reviews"),
        (roles.TAX_OFFICER, "refund_reviews", "held_lists"),
        (roles.FOREX_OFFICER, "settlement_requests", "goods_reviews"),
        (roles.BANK_OFFICER, "financing_applications", "filing_reviews"),
        (roles.COMMERCE_OFFICER, "credit_records", "held_lists"),
        (roles.MARKET_OFFICER, "credit_records", "refund_reviews"),
    ],
)
def test_officer_sees_the_department_review_queue(client, org_a, role, own_queue, foreign_queue):
    officer = _officer(role)
    html = _get(client, officer)
    assert officer.organization.name_en in html  # English page: the English name
    assert "review queue" in html
    assert f'id="queue-{own_queue}"' in html
    assert f'id="queue-{foreign_queue}"' not in html
    assert reverse("admin:index") in parse(html).links
    # an officer's home is not an enterprise's or the zone office's
    assert "organization-summary" not in html
    assert "recent-audit-events" not in html
    assert org_a.name not in html


def test_zone_admin_sees_counts_audit_events_and_back_office_links(client, zone_admin, org_a, org_b,
                                                                   user_a):
    DepartmentFactory(kind=Organization.Kind.CUSTOMS)
    with transaction.atomic():
        audit_record(actor=user_a, action="accounts.organization.register", target=org_a)
    html = _get(client, zone_admin)
    assert "recent-audit-events" in html
    assert "accounts.organization.register" in html
    assert "admin_a" in html  # the actor label as stored
    # organizations by kind: 2 enterprises, 1 customs, 1 zone office (the admin's own)
    page_counts = html[html.index('id="organization-counts"'):]
    page_counts = page_counts[: page_counts.index("</table>")]
    assert "<td>Enterprise (企业)</td><td class=\"text-end\">2</td>" in page_counts
    assert "<td>Customs (海关)</td><td class=\"text-end\">1</td>" in page_counts
    assert "<td>Bank (银行)</td><td class=\"text-end\">0</td>" in page_counts
    links = parse(html).links
    assert reverse("admin:index") in links
    assert reverse("admin:accounts_user_add") in links
    # the chart's data travels as JSON, not as inline script code
    assert '<script id="organization-chart" type="application/json">' in html
    assert "echarts-6.1.0/echarts.min.js" in html
    # no enterprise home on this page
    assert "organization-summary" not in html


def test_zone_admin_sees_at_most_ten_recent_events_newest_first(client, zone_admin, user_a, org_a):
    with transaction.atomic():
        for n in range(12):
            audit_record(actor=user_a, action=f"test.event.n{n:02d}", target=org_a)
    html = _get(client, zone_admin)
    assert "test.event.n11" in html
    assert "test.event.n02" in html
    assert "test.event.n01" not in html
    assert html.index("test.event.n11") < html.index("test.event.n10")


def test_dashboard_only_shows_data_to_the_roles_it_is_meant_for(client, user_a, zone_admin):
    """The zone-wide counts never reach an enterprise page."""
    OrganizationFactory.create_batch(3)
    html = _get(client, user_a)
    assert "organization-counts" not in html
    assert "Active users" not in html


def test_a_module_fills_its_queue_card(client, user_a, org_a):
    seen = []

    def provider(user):
        seen.append(user.pk)
        return registry.QueueFill(
            count=2,
            items=(registry.QueueItem(label="Filing ZF-0001", url="/", note="submitted"),),
            url=reverse("portal:home"),
        )

    previous = registry.queue_provider("enterprise_filing")
    registry.register_queue_provider("enterprise_filing", provider)
    try:
        html = _get(client, user_a)
    finally:
        registry.unregister_queue_provider("enterprise_filing")
        if previous is not None:  # give the card back to the filing module for the next tests
            registry.register_queue_provider("enterprise_filing", previous)
    assert seen == [user_a.pk]  # called with the signed-in user, who scopes the data
    card = html[html.index('id="queue-enterprise_filing"'):]
    card = card[: card.index('id="queue-', 10)]
    assert "Filing ZF-0001" in card
    assert ">2</span>" in card
    assert "No filings yet" not in card
    assert "Open the full list" in card


def test_a_failing_queue_provider_does_not_take_the_dashboard_down(client, user_a, org_a):
    def provider(user):
        raise RuntimeError("module database unavailable")

    previous = registry.queue_provider("goods_filings")
    registry.register_queue_provider("goods_filings", provider)
    try:
        html = _get(client, user_a)
    finally:
        registry.unregister_queue_provider("goods_filings")
        if previous is not None:
            registry.register_queue_provider("goods_filings", previous)
    assert org_a.name in html
    assert 'id="queue-goods_filings"' in html


def test_registering_a_provider_for_an_unknown_queue_is_an_error():
    with pytest.raises(KeyError):
        registry.register_queue_provider("no_such_queue", lambda user: None)


def test_enterprise_user_sees_the_english_name_on_english_pages(client, user_a, org_a):
    client.force_login(user_a)
    client.post(reverse("set_language"), {"language": "en", "next": DASHBOARD})
    html = client.get(DASHBOARD).content.decode()
    title = html[html.index("<h1"):html.index("</h1>")]
    assert org_a.name_en in title
