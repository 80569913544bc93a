"""Links between a declared document (the hub's page), its trade's reconciliation (三单比对) and,
for an inventory list, its clearance and tax bill (清单核放): each page leads to the others, and
only to pages the signed-in user may open — another enterprise's result or list is not linked."""

from __future__ import annotations

import re

import pytest

from filings.clearance.services import lists_clear
from filings.models import Declaration
from filings.reconciliation.models import ReconciliationResult
from tests.accounts.factories import OrganizationFactory, UserFactory
from tests.filings.clearance.factories import (
    CREAM,
    LIPSTICK,
    InventoryListFactory,
    TaxBillFactory,
    ensure_policies,
    ensure_rate,
)
from tests.filings.factories import DeclarationFactory
from tests.filings.reconciliation.conftest import (
    declared_list,
    import_order,
    import_payment,
    import_waybill,
    result_of,
)
from tests.filings.reconciliation.factories import ReconciliationResultFactory
from zone_portal.accounts import roles

pytestmark = pytest.mark.django_db


def document_url(d) -> str:
    return f"/filings/declarations/{d.pk}/"


def links_in(html: str, element_id: str) -> list[str]:
    """The hrefs inside the element with ``element_id`` (a <dd> or <div> without nested ones)."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(dd|div)>', html, re.S)
    return re.findall(r'href="([^"]+)"', match.group(1)) if match else []


def user_of(org):
    return UserFactory(organization=org, role=roles.ENTERPRISE_OPERATOR)


@pytest.fixture
def released(cast, declare, reconcile_now):
    """A whole import trade declared through the API, reconciled (matched) and its list released
    with a tax bill; returns the list."""
    ensure_policies()
    ensure_rate(CREAM, "0.13")
    ensure_rate(LIPSTICK, "0.13", "0.15")
    for doc in (import_order(cast), import_payment(cast), import_waybill(cast), declared_list(cast)):
        declare(doc)
    reconcile_now()
    inventory = Declaration.objects.get(kind="CEB621")
    lists_clear(declaration_ids=[inventory.pk])
    inventory.refresh_from_db()
    assert result_of().status == ReconciliationResult.Status.MATCHED
    assert inventory.list_state == Declaration.ListState.RELEASED
    return inventory


def test_the_list_leads_to_its_reconciliation_and_clearance_and_back(client, cast, released):
    result = result_of()
    client.force_login(user_of(cast.ebc.org))
    page = client.get(document_url(released)).content.decode()
    assert links_in(page, "reconciliation-link") == [f"/filings/reconciliation/{result.pk}/"]
    assert links_in(page, "clearance-link") == [f"/filings/lists/{released.pk}/"]
    assert released.tax_bill.tax_no in page

    clearance = client.get(f"/filings/lists/{released.pk}/")
    assert clearance.status_code == 200
    html = clearance.content.decode()
    assert f'href="{document_url(released)}" id="document-link"' in html
    assert links_in(html, "reconciliation-link") == [f"/filings/reconciliation/{result.pk}/"]

    reconciliation = client.get(f"/filings/reconciliation/{result.pk}/")
    assert reconciliation.status_code == 200
    html = reconciliation.content.decode()
    assert f'href="{document_url(released)}" data-document="inventory"' in html
    assert f'href="/filings/lists/{released.pk}/" id="clearance-link"' in html


@pytest.mark.parametrize("kind", ["CEB311", "CEB411", "CEB511"])
def test_every_document_of_the_trade_leads_to_its_result(client, cast, released, kind):
    document = Declaration.objects.get(kind=kind)
    declarant = {"CEB311": cast.platform, "CEB411": cast.payer, "CEB511": cast.logistics}[kind]
    client.force_login(user_of(declarant.org))
    page = client.get(document_url(document)).content.decode()
    assert links_in(page, "reconciliation-link") == [f"/filings/reconciliation/{result_of().pk}/"]
    assert links_in(page, "clearance-link") == []  # not a list


@pytest.mark.parametrize("party", ["platform", "ebc", "payer", "logistics"])
def test_every_link_on_the_pages_opens_for_the_user_who_sees_it(client, cast, released, party):
    """The payment company sees the trade's result but not the others' documents: the result page
    offers no link to them, and whatever it does link opens."""
    client.force_login(user_of(getattr(cast, party).org))
    result = result_of()
    pages = [f"/filings/reconciliation/{result.pk}/"] + [
        document_url(d) for d in Declaration.objects.filter(order_no="ORD-0001")]
    for url in pages:
        response = client.get(url)
        if response.status_code == 404:
            continue  # another enterprise's document: not this user's page
        html = response.content.decode()
        linked = re.findall(r'href="(/filings/(?:declarations|reconciliation|lists)/\d+/)"', html)
        for href in linked:
            assert client.get(href).status_code == 200, f"{url} links to {href}, which {party} may not open"


def test_the_payment_company_gets_no_link_to_documents_it_may_not_open(client, cast, released):
    client.force_login(user_of(cast.payer.org))
    html = client.get(f"/filings/reconciliation/{result_of().pk}/").content.decode()
    order = Declaration.objects.get(kind="CEB311")
    assert client.get(document_url(order)).status_code == 404
    assert document_url(order) not in html


def test_enterprise_b_sees_neither_the_documents_nor_their_links(client, cast, released):
    client.force_login(user_of(OrganizationFactory()))
    assert client.get(document_url(released)).status_code == 404
    assert client.get(f"/filings/lists/{released.pk}/").status_code == 404


class TestOnlyVisibleResultsAreLinked:
    """Rows made with the factories: a document the user sees, and a result of its order that the
    user is or is not a party of."""

    def test_a_result_of_another_enterprises_trade_is_not_linked(self, client):
        org = OrganizationFactory()
        order = DeclarationFactory(organization=org)
        ReconciliationResultFactory(order=order, parties=[OrganizationFactory().pk])
        client.force_login(user_of(org))
        page = client.get(document_url(order)).content.decode()
        assert 'id="reconciliation-link"' not in page

    def test_a_result_the_enterprise_is_party_to_is_linked_with_its_status(self, client):
        org = OrganizationFactory()
        order = DeclarationFactory(organization=org)
        result = ReconciliationResultFactory(order=order)
        client.force_login(user_of(org))
        page = client.get(document_url(order), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert links_in(page, "reconciliation-link") == [f"/filings/reconciliation/{result.pk}/"]
        assert 'data-status="pending"' in page

    def test_a_stored_list_not_yet_declared_has_no_clearance_link(self, client):
        org = OrganizationFactory()
        stored = InventoryListFactory(organization=org, list_state="", app_status="1")
        client.force_login(user_of(org))
        page = client.get(document_url(stored)).content.decode()
        assert 'id="clearance-link"' not in page

    def test_a_declared_list_links_to_clearance_with_its_tax_bill(self, client):
        org = OrganizationFactory()
        inventory = InventoryListFactory(organization=org)
        client.force_login(user_of(org))
        page = client.get(document_url(inventory), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert links_in(page, "clearance-link") == [f"/filings/lists/{inventory.pk}/"]
        assert "清单核放与电子税单" in page and "已比对" in page
        bill = TaxBillFactory(declaration=inventory)
        page = client.get(document_url(inventory)).content.decode()
        assert bill.tax_no in page
