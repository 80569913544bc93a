"""The declaration hub over JSON: single and bulk declaration, receipts, idempotency, order of
arrival, authorization and the lint — as a partner system sees them through the signed API."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from filings.models import Declaration, DeclarationReceipt, DeclarationVersion
from tests.filings.hub.conftest import BUYER_ID, import_list, import_order, import_payment, import_waybill, new_guid

URL = "/api/v1/filings/declarations/"
BULK = "/api/v1/filings/declarations/bulk/"
LINT = "/api/v1/filings/lint/"


def post(signed_client, party, url, body):
    return signed_client(party.client).post(url, data=body)


def codes_of(response) -> list[int]:
    return [e["code"] for e in response.json()["errors"]]


@pytest.mark.django_db
class TestSingleDocument:
    def test_valid_order_is_stored_with_a_receipt(self, cast, signed_client):
        doc = import_order(cast)
        response = post(signed_client, cast.platform, URL, doc)
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["accepted"] is True and body["returnStatus"] == "120"
        assert len(body["returnTime"]) == 17
        assert body["keys"] == {"ebpCode": cast.platform.code, "ebcCode": cast.ebc.code, "orderNo": "ORD-0001"}
        declaration = Declaration.objects.get(kind="CEB311")
        assert declaration.order_no == "ORD-0001" and declaration.amount == Decimal("223.20")
        assert declaration.organization == cast.platform.org
        version = declaration.versions.get()
        assert version.head["goodsValue"] == "200.00"  # the declared text, not a float
        assert "buyerIdNumber" not in version.head  # personal fields live encrypted apart

    def test_personal_data_is_ciphertext_in_the_database(self, cast, signed_client):
        post(signed_client, cast.platform, URL, import_order(cast))
        from django.db import connection
        with connection.cursor() as cursor:
            cursor.execute("SELECT personal FROM filings_declarationversion")
            (stored,) = cursor.fetchone()
        assert stored.startswith("sm4:") and BUYER_ID not in stored and "李四" not in stored

    def test_refused_document_gets_every_error_and_nothing_is_stored(self, cast, signed_client):
        doc = import_order(cast, acturalPaid="999.00", buyerIdNumber="360426199101010072")
        doc["lines"][0]["totalPrice"] = "121.00"
        doc["head"]["currency"] = "502"
        response = post(signed_client, cast.platform, URL, doc)
        assert response.status_code == 422
        body = response.json()
        assert body["accepted"] is False
        by_field = {e["field"]: e for e in body["errors"]}
        assert by_field["head.currency"]["code"] == -900107
        assert by_field["head.buyerIdNumber"]["code"] == -900108
        assert "身份证" in by_field["head.buyerIdNumber"]["message"]
        assert "resident ID" in by_field["head.buyerIdNumber"]["message_en"]
        assert by_field["head.buyerIdNumber"]["hint"]
        assert Declaration.objects.count() == 0 and DeclarationVersion.objects.count() == 0
        receipt = DeclarationReceipt.objects.get(guid=doc["head"]["guid"])
        assert receipt.return_status.startswith("-") and receipt.declaration is None

    def test_money_identity_and_line_totals(self, cast, signed_client):
        doc = import_order(cast, acturalPaid="999.00")
        doc["lines"][0]["totalPrice"] = "121.00"
        response = post(signed_client, cast.platform, URL, doc)
        assert sorted(codes_of(response)) == [-900110, -900109]
        assert "223.20000" in {e["field"]: e for e in response.json()["errors"]}["head.acturalPaid"]["message"]

    def test_wrong_types_and_lengths(self, cast, signed_client):
        doc = import_order(cast, orderNo="X" * 61, goodsValue="12.345678", appTime="2026-11-22")
        del doc["head"]["buyerName"]
        doc["head"]["unknownField"] = "1"
        response = post(signed_client, cast.platform, URL, doc)
        by_field = {e["field"]: e["code"] for e in response.json()["errors"]}
        assert by_field == {"head.orderNo": -900102, "head.goodsValue": -900104, "head.appTime": -900103,
                            "head.buyerName": -900101, "head.unknownField": -900113}

    def test_same_guid_again_returns_the_original_receipt(self, cast, signed_client):
        doc = import_order(cast)
        first = post(signed_client, cast.platform, URL, doc)
        again = post(signed_client, cast.platform, URL, doc)
        assert again.status_code == 200
        assert again.json()["replayed"] is True
        assert again.json()["returnTime"] == first.json()["returnTime"]
        assert Declaration.objects.count() == 1 and DeclarationReceipt.objects.count() == 1

    def test_new_guid_same_order_number_is_a_duplicate(self, cast, signed_client):
        post(signed_client, cast.platform, URL, import_order(cast))
        response = post(signed_client, cast.platform, URL, import_order(cast))
        assert response.status_code == 422 and codes_of(response) == [-301010]

    def test_change_and_delete_keep_every_version(self, cast, signed_client):
        post(signed_client, cast.platform, URL, import_order(cast))
        change = import_order(cast, appType="2", consigneeAddress="浙江省杭州市西湖区文三路2号")
        assert post(signed_client, cast.platform, URL, change).status_code == 201
        delete = import_order(cast, appType="3")
        assert post(signed_client, cast.platform, URL, delete).status_code == 201
        declaration = Declaration.objects.get()
        assert declaration.version == 3 and declaration.deleted
        assert list(declaration.versions.order_by("number").values_list("app_type", flat=True)) == ["1", "2", "3"]
        after_delete = import_order(cast, appType="2")
        assert codes_of(post(signed_client, cast.platform, URL, after_delete)) == [-900304]

    def test_change_of_unknown_document(self, cast, signed_client):
        response = post(signed_client, cast.platform, URL, import_order(cast, appType="2"))
        assert codes_of(response) == [-900302]

    def test_order_cannot_change_once_its_list_is_declared(self, cast, signed_client):
        assert post(signed_client, cast.platform, URL, import_order(cast)).status_code == 201
        assert post(signed_client, cast.payer, URL, import_payment(cast)).status_code == 201
        assert post(signed_client, cast.ebc, URL, import_list(cast)).status_code == 201, "list"
        change = import_order(cast, appType="2", freight="11.00", acturalPaid="224.20")
        assert codes_of(post(signed_client, cast.platform, URL, change)) == [-301011]
        pay_change = import_payment(cast, appType="2", amountPaid="224.20")
        assert codes_of(post(signed_client, cast.payer, URL, pay_change)) == [-301011]


@pytest.mark.django_db
class TestAuthorization:
    def test_a_payment_company_cannot_declare_an_order(self, cast, signed_client):
        response = post(signed_client, cast.payer, URL, import_order(cast))
        assert codes_of(response) == [-900202]

    def test_a_platform_cannot_declare_for_another(self, cast, signed_client):
        other = import_order(cast, ebpCode=cast.logistics.code)  # filed, but not the caller
        response = post(signed_client, cast.ebc, URL, import_order(cast, ebcCode=cast.platform.code))
        assert codes_of(response) == [-900205]
        assert codes_of(post(signed_client, cast.payer, URL, other)) == [-900202]

    def test_unfiled_enterprise_code_is_refused(self, cast, signed_client):
        response = post(signed_client, cast.platform, URL, import_order(cast, ebcCode="91330000000000000X"))
        errors = response.json()["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [(-900201, "head.ebcCode")]

    def test_client_without_the_scope(self, cast, signed_client):
        cast.platform.client.scopes = ["payment:write"]
        cast.platform.client.save()
        response = post(signed_client, cast.platform, URL, import_order(cast))
        assert codes_of(response) == [-900206]

    def test_revoked_filing_stops_declarations_at_once(self, cast, signed_client):
        from django.utils import timezone

        from filings.hub import authority
        from filings.models import EnterpriseFiling
        EnterpriseFiling.objects.filter(organization=cast.platform.org).update(status="revoked",
                                                                               revoked_at=timezone.now())
        authority.bump_generation()
        assert codes_of(post(signed_client, cast.platform, URL, import_order(cast))) == [-900202]

    def test_other_enterprise_never_sees_a_payment(self, cast, signed_client):
        post(signed_client, cast.payer, URL, import_payment(cast))
        declaration = Declaration.objects.get()
        seen_by_ebc = signed_client(cast.ebc.client).get(f"{URL}{declaration.pk}/")
        assert seen_by_ebc.status_code == 404
        listing = signed_client(cast.ebc.client).get(URL)
        assert listing.json()["results"] == []

    def test_platform_sees_the_payment_of_its_order_masked(self, cast, signed_client):
        post(signed_client, cast.payer, URL, import_payment(cast))
        declaration = Declaration.objects.get()
        body = signed_client(cast.platform.client).get(f"{URL}{declaration.pk}/").json()
        head = body["versions"][0]["head"]
        assert head["payerIdNumber"] != BUYER_ID and head["payerIdNumber"].startswith("3604")
        assert BUYER_ID not in json.dumps(body, ensure_ascii=False)
        assert "李四" not in json.dumps(body, ensure_ascii=False)


@pytest.mark.django_db
class TestBulk:
    def test_partial_success_in_request_order(self, cast, signed_client):
        good = [import_order(cast, f"ORD-{i}") for i in range(3)]
        bad = import_order(cast, "ORD-BAD", currency="502")
        dup = import_order(cast, "ORD-1")  # same orderNo as good[1] inside the batch
        response = post(signed_client, cast.platform, BULK, {"documents": [good[0], bad, good[1], dup, good[2]]})
        assert response.status_code == 200
        body = response.json()
        assert (body["accepted"], body["rejected"]) == (3, 2)
        assert [r["accepted"] for r in body["results"]] == [True, False, True, False, True]
        assert body["results"][3]["errors"][0]["code"] == -900301
        assert Declaration.objects.count() == 3

    def test_more_than_a_thousand_is_refused_whole(self, cast, signed_client):
        docs = [import_order(cast, f"ORD-{i}") for i in range(1001)]
        response = post(signed_client, cast.platform, BULK, {"documents": docs})
        assert response.status_code == 400
        assert response.json()["code"] == "too_many_documents"
        assert Declaration.objects.count() == 0

    def test_unknown_kind_and_non_object(self, cast, signed_client):
        response = post(signed_client, cast.platform, BULK, {"documents": [{"kind": "CEB999", "head": {}}, 5]})
        results = response.json()["results"]
        assert [r["errors"][0]["code"] for r in results] == [-900119, -900119]
        assert results[0]["kind"] == "CEB999"

    @pytest.mark.parametrize("order", [("order", "payment", "waybill"), ("waybill", "payment", "order"),
                                       ("payment", "waybill", "order")])
    def test_three_documents_from_three_clients_in_any_order(self, cast, signed_client, order):
        senders = {"order": (cast.platform, import_order), "payment": (cast.payer, import_payment),
                   "waybill": (cast.logistics, import_waybill)}
        for name in order:
            party, build = senders[name]
            assert post(signed_client, party, URL, build(cast)).status_code == 201, name
        rows = Declaration.objects.filter(order_no="ORD-0001")
        assert sorted(rows.values_list("doc_type", flat=True)) == ["order", "payment", "waybill"]
        # the payer and the buyer are compared through the same blind index
        assert len(set(rows.exclude(doc_type="waybill").values_list("buyer_id_bidx", flat=True))) == 1


@pytest.mark.django_db
class TestLintAndReceipts:
    def test_lint_stores_nothing_and_gives_the_same_errors(self, cast, signed_client):
        doc = import_order(cast, currency="502")
        lint = post(signed_client, cast.platform, LINT, doc).json()
        assert lint["rejected"] == 1 and lint["results"][0]["errors"][0]["code"] == -900107
        assert DeclarationReceipt.objects.count() == 0
        real = post(signed_client, cast.platform, URL, doc).json()
        assert [e["code"] for e in real["errors"]] == [e["code"] for e in lint["results"][0]["errors"]]

    def test_lint_sees_the_duplicate_order(self, cast, signed_client):
        post(signed_client, cast.platform, URL, import_order(cast))
        lint = post(signed_client, cast.platform, LINT, {"documents": [import_order(cast)]}).json()
        assert lint["results"][0]["errors"][0]["code"] == -301010

    def test_receipt_feed_in_order_and_only_ones_own(self, cast, signed_client):
        for i in range(3):
            post(signed_client, cast.platform, URL, import_order(cast, f"ORD-{i}"))
        post(signed_client, cast.payer, URL, import_payment(cast))
        feed = signed_client(cast.platform.client).get("/api/v1/filings/receipts/", params={"limit": 2}).json()
        assert [r["keys"]["orderNo"] for r in feed["receipts"]] == ["ORD-0", "ORD-1"]
        rest = signed_client(cast.platform.client).get("/api/v1/filings/receipts/",
                                                       params={"after": feed["next"]}).json()
        assert [r["keys"]["orderNo"] for r in rest["receipts"]] == ["ORD-2"]

    def test_bad_cursor(self, cast, signed_client):
        response = signed_client(cast.platform.client).get("/api/v1/filings/receipts/", params={"after": "x"})
        assert response.status_code == 400 and response.json()["field"] == "after"

    def test_guid_used_by_another_enterprise(self, cast, signed_client):
        guid = new_guid()
        post(signed_client, cast.platform, URL, import_order(cast, guid=guid))
        response = post(signed_client, cast.payer, URL, import_payment(cast, guid=guid))
        assert codes_of(response) == [-900303]


@pytest.mark.django_db
def test_declared_list_state_and_no_change_after_release(cast, signed_client):
    from tests.filings.hub.test_every_kind import SIGNATURE
    stored = import_list(cast)  # appStatus 1: 暂存, not yet declared
    assert post(signed_client, cast.ebc, URL, stored).status_code == 201
    listing = Declaration.objects.get(kind="CEB621")
    assert listing.list_state == ""
    declare = import_list(cast, appType="2", appStatus="2")
    declare["signature"] = SIGNATURE
    assert post(signed_client, cast.ebc, URL, declare).status_code == 201
    listing.refresh_from_db()
    assert listing.list_state == "declared"
    Declaration.objects.filter(pk=listing.pk).update(list_state="released")
    again = import_list(cast, appType="2", appStatus="2")
    again["signature"] = SIGNATURE
    assert codes_of(post(signed_client, cast.ebc, URL, again)) == [-900305]


@pytest.mark.django_db
def test_a_bulk_of_more_than_fifty_goes_through_the_staging_table_whole(cast, signed_client):
    """Past 50 documents the hub writes by COPY (staging table, reserved ids): every document is
    stored with its parties, version and receipt; order numbers with commas, quotes and backslashes
    are found again for a change; the same documents sent again are replays."""
    numbers = [f"ORD-{i:03d}" for i in range(58)] + ['ORD,"Q"\\1', "ORD {brace}"]
    docs = [import_order(cast, n) for n in numbers]
    response = post(signed_client, cast.platform, BULK, {"documents": docs})
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (60, 0), body["results"][0]
    stored = {d.order_no: d for d in Declaration.objects.filter(kind="CEB311")}
    assert set(stored) == set(numbers)
    assert all(sorted(d.parties) == sorted([cast.platform.org.pk, cast.ebc.org.pk]) for d in stored.values())
    assert DeclarationVersion.objects.filter(declaration__kind="CEB311").count() == 60
    assert DeclarationReceipt.objects.filter(kind="CEB311", return_status="120").count() == 60

    again = post(signed_client, cast.platform, BULK, {"documents": docs}).json()
    assert again["accepted"] == 60 and all(r["replayed"] for r in again["results"])

    changes = []
    for n in numbers:
        doc = import_order(cast, n, appType="2", goodsValue="201.00", acturalPaid="224.20")
        doc["lines"][0].update(price="60.50", totalPrice="121.00")
        changes.append(doc)
    changed = post(signed_client, cast.platform, BULK, {"documents": changes}).json()
    assert changed["accepted"] == 60, [r["errors"] for r in changed["results"] if not r["accepted"]][:2]
    assert Declaration.objects.get(order_no='ORD,"Q"\\1').version == 2
    assert Declaration.objects.filter(kind="CEB311").count() == 60
