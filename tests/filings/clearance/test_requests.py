"""Cancellations (CEB623 / CEB605), returns (CEB625 / CEB213) and departures (CEB509): what they do
to the list, to the buyer's quota and to the tax bill, and each refusal with its stable code."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from filings.clearance.models import ListStateChange, QuotaCharge, ReturnWindow, TaxBill
from filings.clearance.services import documents_process, lists_clear
from filings.models import Declaration, DeclarationReceipt
from tests.accounts.factories import OrganizationFactory

from .factories import CREAM, OTHER_BUYER_ID, line, make_list, make_request
from .test_clear import used

pytestmark = pytest.mark.usefixtures("clearance")
S = Declaration.ListState
D = Decimal


def released(**kwargs) -> Declaration:
    d = make_list(**kwargs)
    lists_clear(declaration_ids=[d.pk])
    d.refresh_from_db()
    assert d.list_state == S.RELEASED
    return d


def answer(doc) -> tuple[str, str]:
    doc.refresh_from_db()
    receipt = DeclarationReceipt.objects.filter(declaration=doc).order_by("-id").first()
    assert receipt.return_status == doc.return_status
    return receipt.return_status, receipt.return_info


def test_a_cancelled_list_gives_the_quota_back_and_voids_the_tax_bill():
    d = released(freight="10")
    assert used() == D(210)
    cancel = make_request("CEB623", d)
    assert documents_process(declaration_ids=[cancel.pk]) == {"accepted": 1, "refused": 0, "closed": 0}
    d.refresh_from_db()
    assert d.list_state == S.CANCELLED and d.return_status == "399" and used() == 0
    assert answer(cancel)[0] == "399"
    assert TaxBill.objects.get(declaration=d).status == TaxBill.Status.VOID
    change = ListStateChange.objects.filter(declaration=d).last()
    assert (change.from_state, change.to_state, change.document_id, change.reason) == (
        S.RELEASED, S.CANCELLED, cancel.pk, "不想要了")
    assert QuotaCharge.objects.get(declaration=d).status == QuotaCharge.Status.RESTORED


def test_the_quota_given_back_can_be_used_again():
    lists = [released(lines=[line(1, CREAM, "1", "5000")]) for _ in range(5)]
    blocked = make_list(lines=[line(1, CREAM, "2", "1000")])
    lists_clear(declaration_ids=[blocked.pk])
    blocked.refresh_from_db()
    assert blocked.return_status == "-621018"
    documents_process(declaration_ids=[make_request("CEB623", lists[0]).pk])
    assert used() == D(20000)
    again = released(lines=[line(1, CREAM, "2", "1000")])
    assert again.list_state == S.RELEASED and used() == D(22000)


def test_processing_a_cancellation_twice_does_it_once():
    d = released()
    cancel = make_request("CEB623", d)
    documents_process(declaration_ids=[cancel.pk])
    assert documents_process(declaration_ids=[cancel.pk]) == {}
    assert DeclarationReceipt.objects.filter(declaration=cancel).count() == 1 and used() == 0


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"invtNo": "290020269999999999"}, "-900604", "head.invtNo"),
    ({"ebcCode": "91330100OTHER00001"}, "-900606", "head.ebcCode"),
    ({"orderNo": "ORD-OTHER"}, "-900606", "head.orderNo"),
    ({"logisticsNo": "WB-OTHER"}, "-900606", "head.logisticsNo"),
])
def test_a_cancellation_that_does_not_name_the_list_is_refused(change, code, field):
    d = released()
    cancel = make_request("CEB623", d, **change)
    documents_process(declaration_ids=[cancel.pk])
    status, _info = answer(cancel)
    assert status == code and field in DeclarationReceipt.objects.get(declaration=cancel).problems[0]["field"]
    d.refresh_from_db()
    assert d.list_state == S.RELEASED and used() == D(200)


def test_a_cancellation_for_another_buyer_is_refused():
    d = released()
    cancel = make_request("CEB623", d, buyer_id=OTHER_BUYER_ID)
    documents_process(declaration_ids=[cancel.pk])
    assert answer(cancel)[0] == "-900606"
    assert DeclarationReceipt.objects.get(declaration=cancel).problems[0]["field"] == "head.buyerIdNumber"


def test_only_a_released_list_can_be_cancelled():
    d = make_list(invt_no="290020260000000077", state=S.RISK_CHECK)
    cancel = make_request("CEB623", d)
    documents_process(declaration_ids=[cancel.pk])
    status, info = answer(cancel)
    assert status == "-900605" and "撤销" in info


def test_a_cancellation_and_a_return_of_the_same_list_in_one_batch_the_first_wins():
    d = released()
    cancel, refund = make_request("CEB623", d), make_request("CEB625", d)
    documents_process(declaration_ids=[cancel.pk, refund.pk])
    assert answer(cancel)[0] == "399" and answer(refund)[0] == "-900605"
    d.refresh_from_db()
    assert d.list_state == S.CANCELLED and used() == 0


def test_a_request_stored_but_not_declared_is_not_carried_out():
    d = released()
    stored = make_request("CEB623", d, app_status="1")
    assert documents_process(declaration_ids=[stored.pk]) == {}
    d.refresh_from_db()
    assert d.list_state == S.RELEASED


def test_a_request_carried_out_and_then_changed_is_not_carried_out_again():
    d = released()
    cancel = make_request("CEB623", d)
    documents_process(declaration_ids=[cancel.pk])
    Declaration.objects.filter(pk=cancel.pk).update(return_status="120")  # the hub accepted an appType 2
    documents_process(declaration_ids=[cancel.pk])
    assert answer(cancel)[0] == "-900609"


# --- returns -------------------------------------------------------------------------------------------

def test_a_whole_return_within_30_days_gives_everything_back():
    d = released(freight="10")
    refund = make_request("CEB625", d)
    documents_process(declaration_ids=[refund.pk])
    d.refresh_from_db()
    assert answer(refund)[0] == "399" and d.list_state == S.RETURNED and used() == 0
    bill = TaxBill.objects.get(declaration=d)
    assert bill.status == TaxBill.Status.VOID and bill.refunded_total == bill.total


def test_a_partial_return_gives_back_the_value_returned_and_its_tax():
    d = released(freight="10")  # cream 2 × 60 (126 with its freight share) + lipstick 84
    refund = make_request("CEB625", d, lines=[{"gnum": "1", "gcode": CREAM, "gname": "商品1", "qty": "1",
                                               "unit": "011"}])
    documents_process(declaration_ids=[refund.pk])
    d.refresh_from_db()
    assert d.list_state == S.RETURNED and used() == D(210) - D(63)
    charge = QuotaCharge.objects.get(declaration=d)
    assert charge.restored == D(63) and charge.status == QuotaCharge.Status.PARTLY_RESTORED
    bill = TaxBill.objects.get(declaration=d)
    assert bill.status == TaxBill.Status.GENERATED
    assert bill.refunded_value_added_tax == D("5.74")  # half of cream's 11.47, to the fen (5.735 → 5.74)
    assert bill.lines.get(gnum=1).returned_qty == 1


@pytest.mark.parametrize(("lines", "code"), [
    ([{"gnum": "1", "gcode": CREAM, "gname": "商品1", "qty": "2.00001", "unit": "011"}], "-625014"),
    ([{"gnum": "1", "gcode": CREAM, "gname": "商品1", "qty": "1", "unit": "011"},
      {"gnum": "1", "gcode": CREAM, "gname": "商品1", "qty": "1.5", "unit": "011"}], "-625014"),
    ([{"gnum": "3", "gcode": CREAM, "gname": "商品3", "qty": "1", "unit": "011"}], "-900608"),
    ([{"gnum": "1", "gcode": "3304100000", "gname": "商品1", "qty": "1", "unit": "011"}], "-900608"),
])
def test_a_return_of_more_than_was_bought_or_of_another_item_is_refused(lines, code):
    d = released()
    refund = make_request("CEB625", d, lines=lines)
    documents_process(declaration_ids=[refund.pk])
    assert answer(refund)[0] == code
    d.refresh_from_db()
    assert d.list_state == S.RELEASED and used() == D(200)


def test_a_return_is_accepted_up_to_30_days_after_release_and_not_after():
    on_time = released()
    Declaration.objects.filter(pk=on_time.pk).update(released_at=timezone.now() - timedelta(days=30))
    late = released()
    Declaration.objects.filter(pk=late.pk).update(released_at=timezone.now() - timedelta(days=31))
    ok, too_late = make_request("CEB625", on_time), make_request("CEB625", late)
    documents_process(declaration_ids=[ok.pk, too_late.pk])
    assert answer(ok)[0] == "399"
    status, info = answer(too_late)
    assert status == "-900607" and "30天" in info


def test_the_return_window_is_a_dated_setting():
    ReturnWindow.objects.create(direction="I", valid_from=timezone.localdate() - timedelta(days=60), days=7)
    d = released()
    Declaration.objects.filter(pk=d.pk).update(released_at=timezone.now() - timedelta(days=8))
    refund = make_request("CEB625", d)
    documents_process(declaration_ids=[refund.pk])
    assert answer(refund)[0] == "-900607"


# --- export: cancellation, departure (结关), return ----------------------------------------------------

def test_an_export_list_departs_and_is_closed_then_comes_back_within_a_year():
    logistics = OrganizationFactory()
    d = released(direction="E", logistics_no="EXP-WB-1")
    other = released(direction="E", logistics_no="EXP-WB-2")
    departure = make_request("CEB509", organization=logistics, logisticsCode=d.logistics_code,
                             lines=[{"gnum": "1", "logisticsNo": "EXP-WB-1"}])
    assert documents_process(declaration_ids=[departure.pk])["closed"] == 1
    d.refresh_from_db()
    other.refresh_from_db()
    assert d.list_state == S.CLOSED and d.return_status == "899" and other.list_state == S.RELEASED
    cancel = make_request("CEB605", d)
    documents_process(declaration_ids=[cancel.pk])
    assert answer(cancel)[0] == "-900605"
    Declaration.objects.filter(pk=d.pk).update(released_at=timezone.now() - timedelta(days=300))
    refund = make_request("CEB213", d)
    documents_process(declaration_ids=[refund.pk])
    assert answer(refund)[0] == "399"
    d.refresh_from_db()
    assert d.list_state == S.RETURNED


def test_a_departure_from_another_logistics_company_closes_nothing():
    d = released(direction="E", logistics_no="EXP-WB-9")
    departure = make_request("CEB509", logisticsCode="91330100LOGOTHER01", lines=[{"gnum": "1",
                                                                                  "logisticsNo": "EXP-WB-9"}])
    documents_process(declaration_ids=[departure.pk])
    d.refresh_from_db()
    assert d.list_state == S.RELEASED


def test_an_export_return_after_a_year_or_of_too_much_is_refused():
    late = released(direction="E")
    Declaration.objects.filter(pk=late.pk).update(released_at=timezone.now() - timedelta(days=366))
    d = released(direction="E")
    too_much = make_request("CEB213", d, lines=[{"gnum": "1", "gcode": CREAM, "gname": "商品1", "qty": "3",
                                                 "unit": "011"}])
    refund_late = make_request("CEB213", late)
    documents_process(declaration_ids=[too_much.pk, refund_late.pk])
    assert answer(too_much)[0] == "-900610" and answer(refund_late)[0] == "-900607"


def test_an_export_list_is_cancelled_before_departure():
    d = released(direction="E")
    cancel = make_request("CEB605", d)
    documents_process(declaration_ids=[cancel.pk])
    d.refresh_from_db()
    assert answer(cancel)[0] == "399" and d.list_state == S.CANCELLED


def test_an_import_list_cannot_be_cancelled_by_an_export_cancellation():
    d = released()
    cancel = make_request("CEB605", d)
    documents_process(declaration_ids=[cancel.pk])
    assert answer(cancel)[0] == "-900604"


def test_a_return_worth_more_than_the_list_still_counts_is_refused_625015():
    d = released(freight="10")
    QuotaCharge.objects.filter(declaration=d).update(restored=D(200))  # only 10 still counted
    refund = make_request("CEB625", d, lines=[{"gnum": "1", "gcode": CREAM, "gname": "商品1", "qty": "1",
                                               "unit": "011"}])
    documents_process(declaration_ids=[refund.pk])
    status, info = answer(refund)
    assert status == "-625015" and "63.00" in info and "10.00" in info
