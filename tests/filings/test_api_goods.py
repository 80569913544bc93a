"""The goods API of an enterprise's own API client: create, read, update the draft, submit, bulk."""

from decimal import Decimal
from urllib.parse import parse_qs

import pytest

from filings.models import GoodsItem, GoodsVersion
from tests.accounts.factories import ApiClientFactory
from tests.filings import goods_fixtures
from tests.filings.goods_fixtures import file_enterprise, good_data
from zone_portal.audit.models import AuditEvent

goods_codes_loaded = goods_fixtures.goods_codes_loaded
goods_codes = goods_fixtures.goods_codes

pytestmark = pytest.mark.usefixtures("goods_codes")

GOODS = "/api/v1/filings/goods/"
BULK = "/api/v1/filings/goods/bulk/"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def goods_a(org_a):
    """Enterprise A's client that reads and writes goods."""
    return ApiClientFactory(organization=org_a, scopes=["goods:read", "goods:write"])


@pytest.fixture
def goods_b(org_b):
    return ApiClientFactory(organization=org_b, scopes=["goods:read", "goods:write"])


@pytest.fixture
def api_a(signed_client, goods_a):
    return signed_client(goods_a)


def put(api, path, data):
    return api.request("PUT", path, data=data)


def error_pairs(body):
    return {(e["field"], e["code"]) for e in body["errors"]}


# --- create ---------------------------------------------------------------------------------


def test_create_returns_201_with_the_draft_item(api_a, org_a):
    response = api_a.post(GOODS, good_data())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["item_no"] == "SKU-001" and body["status"] == "draft"
    assert body["record_no"] is None and body["trace_id"] is None and body["effective_version"] is None
    assert body["open_version"]["status"] == "draft"
    assert body["open_version"]["hs_code"] == "3304990099"
    assert body["open_version"]["positive_list"] is True
    assert body["open_version"]["unit_price"] == "199.00000"
    item = GoodsItem.objects.get(organization=org_a, item_no="SKU-001")
    assert item.versions.get().name == "保湿面霜"
    assert AuditEvent.objects.filter(action="filings.goodsitem.create", organization_id=org_a.pk).count() == 1


def test_validation_errors_name_their_fields_and_store_nothing(api_a, org_a):
    response = api_a.post(GOODS, good_data(hs_code="9999999999", barcode="4006381333932", name=""))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert {("hs_code", "hs_code_unknown"), ("barcode", "gtin_invalid"), ("name", "required")} <= error_pairs(body)
    messages = {e["field"]: e["message"] for e in body["errors"]}
    assert messages["hs_code"] == "This HS code is not in the commodity code table."
    assert not GoodsItem.objects.filter(organization=org_a).exists()


def test_wrong_types_are_validation_errors(api_a, org_a):
    response = api_a.post(GOODS, good_data(modes="1210", name={"zh": "x"}))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert {"modes", "name"} <= {e["field"] for e in body["errors"]}
    assert not GoodsItem.objects.exists()


def test_a_body_that_is_not_an_object_is_refused(api_a):
    response = api_a.post(GOODS, [good_data()])
    assert response.status_code == 400 and response.json()["code"] == "validation_error"
    assert not GoodsItem.objects.exists()


def test_second_create_of_the_same_sku_is_a_conflict(api_a, org_a):
    assert api_a.post(GOODS, good_data()).status_code == 201
    response = api_a.post(GOODS, good_data(name="另一个名称"))
    assert response.status_code == 409
    assert response.json()["code"] == "sku_duplicate" and response.json()["field"] == "item_no"
    assert GoodsItem.objects.filter(organization=org_a).count() == 1


def test_the_same_sku_in_another_enterprise_is_fine(signed_client, api_a, goods_b, org_b):
    assert api_a.post(GOODS, good_data()).status_code == 201
    assert signed_client(goods_b).post(GOODS, good_data()).status_code == 201
    assert GoodsItem.objects.filter(organization=org_b, item_no="SKU-001").exists()


def test_retry_with_the_same_idempotency_key_replays(api_a, org_a):
    first = api_a.post(GOODS, good_data(), idempotency_key="create-sku-001")
    second = api_a.post(GOODS, good_data(), idempotency_key="create-sku-001")
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert GoodsItem.objects.filter(organization=org_a).count() == 1


# --- scopes and callers -----------------------------------------------------------------------


def test_write_needs_goods_write(signed_client, org_a):
    reader = ApiClientFactory(organization=org_a, scopes=["goods:read"])
    response = signed_client(reader).post(GOODS, good_data())
    assert response.status_code == 403 and response.json()["code"] == "scope_missing"
    assert not GoodsItem.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="filings.goodsitem").exists()


def test_read_needs_goods_read(signed_client, client_with_scope):
    response = signed_client(client_with_scope).get(GOODS)
    assert response.status_code == 403 and response.json()["code"] == "scope_missing"


def test_anonymous_is_401(client):
    response = client.get(GOODS)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_enterprise_user_with_session_uses_own_goods(client, user_a, org_a):
    client.force_login(user_a)
    response = client.post(GOODS, good_data(), content_type="application/json")
    assert response.status_code == 201, response.content
    assert GoodsItem.objects.get().organization == org_a
    listed = client.get(GOODS).json()["results"]
    assert [r["item_no"] for r in listed] == ["SKU-001"]


def test_officer_has_no_goods_of_its_own(client, api_a, officer_with_perm):
    api_a.post(GOODS, good_data())
    client.force_login(officer_with_perm)
    response = client.get(GOODS)
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert "SKU-001" not in response.content.decode()


# --- read -------------------------------------------------------------------------------------


def test_enterprise_b_never_sees_a_goods(signed_client, api_a, goods_b):
    api_a.post(GOODS, good_data())
    api_b = signed_client(goods_b)
    listed = api_b.get(GOODS)
    assert listed.status_code == 200 and listed.json()["results"] == []
    detail = api_b.get(GOODS + "SKU-001/")
    assert detail.status_code == 404 and detail.json()["code"] == "not_found"
    assert put(api_b, GOODS + "SKU-001/", good_data(name="改")).status_code == 404
    assert api_b.post(GOODS + "SKU-001/submit/").status_code == 404
    assert GoodsVersion.objects.get().name == "保湿面霜"


def test_detail_by_sku(api_a):
    api_a.post(GOODS, good_data())
    response = api_a.get(GOODS + "SKU-001/")
    assert response.status_code == 200
    assert response.json()["item_no"] == "SKU-001" and response.json()["open_version"]["number"] == 1


def test_list_filters_and_cursor_pagination(api_a):
    api_a.post(GOODS, good_data(item_no="CREAM-1"))
    api_a.post(GOODS, good_data(item_no="CREAM-2", name="洗面奶"))
    api_a.post(GOODS, good_data(item_no="BEEF-1", name="牛肉", hs_code="0201300000", direction="export",
                                modes=["9610"], legal_unit_1="035", barcode=""))
    assert [r["item_no"] for r in api_a.get(GOODS, params={"q": "洗面奶"}).json()["results"]] == ["CREAM-2"]
    assert [r["item_no"] for r in api_a.get(GOODS, params={"hs_code": "0201"}).json()["results"]] == ["BEEF-1"]
    assert api_a.get(GOODS, params={"status": "filed"}).json()["results"] == []
    first = api_a.get(GOODS, params={"page_size": 2}).json()
    assert [r["item_no"] for r in first["results"]] == ["BEEF-1", "CREAM-1"]
    query = first["next"].partition("?")[2]
    second = api_a.get(GOODS, params={k: v[0] for k, v in parse_qs(query).items()}).json()
    assert [r["item_no"] for r in second["results"]] == ["CREAM-2"]


def test_list_query_count_does_not_grow_with_items(api_a, django_assert_max_num_queries):
    for n in range(12):
        api_a.post(GOODS, good_data(item_no=f"SKU-{n:03d}"))
    with django_assert_max_num_queries(8):
        response = api_a.get(GOODS)
    assert len(response.json()["results"]) == 12


# --- update the draft, submit ---------------------------------------------------------------


def test_put_replaces_the_draft(api_a):
    api_a.post(GOODS, good_data())
    response = put(api_a, GOODS + "SKU-001/", good_data(name="新名称", unit_price="88.5"))
    assert response.status_code == 200, response.content
    assert response.json()["open_version"]["name"] == "新名称"
    assert GoodsVersion.objects.get().unit_price == Decimal("88.50000")


def test_put_with_bad_data_keeps_the_draft(api_a):
    api_a.post(GOODS, good_data())
    response = put(api_a, GOODS + "SKU-001/", good_data(currency="999"))
    assert response.status_code == 400
    assert ("currency", "currency_unknown") in error_pairs(response.json())
    assert GoodsVersion.objects.get().currency_id == "142"


def test_submit_requires_an_effective_ebc_filing(api_a, org_a):
    api_a.post(GOODS, good_data())
    response = api_a.post(GOODS + "SKU-001/submit/")
    assert response.status_code == 400
    assert response.json()["code"] == "enterprise_not_filed"
    assert GoodsItem.objects.get().status == "draft"


def test_submit_sends_the_draft_to_customs(api_a, org_a):
    file_enterprise(org_a)
    api_a.post(GOODS, good_data())
    response = api_a.post(GOODS + "SKU-001/submit/", idempotency_key="submit-1")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "under_review"
    assert response.json()["open_version"]["status"] == "under_review"
    replay = api_a.post(GOODS + "SKU-001/submit/", idempotency_key="submit-1")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    again = api_a.post(GOODS + "SKU-001/submit/")
    assert again.status_code == 409 and again.json()["code"] == "goods_wrong_state"
    assert AuditEvent.objects.filter(action="filings.goodsitem.submit").count() == 1


# --- bulk -----------------------------------------------------------------------------------


def test_bulk_reports_every_item_in_order_and_stores_the_good_ones(api_a, org_a):
    api_a.post(GOODS, good_data(item_no="EXISTING"))
    items = [
        good_data(item_no="B-1"),
        good_data(item_no="B-2", hs_code="9999999999"),
        good_data(item_no="B-3"),
        good_data(item_no="B-1", name="重复"),
        "not an object",
        good_data(item_no="EXISTING"),
        good_data(item_no="B-4", modes="1210"),
    ]
    response = api_a.post(BULK, items)
    assert response.status_code == 200, response.content
    results = response.json()
    assert [r["index"] for r in results] == list(range(7))
    assert [r["item_no"] for r in results] == ["B-1", "B-2", "B-3", "B-1", None, "EXISTING", "B-4"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted", "rejected", "rejected",
                                              "rejected", "rejected"]
    assert results[0]["errors"] == [] and results[2]["errors"] == []
    assert ("hs_code", "hs_code_unknown") in {(e["field"], e["code"]) for e in results[1]["errors"]}
    assert results[3]["errors"] == [{"field": "item_no", "code": "sku_duplicate",
                                     "message": "This SKU is already item 0 of this request."}]
    assert results[4]["errors"][0]["code"] == "not_an_object"
    assert results[5]["errors"][0]["code"] == "sku_duplicate"
    assert results[6]["errors"][0]["field"] == "modes"
    stored = set(GoodsItem.objects.filter(organization=org_a).values_list("item_no", flat=True))
    assert stored == {"EXISTING", "B-1", "B-3"}
    assert GoodsVersion.objects.get(item__item_no="B-1").name == "保湿面霜"


def test_bulk_over_1000_items_is_refused(api_a):
    response = api_a.post(BULK, [good_data(item_no=f"S{n}") for n in range(1001)])
    assert response.status_code == 400 and response.json()["code"] == "too_many_items"
    assert not GoodsItem.objects.exists()


def test_bulk_body_must_be_a_list(api_a):
    response = api_a.post(BULK, good_data())
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error" and body["errors"][0]["code"] == "not_a_list"
    assert not GoodsItem.objects.exists()


def test_bulk_replay_does_not_create_twice(api_a, org_a):
    items = [good_data(item_no="R-1"), good_data(item_no="R-2")]
    first = api_a.post(BULK, items, idempotency_key="bulk-1")
    second = api_a.post(BULK, items, idempotency_key="bulk-1")
    assert [r["status"] for r in first.json()] == ["accepted", "accepted"]
    assert second.headers["Idempotent-Replayed"] == "true" and second.json() == first.json()
    assert GoodsItem.objects.filter(organization=org_a).count() == 2


def test_bulk_needs_goods_write(signed_client, org_a):
    reader = ApiClientFactory(organization=org_a, scopes=["goods:read"])
    response = signed_client(reader).post(BULK, [good_data()])
    assert response.status_code == 403 and response.json()["code"] == "scope_missing"
    assert not GoodsItem.objects.exists()
