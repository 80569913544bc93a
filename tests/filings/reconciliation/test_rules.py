"""Every reconciliation rule (三单比对, customs.md §1.4), passing and failing, with documents
declared the way partners declare them (signed API) and the reconciler run as the drain task
runs it: the failure names the rule's stable code, the field, the document and both values —
personal values only masked."""

from __future__ import annotations

import json

import pytest

from filings.models import Declaration
from filings.reconciliation.models import ReconciliationResult
from tests.filings.hub.conftest import BUYER_ID, file_enterprise
from tests.filings.reconciliation.conftest import (
    declared_list,
    export_list,
    export_order,
    export_receipt,
    export_waybill,
    import_order,
    import_payment,
    import_waybill,
    result_of,
)

OTHER_ID = "360426199101010098"  # a valid resident ID that is not the buyer's

pytestmark = pytest.mark.django_db


def failures_by_code(result: ReconciliationResult) -> dict[int, dict]:
    return {f["code"]: f for f in result.failures}


def trade(cast, declare, *, order=None, payment=None, waybill=None, inventory=None):
    declare(order or import_order(cast))
    declare(payment or import_payment(cast))
    declare(waybill or import_waybill(cast))
    if inventory is not None:
        declare(inventory)


class TestImportThreeDocuments:
    def test_a_set_that_agrees_is_matched(self, cast, declare, reconcile_now):
        trade(cast, declare)
        reconcile_now()
        result = result_of()
        assert result.status == "matched" and result.codes == [] and result.failures == []
        assert result.missing == [] and result.inventory_id is None
        assert {result.order_id, result.payment_id, result.waybill_id} == set(
            Declaration.objects.filter(kind__in=["CEB311", "CEB411", "CEB511"]).values_list("pk", flat=True))

    def test_amount_paid_differs_from_actural_paid(self, cast, declare, reconcile_now):
        trade(cast, declare, payment=import_payment(cast, amountPaid="220.00"))
        reconcile_now()
        result = result_of()
        assert result.status == "mismatched" and result.codes == [-900501]
        assert result.failures == [{"code": -900501, "doc": "payment", "field": "amountPaid", "value": "220.00",
                                    "against": "order", "against_field": "acturalPaid", "expected": "223.20"}]

    def test_payer_is_not_the_buyer_by_id_number(self, cast, declare, reconcile_now):
        trade(cast, declare, payment=import_payment(cast, payerIdNumber=OTHER_ID))
        reconcile_now()
        result = result_of()
        failure = failures_by_code(result)[-900502]
        assert result.codes == [-900502]
        assert failure["field"] == "payerIdNumber" and failure["against_field"] == "buyerIdNumber"
        assert failure["value"] == "360426********0098" and failure["expected"] == "360426********0071"
        stored = json.dumps(result.failures, ensure_ascii=False)
        assert BUYER_ID not in stored and OTHER_ID not in stored

    def test_payer_is_not_the_buyer_by_name(self, cast, declare, reconcile_now):
        trade(cast, declare, payment=import_payment(cast, payerName="王小五"))
        reconcile_now()
        failure = failures_by_code(result_of())[-900503]
        assert (failure["value"], failure["expected"]) == ("王**", "李*")

    def test_the_same_name_written_with_full_width_spaces_still_matches(self, cast, declare, reconcile_now):
        trade(cast, declare, payment=import_payment(cast, payerName="李　四"))  # the blind index normalizes
        reconcile_now()
        assert result_of().status == "matched"

    @pytest.mark.parametrize(("field", "value", "code", "masked"), [
        ("consignee", "王五", -900504, "王*"),
        ("consigneeTelephone", "13900002222", -900505, "139****2222"),
        ("consigneeAddress", "浙江省杭州市上城区解放路8号", -900506, "浙江省杭********"),
    ])
    def test_consignee_differs_from_the_waybill(self, cast, declare, reconcile_now, field, value, code, masked):
        trade(cast, declare, waybill=import_waybill(cast, **{field: value}))
        reconcile_now()
        result = result_of()
        assert result.status == "mismatched" and result.codes == [code]
        failure = result.failures[0]
        assert (failure["doc"], failure["field"], failure["value"]) == ("waybill", field, masked)
        assert value not in json.dumps(result.failures, ensure_ascii=False)

    def test_payment_with_another_platforms_ebp_code(self, cast, declare, reconcile_now):
        other = file_enterprise(["ebp"], name="辛电商平台有限公司")
        from filings.hub import authority

        authority.reset()
        trade(cast, declare, payment=import_payment(cast, ebpCode=other.code))
        reconcile_now()
        result = result_of()
        assert ReconciliationResult.objects.count() == 1  # one trade, not an order and a stray payment
        assert result.status == "mismatched" and result.codes == [-900507]
        assert failures_by_code(result)[-900507] | {} == {
            "code": -900507, "doc": "payment", "field": "ebpCode", "value": other.code, "against": "order",
            "against_field": "ebpCode", "expected": cast.platform.code}

    def test_currency_other_than_142(self, cast, declare, reconcile_now):
        trade(cast, declare)
        # the hub refuses it at the door; a document stored before that check (or by another way in)
        Declaration.objects.filter(kind="CEB511").update(currency="502")
        from filings.reconciliation import services

        services.work_enqueue_declarations(list(Declaration.objects.values_list("pk", flat=True)))
        reconcile_now()
        failure = failures_by_code(result_of())[-900509]
        assert (failure["doc"], failure["value"], failure["expected"]) == ("waybill", "502", "142")

    def test_a_second_payment_for_the_order(self, cast, declare, reconcile_now):
        trade(cast, declare)
        declare(import_payment(cast, payTransactionId="PAY-AGAIN"))
        reconcile_now()
        result = result_of()
        assert result.codes == [-900510]
        assert failures_by_code(result)[-900510]["value"] == "2"

    def test_every_failing_rule_is_reported_together(self, cast, declare, reconcile_now):
        trade(cast, declare, payment=import_payment(cast, amountPaid="1.00", payerName="王五"),
              waybill=import_waybill(cast, consigneeTelephone="13700000000"))
        reconcile_now()
        assert sorted(result_of().codes) == [-900505, -900503, -900501]


class TestImportList:
    def test_a_list_that_matches_the_order(self, cast, declare, reconcile_now):
        trade(cast, declare, inventory=declared_list(cast))
        reconcile_now()
        result = result_of()
        assert result.status == "matched" and result.inventory_id is not None
        assert Declaration.objects.get(pk=result.inventory_id).list_state == "reconciled"

    def test_a_list_only_stored_is_not_reconciled(self, cast, declare, reconcile_now):
        from tests.filings.reconciliation.conftest import import_list

        trade(cast, declare, inventory=import_list(cast))  # appStatus 1 (暂存): not declared
        reconcile_now()
        result = result_of()
        assert result.status == "matched" and result.inventory_id is None
        assert Declaration.objects.get(kind="CEB621").list_state == ""

    def _list(self, cast, **line_changes):
        doc = declared_list(cast)
        for gnum, changes in line_changes.items():
            doc["lines"][int(gnum[1:]) - 1].update(changes)
        return doc

    @pytest.mark.parametrize(("changes", "codes"), [
        ({"g1": {"gname": "眼霜"}}, {-900512}),
        ({"g1": {"qty": "4", "price": "30.00"}}, {-900513, -900515}),
        ({"g2": {"price": "81.00", "totalPrice": "81.00"}}, {-900514, -900515, -900516}),
    ])
    def test_a_list_line_that_differs_from_the_order_line(self, cast, declare, reconcile_now, changes, codes):
        trade(cast, declare, inventory=self._list(cast, **changes))
        reconcile_now()
        result = result_of()
        assert result.status == "mismatched" and set(result.codes) == codes
        gnum = next(iter(changes))[1:]
        assert all(f["gnum"] == gnum for f in result.failures if f["code"] != -900516)
        assert Declaration.objects.get(pk=result.inventory_id).list_state == "declared"

    def test_quantity_failure_names_both_values(self, cast, declare, reconcile_now):
        trade(cast, declare, inventory=self._list(cast, g1={"qty": "4", "price": "30.00"}))
        reconcile_now()
        failure = failures_by_code(result_of())[-900513]
        assert failure | {} == {"code": -900513, "doc": "inventory", "field": "qty", "gnum": "1", "value": "4",
                                "against": "order", "against_field": "qty", "expected": "2"}

    def test_a_list_line_without_a_counterpart(self, cast, declare, reconcile_now):
        doc = declared_list(cast)
        doc["lines"].append(dict(doc["lines"][1], gnum="3", qty="1", price="10.00", totalPrice="10.00"))
        trade(cast, declare, inventory=doc)
        reconcile_now()
        result = result_of()
        assert set(result.codes) == {-900511, -900516}
        failure = failures_by_code(result)[-900511]
        assert (failure["gnum"], failure["value"], failure["expected"]) == ("3", "3", None)

    def test_list_total_differs_from_the_order_goods_value(self, cast, declare, reconcile_now):
        order = import_order(cast, goodsValue="210.00", acturalPaid="233.20")
        trade(cast, declare, order=order, payment=import_payment(cast, amountPaid="233.20"),
              inventory=declared_list(cast))
        reconcile_now()
        result = result_of()
        assert result.codes == [-900516]
        assert failures_by_code(result)[-900516] | {} == {
            "code": -900516, "doc": "inventory", "field": "totalPrice", "value": "200.00", "against": "order",
            "against_field": "goodsValue", "expected": "210.00"}

    def test_list_names_another_waybill(self, cast, declare, reconcile_now):
        trade(cast, declare, inventory=declared_list(cast, logisticsNo="WB-OTHER"))
        reconcile_now()
        failure = failures_by_code(result_of())[-900508]
        assert (failure["value"], failure["expected"]) == (f"{cast.logistics.code} WB-OTHER",
                                                           f"{cast.logistics.code} WB-ORD-0001")


class TestExport:
    def test_order_receipt_waybill_and_list_that_agree(self, cast, declare, reconcile_now):
        for doc in (export_order(cast), export_receipt(cast), export_waybill(cast), export_list(cast)):
            declare(doc)
        reconcile_now()
        result = result_of("EXP-0001", "E")
        assert result.status == "matched" and None not in (result.order_id, result.payment_id, result.waybill_id,
                                                            result.inventory_id)
        assert Declaration.objects.get(pk=result.inventory_id).list_state == "reconciled"

    def test_list_consignor_differs_from_the_orders_ebc(self, cast, declare, reconcile_now):
        other = file_enterprise(["ebc"], name="壬跨境电商有限公司")
        from filings.hub import authority

        authority.reset()
        for doc in (export_order(cast), export_receipt(cast), export_waybill(cast),
                    export_list(cast, ebcCode=other.code)):
            declare(doc)
        reconcile_now()
        result = result_of("EXP-0001", "E")
        assert result.codes == [-900518]
        assert failures_by_code(result)[-900518]["value"] == other.code

    def test_receipt_in_another_currency_and_list_lines_that_differ(self, cast, declare, reconcile_now):
        inventory = export_list(cast)
        inventory["lines"][0].update(qty="3", totalPrice="30.00")
        for doc in (export_order(cast), export_receipt(cast, currency="142"), export_waybill(cast), inventory):
            declare(doc)
        reconcile_now()
        assert set(result_of("EXP-0001", "E").codes) == {-900520, -900513, -900514, -900516}

    def test_export_set_waits_for_its_waybill_found_through_the_list(self, cast, declare, reconcile_now):
        for doc in (export_order(cast), export_receipt(cast), export_list(cast)):
            declare(doc)
        reconcile_now()
        assert result_of("EXP-0001", "E").missing == ["waybill"]
        declare(export_waybill(cast))  # carries no orderNo: found through the list that names it
        reconcile_now()
        assert result_of("EXP-0001", "E").status == "matched"

    def test_b2b_order_needs_no_receipt(self, cast, declare, reconcile_now):
        for doc in (export_order(cast, orderType="B"), export_waybill(cast), export_list(cast, tradeMode="9710")):
            declare(doc)
        reconcile_now()
        result = result_of("EXP-0001", "E")
        assert result.status == "matched" and result.payment_id is None
