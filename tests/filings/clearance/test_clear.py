"""Quota, tax and release of reconciled lists (``lists_clear``) and the release decision
(``list_release_decide``): every rule passing and failing, as the enterprise and the buyer notice it —
the list's state, its receipts, its tax bill, the buyer's quota."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from filings.clearance import registry
from filings.clearance.models import ListStateChange, QuotaCharge, QuotaLedger, TaxBill
from filings.clearance.services import Decision, ReasonRequired, list_release_decide, lists_clear
from filings.models import Declaration, DeclarationReceipt
from tests.filings.clearance.factories import CREAM, LIPSTICK, MILK, WHISKY, ensure_rate, line, make_list
from zone_portal.audit.models import AuditEvent
from zone_portal.core import crypto
from zone_portal.events.models import Event

from .factories import BUYER_ID

pytestmark = pytest.mark.usefixtures("clearance")
S = Declaration.ListState
D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")


def receipts(d) -> list[tuple[str, str]]:
    return list(DeclarationReceipt.objects.filter(declaration=d).order_by("id").values_list("return_status",
                                                                                               "return_info"))


def used(buyer_id: str = BUYER_ID, year: int | None = None) -> Decimal:
    year = year or date.today().year
    row = QuotaLedger.objects.filter(buyer_id_bidx=crypto.blind_index(buyer_id, "id_number"), year=year).first()
    return row.used if row else D(0)


def test_a_list_within_the_limits_is_taxed_and_released_at_once():
    d = make_list(freight="10")  # cream 2 × 60 + lipstick 1 × 80, freight 10
    assert lists_clear(declaration_ids=[d.pk]) == {S.RELEASED: [d.pk]}
    d.refresh_from_db()
    assert d.list_state == S.RELEASED and d.released_at is not None and d.return_status == "800"
    assert re.fullmatch(rf"2900{d.released_at.astimezone(SHANGHAI).year}I\d{{9}}", d.invt_no)
    bill = TaxBill.objects.get(declaration=d)
    # cream 126 (120 + 6 freight) × 13 % × 70 % = 11.466 → 11.47; lipstick 84: CT 10.38, VAT 8.99
    lines = {x.gnum: x for x in bill.lines.all()}
    assert (lines[1].tax_price, lines[1].value_added_tax, lines[1].consumption_tax) == (D(126), D("11.47"), D(0))
    assert (lines[2].tax_price, lines[2].value_added_tax, lines[2].consumption_tax) == (D(84), D("8.99"), D("10.38"))
    assert (bill.tax_price, bill.customs_tax, bill.value_added_tax, bill.consumption_tax) == (
        D(210), D(0), D("20.46"), D("10.38"))
    assert bill.invt_no == d.invt_no and bill.status == TaxBill.Status.GENERATED and bill.tax_factor == D("0.7")
    assert QuotaCharge.objects.get(declaration=d).amount == D(210)
    assert used() == D(210)
    assert [s for s, _ in receipts(d)] == ["399", "800"]
    assert "税单" in receipts(d)[0][1]
    assert list(ListStateChange.objects.filter(declaration=d).values_list("from_state", "to_state")) == [
        (S.DECLARED, S.RECONCILED), (S.RECONCILED, S.RISK_CHECK), (S.RISK_CHECK, S.RELEASED)]
    states = [e.payload["state"] for e in Event.objects.filter(event_type="inventory.state").order_by("id")]
    assert states == [S.RISK_CHECK, S.RELEASED]


def test_clearing_twice_changes_nothing_the_second_time():
    d = make_list()
    lists_clear(declaration_ids=[d.pk])
    assert lists_clear(declaration_ids=[d.pk]) == {}
    assert len(receipts(d)) == 2 and QuotaCharge.objects.count() == 1 and used() == D(200)


def test_only_reconciled_lists_are_cleared():
    declared = make_list(state=S.DECLARED)
    assert lists_clear(declaration_ids=[declared.pk]) == {}
    declared.refresh_from_db()
    assert declared.list_state == S.DECLARED and not receipts(declared)


def test_a_list_over_the_single_transaction_limit_is_refused_621005():
    d = make_list(lines=[line(1, CREAM, "2", "2500"), line(2, MILK, "1", "0.01")])
    lists_clear(declaration_ids=[d.pk])
    d.refresh_from_db()
    assert d.list_state == S.REJECTED and d.return_status == "-621005" and not d.invt_no
    status, info = receipts(d)[0]
    assert status == "-621005" and "超过单笔限额5000.00" in info and "5000.01" in info
    assert not TaxBill.objects.exists() and not QuotaCharge.objects.exists() and used() == 0


def test_exactly_5000_passes():
    d = make_list(lines=[line(1, CREAM, "2", "2500")])
    lists_clear(declaration_ids=[d.pk])
    d.refresh_from_db()
    assert d.list_state == S.RELEASED and used() == D(5000)


def test_a_list_that_would_exceed_the_annual_limit_is_refused_621018_and_one_that_reaches_it_passes():
    for _ in range(4):
        lists_clear(declaration_ids=[make_list(lines=[line(1, CREAM, "1", "5000")]).pk])
    assert used() == D(20000)
    over = make_list(lines=[line(1, CREAM, "3", "2000.01")])  # 6,000.03 > 5,000: single limit first
    exact = make_list(lines=[line(1, CREAM, "2", "2500")])
    lists_clear(declaration_ids=[exact.pk])
    assert used() == D(25000)
    too_much = make_list(lines=[line(1, CREAM, "1", "1000.01")])
    lists_clear(declaration_ids=[over.pk, too_much.pk])
    too_much.refresh_from_db()
    assert too_much.list_state == S.REJECTED and too_much.return_status == "-621018"
    assert "购买人已用购买额度为[25000.00]，本次购买将超过年度限额[26000.00]" in receipts(too_much)[0][1]
    last = make_list(lines=[line(1, CREAM, "1", "1000")])
    lists_clear(declaration_ids=[last.pk])
    last.refresh_from_db()
    assert last.list_state == S.RELEASED and used() == D(26000)


def test_freight_and_insurance_count_toward_the_limits():
    d = make_list(lines=[line(1, CREAM, "2", "2495")], freight="10.00", insured_fee="0.01")
    lists_clear(declaration_ids=[d.pk])
    d.refresh_from_db()
    assert d.return_status == "-621005"


def test_another_buyer_has_a_quota_of_their_own():
    lists_clear(declaration_ids=[make_list(lines=[line(1, CREAM, "1", "5000")]).pk for _ in range(5)])
    assert used() == D(25000)
    other = make_list(buyer_id="11010519491231002X", lines=[line(1, CREAM, "1", "5000")])
    lists_clear(declaration_ids=[other.pk])
    other.refresh_from_db()
    assert other.list_state == S.RELEASED and used("11010519491231002X") == D(5000)


def test_lists_of_one_buyer_in_one_batch_are_judged_one_after_the_other():
    lists_clear(declaration_ids=[make_list(lines=[line(1, CREAM, "1", "5000")]).pk for _ in range(4)])
    a, b = (make_list(lines=[line(1, CREAM, "1", "4000")]) for _ in range(2))
    lists_clear(declaration_ids=[a.pk, b.pk])
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.list_state, b.list_state) == (S.RELEASED, S.REJECTED) and used() == D(24000)


def test_the_limits_in_force_on_the_day_of_declaration_apply():
    old = make_list(lines=[line(1, CREAM, "1", "2500")], declared_at=datetime(2018, 6, 1, 10, tzinfo=SHANGHAI))
    ensure_rate(CREAM, "0.16", effective_from=date(2018, 5, 1))
    lists_clear(declaration_ids=[old.pk])
    old.refresh_from_db()
    assert old.return_status == "-621005" and "超过单笔限额2000.00" in receipts(old)[0][1]
    old_ok = make_list(lines=[line(1, CREAM, "1", "100")], declared_at=datetime(2018, 6, 1, 10, tzinfo=SHANGHAI))
    lists_clear(declaration_ids=[old_ok.pk])
    bill = TaxBill.objects.get(declaration=old_ok)
    assert bill.value_added_tax == D("11.20")  # the VAT rate in force in 2018: 16 % × 70 %
    assert QuotaCharge.objects.get(declaration=old_ok).year == 2018


def test_a_policy_added_in_the_back_office_applies_from_its_day(django_user_model):
    from filings.clearance.models import RetailImportPolicy

    RetailImportPolicy.objects.create(valid_from=date(2020, 1, 1), single_limit=D(100), annual_limit=D(1000),
                                      tax_factor=D("0.5"), single_item_rule="general_trade")
    d = make_list(lines=[line(1, CREAM, "1", "100")])
    lists_clear(declaration_ids=[d.pk])
    assert TaxBill.objects.get(declaration=d).value_added_tax == D("6.50")  # 100 × 13 % × 50 %
    over = make_list(lines=[line(1, CREAM, "1", "100.01")])
    lists_clear(declaration_ids=[over.pk])
    over.refresh_from_db()
    assert over.return_status == "-621005"


def test_a_line_without_a_rate_on_file_holds_the_list_with_the_reason_and_still_counts():
    d = make_list(lines=[line(1, CREAM, "1", "100"), line(2, "9999999999", "1", "50")])
    lists_clear(declaration_ids=[d.pk])
    d.refresh_from_db()
    assert d.list_state == S.HELD and d.return_status == "300" and not d.invt_no
    assert "[-900601]" in receipts(d)[0][1] and "9999999999" in receipts(d)[0][1]
    assert not TaxBill.objects.filter(declaration=d).exists()
    assert used() == D(150)
    change = ListStateChange.objects.get(declaration=d, to_state=S.HELD)
    assert change.code == -900601 and "9999999999" in change.reason


def test_a_held_list_is_released_once_the_missing_rate_is_on_file(officer_with_perm):
    d = make_list(lines=[line(1, CREAM, "1", "100"), line(2, "9999999999", "1", "50")])
    lists_clear(declaration_ids=[d.pk])
    refused = list_release_decide(declaration_ids=[d.pk], decision=Decision.RELEASE, actor=officer_with_perm)
    assert refused.changed == [] and "-900601" in refused.refused[d.pk]
    ensure_rate("9999999999", "0.09")
    result = list_release_decide(declaration_ids=[d.pk], decision=Decision.RELEASE, actor=officer_with_perm)
    assert result.changed == [d.pk]
    d.refresh_from_db()
    assert d.list_state == S.RELEASED and d.invt_no
    assert TaxBill.objects.get(declaration=d).value_added_tax == D("9.10") + D("3.15")  # 100 × 9.1 %, 50 × 6.3 %
    event = AuditEvent.objects.get(action="clearance.inventorylist.release")
    assert event.actor_user == officer_with_perm and event.changes == {"list_state": [S.HELD, S.RELEASED]}


def test_a_specific_consumption_tax_without_the_quantity_in_its_unit_holds_the_list():
    d = make_list(lines=[line(1, WHISKY, "1", "300", unit1="035", qty1="0.9")])
    lists_clear(declaration_ids=[d.pk])
    d.refresh_from_db()
    assert d.list_state == S.HELD and "[-900603]" in receipts(d)[0][1]
    ok = make_list(lines=[line(1, WHISKY, "1", "300", unit1="095", qty1="0.7")])
    lists_clear(declaration_ids=[ok.pk])
    bill_line = TaxBill.objects.get(declaration=ok).lines.get()
    assert (bill_line.consumption_tax, bill_line.value_added_tax, bill_line.specific_qty) == (
        D("53.06"), D("34.20"), D("0.7"))


def test_one_indivisible_item_over_the_single_limit_is_held_for_full_taxation_and_counted():
    d = make_list(lines=[line(1, CREAM, "1", "6000")])
    lists_clear(declaration_ids=[d.pk])
    d.refresh_from_db()
    assert d.list_state == S.HELD and "[-900602]" in receipts(d)[0][1] and used() == D(6000)
    result = list_release_decide(declaration_ids=[d.pk], decision=Decision.RELEASE)
    assert "-900602" in result.refused[d.pk] or "全额" in result.refused[d.pk]
    two_pieces = make_list(lines=[line(1, CREAM, "2", "3000")])
    lists_clear(declaration_ids=[two_pieces.pk])
    two_pieces.refresh_from_db()
    assert two_pieces.return_status == "-621005"


def test_under_the_2016_policy_a_single_item_over_the_limit_is_refused():
    d = make_list(lines=[line(1, CREAM, "1", "2500")], declared_at=datetime(2018, 6, 1, tzinfo=SHANGHAI))
    lists_clear(declaration_ids=[d.pk])
    d.refresh_from_db()
    assert d.return_status == "-621005"


def test_bonded_imports_are_taxed_and_export_lists_are_released_without_quota_or_tax():
    bonded = make_list(trade_mode="1210")
    export = make_list(direction="E", trade_mode="9610")
    lists_clear(declaration_ids=[bonded.pk, export.pk])
    bonded.refresh_from_db()
    export.refresh_from_db()
    assert bonded.list_state == S.RELEASED and TaxBill.objects.filter(declaration=bonded).exists()
    assert export.list_state == S.RELEASED and re.fullmatch(r"2900\d{4}E\d{9}", export.invt_no)
    assert not TaxBill.objects.filter(declaration=export).exists()
    assert not QuotaCharge.objects.filter(declaration=export).exists()
    assert [s for s, _ in receipts(export)] == ["399", "800"]


def test_list_numbers_are_unique_and_a_declared_invt_no_is_kept():
    lists = [make_list() for _ in range(3)]
    kept = make_list(invt_no="290020261000000001")
    lists_clear(declaration_ids=[d.pk for d in [*lists, kept]])
    numbers = set(Declaration.objects.filter(pk__in=[d.pk for d in lists]).values_list("invt_no", flat=True))
    assert len(numbers) == 3
    kept.refresh_from_db()
    assert kept.invt_no == "290020261000000001"


# --- the release decision with a risk system ---------------------------------------------------------

def test_a_registered_risk_assessor_gets_the_lists_after_the_commit_and_decides(django_capture_on_commit_callbacks):
    seen = []
    registry.register_risk_assessor(seen.extend)
    d = make_list()
    with django_capture_on_commit_callbacks(execute=True):
        lists_clear(declaration_ids=[d.pk])
    d.refresh_from_db()
    assert d.list_state == S.RISK_CHECK and seen == [d.pk] and not d.invt_no
    with pytest.raises(ReasonRequired):
        list_release_decide(declaration_ids=[d.pk], decision=Decision.HOLD)
    list_release_decide(declaration_ids=[d.pk], decision=Decision.HOLD, reason="布控命中")
    d.refresh_from_db()
    assert d.list_state == S.HELD and d.return_status == "500" and receipts(d)[-1] == ("500", "查验：布控命中")
    list_release_decide(declaration_ids=[d.pk], decision=Decision.RELEASE)
    d.refresh_from_db()
    assert d.list_state == S.RELEASED and d.return_status == "800"


def test_a_rejected_list_gives_the_quota_back_and_voids_its_tax_bill(officer_with_perm):
    registry.register_risk_assessor(lambda ids: None)
    d = make_list()
    lists_clear(declaration_ids=[d.pk])
    assert used() == D(200)
    list_release_decide(declaration_ids=[d.pk], decision=Decision.REJECT, actor=officer_with_perm, reason="单货不符")
    d.refresh_from_db()
    assert d.list_state == S.REJECTED and d.return_status == "100" and used() == 0
    assert TaxBill.objects.get(declaration=d).status == TaxBill.Status.VOID
    assert QuotaCharge.objects.get(declaration=d).status == QuotaCharge.Status.RESTORED
    assert AuditEvent.objects.filter(action="clearance.inventorylist.reject", target_id=str(d.pk)).exists()


def test_a_released_list_cannot_be_held_or_rejected():
    d = make_list()
    lists_clear(declaration_ids=[d.pk])
    result = list_release_decide(declaration_ids=[d.pk], decision=Decision.REJECT, reason="x")
    assert result.changed == [] and d.pk in result.refused
    d.refresh_from_db()
    assert d.list_state == S.RELEASED and used() == D(200)


def test_list_state_changed_is_sent_after_the_commit(django_capture_on_commit_callbacks):
    from filings import signals

    seen = []

    def receiver(sender, declaration_ids, state, **kwargs):
        seen.append((state, list(declaration_ids)))

    signals.list_state_changed.connect(receiver)
    try:
        d = make_list()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            lists_clear(declaration_ids=[d.pk])
        assert seen == []
        for callback in callbacks:
            callback()
        assert (S.RISK_CHECK, [d.pk]) in seen and (S.RELEASED, [d.pk]) in seen
    finally:
        signals.list_state_changed.disconnect(receiver)


def test_lipstick_and_milk_rates_from_the_bundled_sample_are_used_as_dated():
    d = make_list(lines=[line(1, LIPSTICK, "1", "100"), line(2, MILK, "1", "100")])
    lists_clear(declaration_ids=[d.pk])
    rows = {x.gnum: x for x in TaxBill.objects.get(declaration=d).lines.all()}
    assert rows[1].consumption_tax_rate == D("0.15") and rows[2].consumption_tax_rate == 0


def test_a_list_from_before_any_policy_is_held_and_counted_once_a_policy_is_on_file():
    from filings.clearance.models import RetailImportPolicy

    day = datetime(2015, 3, 1, 10, tzinfo=SHANGHAI)
    d = make_list(declared_at=day)
    lists_clear(declaration_ids=[d.pk])
    d.refresh_from_db()
    assert d.list_state == S.HELD and "[-900611]" in receipts(d)[0][1]
    assert not QuotaCharge.objects.filter(declaration=d).exists()
    ensure_rate(CREAM, "0.17", effective_from=date(2015, 1, 1))
    ensure_rate(LIPSTICK, "0.17", "0.30", effective_from=date(2015, 1, 1))
    RetailImportPolicy.objects.create(valid_from=date(2015, 1, 1), single_limit=D(1000), annual_limit=D(1000),
                                      tax_factor=D("0.7"), single_item_rule="general_trade")
    QuotaLedger.objects.create(buyer_id_bidx=crypto.blind_index(BUYER_ID, "id_number"), year=2015, used=D(900))
    refused = list_release_decide(declaration_ids=[d.pk], decision=Decision.RELEASE)
    assert "[-621018]" in refused.refused[d.pk]  # 900 + 200 is over that year's annual limit of 1,000
    assert used(year=2015) == D(900)
    RetailImportPolicy.objects.filter(valid_from=date(2015, 1, 1)).update(annual_limit=D(20000))
    assert list_release_decide(declaration_ids=[d.pk], decision=Decision.RELEASE).changed == [d.pk]
    assert QuotaCharge.objects.get(declaration=d).year == 2015 and used(year=2015) == D(1100)
