"""The customs back office: the lists by state with quota and tax, release / hold / reject through the
service (audited), the dated policy edited with an audit trail, and the quota ledger found by ID number."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from filings.clearance import registry
from filings.clearance.models import RetailImportPolicy
from filings.clearance.services import lists_clear
from filings.models import Declaration
from zone_portal.audit.models import AuditEvent

from .factories import BUYER_ID, make_list
from .test_clear import used

pytestmark = pytest.mark.usefixtures("clearance")
S = Declaration.ListState
CHANGELIST = "admin:clearance_inventorylist_changelist"


@pytest.fixture
def under_check():
    """Lists left in the risk check (a risk system is registered and has not decided yet)."""
    registry.register_risk_assessor(lambda ids: None)
    lists = [make_list() for _ in range(2)]
    lists_clear(declaration_ids=[d.pk for d in lists])
    return lists


def act(client, action: str, lists, reason: str = ""):
    return client.post(reverse(CHANGELIST), {"action": action, "_selected_action": [d.pk for d in lists],
                                             "reason": reason}, follow=True)


def states(lists) -> list[str]:
    return [Declaration.objects.get(pk=d.pk).list_state for d in lists]


def test_the_queue_filters_by_state(client, officer_with_perm, under_check):
    released = make_list(order_no="ORD-RELEASED")
    registry.register_risk_assessor(None)
    lists_clear(declaration_ids=[released.pk])
    client.force_login(officer_with_perm)
    body = client.get(reverse(CHANGELIST), {"list_state__exact": S.RISK_CHECK}).content.decode()
    assert under_check[0].order_no in body and "ORD-RELEASED" not in body
    assert "200.00" in body  # counted against the quota, and the tax column beside it


def test_customs_release_the_selected_lists(client, officer_with_perm, under_check):
    client.force_login(officer_with_perm)
    response = act(client, "release_selected", under_check)
    assert response.status_code == 200
    assert states(under_check) == [S.RELEASED, S.RELEASED]
    assert AuditEvent.objects.filter(action="clearance.inventorylist.release").count() == 2


def test_holding_needs_a_reason_and_nothing_changes_without_one(client, officer_with_perm, under_check):
    client.force_login(officer_with_perm)
    response = act(client, "hold_selected", under_check)
    assert "reason" in response.content.decode().lower() or "原因" in response.content.decode()
    assert states(under_check) == [S.RISK_CHECK, S.RISK_CHECK]
    assert not AuditEvent.objects.filter(action__startswith="clearance.inventorylist").exists()
    act(client, "hold_selected", under_check, reason="布控查验")
    assert states(under_check) == [S.HELD, S.HELD]
    event = AuditEvent.objects.filter(action="clearance.inventorylist.hold").first()
    assert event.actor_user == officer_with_perm and event.extra["reason"] == "布控查验"


def test_rejecting_on_the_list_page_gives_the_quota_back(client, officer_with_perm, under_check):
    client.force_login(officer_with_perm)
    d = under_check[0]
    url = reverse("admin:clearance_inventorylist_change", args=[d.pk])
    assert client.get(url).status_code == 200
    assert used() == Decimal(400)
    response = client.post(url, {"decision": "reject", "reason": "单货不符", "state_changes-TOTAL_FORMS": "0",
                                 "state_changes-INITIAL_FORMS": "0"}, follow=True)
    assert response.status_code == 200
    assert states([d]) == [S.REJECTED] and used() == Decimal(200)
    assert AuditEvent.objects.filter(action="clearance.inventorylist.reject", target_id=str(d.pk)).exists()


def test_an_officer_without_the_permission_cannot_decide(client, officer_without_perm, under_check):
    client.force_login(officer_without_perm)
    assert act(client, "release_selected", under_check).status_code == 403
    assert states(under_check) == [S.RISK_CHECK, S.RISK_CHECK]


@pytest.mark.parametrize("who", ["officer_with_perm", "zone_admin"])
def test_customs_and_the_zone_office_add_a_dated_policy_with_an_audit_trail(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("admin:clearance_retailimportpolicy_add"), {
        "valid_from": "2027-01-01", "single_limit": "6000", "annual_limit": "30000", "tax_factor": "0.7",
        "single_item_rule": "full_tax", "source": "test notice", "notes": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = RetailImportPolicy.objects.get(valid_from=date(2027, 1, 1))
    event = AuditEvent.objects.get(action="clearance.retailimportpolicy.create")
    assert event.target_id == str(policy.pk)


def test_a_policy_whose_single_limit_exceeds_the_annual_limit_is_refused(client, officer_with_perm):
    client.force_login(officer_with_perm)
    response = client.post(reverse("admin:clearance_retailimportpolicy_add"), {
        "valid_from": "2027-01-01", "single_limit": "30000", "annual_limit": "6000", "tax_factor": "0.7",
        "single_item_rule": "full_tax"})
    assert response.status_code == 200 and not RetailImportPolicy.objects.filter(valid_from=date(2027, 1, 1))


def test_the_quota_ledger_is_found_by_id_number_which_is_never_shown(client, officer_with_perm, under_check):
    client.force_login(officer_with_perm)
    body = client.get(reverse("admin:clearance_quotaledger_changelist"), {"q": BUYER_ID}).content.decode()
    rows = body.split('id="result_list"')[1].split("<tbody>")[1].split("</tbody>")[0]
    assert "400.00" in rows and BUYER_ID not in rows  # only the officer's own search box and links carry it
    other = client.get(reverse("admin:clearance_quotaledger_changelist"), {"q": "11010519491231002X"})
    assert "400.00" not in other.content.decode()
