"""End to end in Chromium: an enterprise registers, logs in, creates an API client and sees its
secret exactly once."""

import pytest
from django.urls import reverse

from tests.accounts.factories import make_uscc
from zone_portal.accounts.models import ApiClient, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Hangzhou-Zone-2026"


def test_register_log_in_create_api_client_and_see_the_secret_once(page, screenshot):
    page.goto(reverse("accounts:register"))
    page.fill("#id_organization_name", "杭州浏览器测试跨境电商有限公司")
    page.fill("#id_organization_name_en", "Hangzhou Browser Test CBEC Ltd.")
    page.fill("#id_uscc", make_uscc(9001))
    page.fill("#id_contact_name", "周九")
    page.fill("#id_mobile", "13812340000")
    page.fill("#id_email", "zhou@example.com")
    page.fill("#id_username", "hz_browser")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    screenshot("accounts-register")
    page.click("#register-form button[type=submit]")
    page.wait_for_url("**" + reverse("portal:dashboard"))
    assert "杭州浏览器测试跨境电商有限公司" in page.content()
    assert User.objects.get(username="hz_browser").organization.uscc == make_uscc(9001)

    # Log out and back in through the login page, as a returning user would.
    page.locator("[data-bs-toggle=dropdown]").last.click()
    page.locator(f"form[action='{reverse('accounts:logout')}'] button").first.click()
    page.wait_for_url("**/")
    page.goto(reverse("accounts:login"))
    page.fill("#id_username", "hz_browser")
    page.fill("#id_password", PASSWORD)
    page.click(f"form[action='{reverse('accounts:login')}'] button[type=submit]")
    page.wait_for_url("**" + reverse("portal:dashboard"))

    page.goto(reverse("accounts:api_client_list"))
    page.click(f"a[href='{reverse('accounts:api_client_create')}']")
    page.fill("#id_name", "订单系统（生产）")
    page.check("input[value='order:write']")
    page.check("input[value='order:read']")
    page.click("#api-client-form button[type=submit]")
    secret = page.locator("#api-secret").inner_text().strip()
    key_id = page.locator("#api-key").inner_text().strip()
    screenshot("accounts-api-client-secret")
    assert len(secret) >= 32
    client = ApiClient.objects.get(key_id=key_id)
    assert client.scopes == ["order:read", "order:write"]

    page.click(f"a[href='{reverse('accounts:api_client_detail', args=[client.pk])}']")
    assert key_id in page.content()
    assert secret not in page.content()
    page.goto(reverse("accounts:api_client_list"))
    assert secret not in page.content()
    page.go_back()
    page.reload()
    assert secret not in page.content()
    screenshot("accounts-api-client-detail")
