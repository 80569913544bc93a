"""Read-only API of the code tables: authentication, search, filters, rates, pagination, N+1."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.urls("tests.codes.urls")

API = "/api/v1/codes"


@pytest.fixture
def api(client, user_a):
    """An enterprise user's session (the API accepts any authenticated caller)."""
    client.force_login(user_a)
    return client


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.parametrize("path", ["countries/", "currencies/", "units/", "trade-modes/", "transport-modes/",
                                  "hs-codes/", "divisions/", "countries/303/", "hs-codes/2204210000/"])
def test_anonymous_callers_are_refused(codes, client, path):
    response = client.get(f"{API}/{path}")
    assert response.status_code in (401, 403)
    assert "results" not in response.json()


def test_countries_list_search_and_detail(codes, api):
    first = api.get(f"{API}/countries/", {"page_size": 20}).json()
    assert len(first["results"]) == 20 and first["next"]
    assert first["results"][0]["customs_code"] == "101"
    second = api.get(first["next"]).json()
    assert second["results"][0]["customs_code"] > first["results"][-1]["customs_code"]

    assert [c["customs_code"] for c in results(api.get(f"{API}/countries/", {"q": "GBR"}))] == ["303"]
    assert "303" in [c["customs_code"] for c in results(api.get(f"{API}/countries/", {"q": "英国"}))]
    assert {c["customs_code"] for c in results(api.get(f"{API}/countries/", {"q": "30"}))} >= {"303", "305"}
    uk = api.get(f"{API}/countries/303/").json()
    assert (uk["name_zh"], uk["iso_alpha2"], uk["iso_alpha3"]) == ("英国", "GB", "GBR")
    assert api.get(f"{API}/countries/999999/").status_code == 404


def test_currencies_units_and_modes(codes, api):
    assert api.get(f"{API}/currencies/303/").json()["name_zh"] == "英镑"
    assert [u["code"] for u in results(api.get(f"{API}/units/", {"q": "罐"}))] == ["122"]
    assert api.get(f"{API}/units/140/").json()["name_zh"] == "盒"
    modes = results(api.get(f"{API}/trade-modes/"))
    assert {m["code"] for m in modes} == {"9610", "1210", "1239", "9710", "9810", "0110"}
    assert {m["code"] for m in results(api.get(f"{API}/trade-modes/", {"direction": "export"}))} == {"9710", "9810"}
    assert api.get(f"{API}/transport-modes/5/").json()["name_zh"] == "航空运输"
    assert api.get(f"{API}/customs-districts/5303/").json()["parent_code"] == "5300"


def test_hs_code_detail_has_units_and_current_rates(codes, api):
    wine = api.get(f"{API}/hs-codes/2204210000/").json()
    assert wine["legal_unit_1"] == {"code": "095", "name_zh": "升"}
    assert wine["legal_unit_2"] == {"code": "035", "name_zh": "千克"}
    assert wine["chapter"] == "22" and wine["hs6"] == "220421" and wine["positive_list"] is True
    assert wine["rates"]["vat_rate"] == "0.1300"
    assert wine["rates"]["consumption_tax_rate"] == "0.1000"
    assert "curated sample" in wine["source"]
    whisky = api.get(f"{API}/hs-codes/2208300000/").json()["rates"]
    assert (whisky["consumption_tax_specific"], whisky["consumption_tax_specific_unit"]) == ("0.9120", "095")


def test_hs_code_rates_on_a_date(codes, api):
    battery = f"{API}/hs-codes/8507600090/"
    assert api.get(battery, {"on": "2024-11-30"}).json()["rates"]["export_refund_rate"] == "0.1300"
    assert api.get(battery, {"on": "2024-12-01"}).json()["rates"]["export_refund_rate"] == "0.0900"
    assert api.get(battery, {"on": "2019-01-01"}).json()["rates"] is None
    assert api.get(battery, {"on": "2024-13-01"}).status_code == 400


def test_hs_code_filters(codes, api):
    chapter = results(api.get(f"{API}/hs-codes/", {"chapter": "22", "page_size": 100}))
    assert chapter and all(c["hs_code"].startswith("22") for c in chapter)
    prefix = {c["hs_code"] for c in results(api.get(f"{API}/hs-codes/", {"q": "1901"}))}
    assert prefix == {"1901101000", "1901109000", "1901900000"}
    by_name = {c["hs_code"] for c in results(api.get(f"{API}/hs-codes/", {"q": "配方奶粉"}))}
    assert by_name == {"1901101000"}
    off_list = {c["hs_code"] for c in results(api.get(f"{API}/hs-codes/", {"positive_list": "false",
                                                                          "page_size": 500}))}
    assert "3004909099" in off_list and "1901101000" not in off_list
    nine = {c["hs_code"] for c in results(api.get(f"{API}/hs-codes/", {"vat_rate": "0.09", "page_size": 500}))}
    assert "0409000000" in nine and "1901101000" not in nine


def test_hs_code_list_query_count_does_not_grow_with_the_page(codes, api):
    api.get(f"{API}/hs-codes/", {"page_size": 5})  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert len(results(api.get(f"{API}/hs-codes/", {"page_size": 5}))) == 5
    with CaptureQueriesContext(connection) as large:
        assert len(results(api.get(f"{API}/hs-codes/", {"page_size": 300}))) == 300
    assert len(large) == len(small)
    assert len(small) <= 4


def test_divisions_filter_by_level_parent_and_province(codes, api):
    provinces = results(api.get(f"{API}/divisions/", {"level": "province", "page_size": 100}))
    assert len(provinces) == 34
    districts = {d["code"]: d["name_zh"] for d in results(api.get(
        f"{API}/divisions/", {"parent_code": "330100", "is_current": "true", "page_size": 100}))}
    assert districts["330106"] == "西湖区"
    prefectures = {d["name_zh"] for d in results(api.get(
        f"{API}/divisions/", {"province": "33", "level": "prefecture", "is_current": "true"}))}
    assert "杭州市" in prefectures and "苏州市" not in prefectures
    history = results(api.get(f"{API}/divisions/", {"code": "210311"}))
    assert [d["is_current"] for d in history].count(True) == 1


def test_the_api_is_read_only(codes, api):
    response = api.post(f"{API}/countries/", {"customs_code": "998", "name_zh": "x"})
    assert response.status_code == 405
    assert api.delete(f"{API}/countries/303/").status_code == 405
