"""End to end in Chromium: an enterprise user fills in the goods form (the HS code look-up swaps in
through htmx under the CSP), adds a picture and submits; the item shows as under review with its
picture, and no page breaks the Content Security Policy."""

import pytest
from django.urls import reverse

from filings.models import GoodsItem
from tests.filings.goods_fixtures import GOODS_TABLES, file_enterprise
from tests.filings.test_goods_pages import png_bytes
from zone_portal.codes.services import codes_load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Passw0rd!Zone"


def _login(page, username):
    page.goto(reverse("accounts:login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(f"form[action='{reverse('accounts:login')}'] button[type=submit]")
    page.wait_for_url("**" + reverse("portal:dashboard"))


def test_enterprise_creates_and_submits_a_goods_item_in_the_form(page, screenshot, user_a, org_a):
    assert all(not r.errors for r in codes_load(only=GOODS_TABLES))
    file_enterprise(org_a)
    csp_reports = []
    page.on("console", lambda message: csp_reports.append(message.text)
            if "Content Security Policy" in message.text else None)

    _login(page, user_a.username)
    page.click(f"nav a[href='{reverse('filings:goods_list')}']")  # the menu entry
    page.wait_for_url("**" + reverse("filings:goods_list"))
    page.click("#new-goods")
    page.fill("#id_item_no", "SKU-BROWSER-1")
    page.fill("#id_name", "保湿面霜")
    page.fill("#id_hs_code", "3304990099")
    page.wait_for_selector("#hs-info >> text=3304990099")  # swapped in by htmx as the code is typed
    assert "035" in page.locator("#hs-info").inner_text()
    page.select_option("#id_origin_country", "303")
    page.select_option("#id_legal_unit_1", "035")
    page.select_option("#id_declared_unit", "122")
    page.fill("#id_unit_price", "199")
    page.select_option("#id_currency", "142")
    page.check("input[name=direction][value=import]")
    page.check("input[name=modes][value='1210']")
    page.set_input_files("#id_images", files=[{"name": "cream.png", "mimeType": "image/png",
                                                "buffer": png_bytes()}])
    screenshot("goods-form")
    page.click("#save-submit")
    page.wait_for_url("**/filings/goods/*/")

    item = GoodsItem.objects.get(organization=org_a)
    assert item.status == GoodsItem.Status.UNDER_REVIEW
    assert page.locator("#goods-status-badge").inner_text().strip() == "审核中"
    picture = page.locator("#open-version img")
    assert picture.count() == 1
    assert picture.evaluate("img => img.complete && img.naturalWidth") == 1  # served by the private view
    screenshot("goods-detail")
    page.goto(reverse("filings:goods_list"))
    assert "SKU-BROWSER-1" in page.locator("#goods-table").inner_text()
    screenshot("goods-list")
    assert csp_reports == []
