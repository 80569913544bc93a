"""The pages in a real browser under the real CSP: no violation, every file loads, scripts run."""

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Passw0rd!Zone"


@pytest.fixture
def problems(page):
    """Console errors (CSP violations are reported there) and failed or 4xx/5xx requests."""
    seen = []
    page.on("console", lambda msg: seen.append(f"console {msg.type}: {msg.text}")
            if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: seen.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: seen.append(f"failed: {req.url}"))
    page.on("response", lambda resp: seen.append(f"{resp.status}: {resp.url}") if resp.status >= 400 else None)
    return seen


def _login(page, username):
    page.goto(reverse("accounts:login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(f"form[action='{reverse('accounts:login')}'] button[type=submit]")
    page.wait_for_url("**" + reverse("portal:dashboard"))


def test_home_page_in_both_languages(page, problems, screenshot):
    page.goto(reverse("portal:home"))
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert page.locator("link[href*='bootstrap.min.css']").count() == 1
    # Bootstrap's CSS applied: the navbar is laid out as a flex row on a wide screen
    assert page.eval_on_selector(".navbar", "el => getComputedStyle(el).display") == "flex"
    # the icon font loaded from our own static files
    page.wait_for_function("document.fonts.check('16px bootstrap-icons')")
    screenshot("portal-home-zh")
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("h1").inner_text() == "Pilot-zone public service platform"
    screenshot("portal-home-en")
    assert problems == []


def test_enterprise_dashboard_and_account_menu(page, problems, screenshot, user_a):
    _login(page, "admin_a")
    assert "甲跨境电商有限公司" in page.locator("h1").inner_text()
    # Bootstrap's JavaScript runs: the account menu opens
    page.click(".navbar .dropdown-toggle")
    assert page.locator(".navbar .dropdown-menu").is_visible()
    screenshot("portal-dashboard-enterprise")
    # logout is a POST form inside the menu
    page.click(".navbar .dropdown-menu button[type=submit]")
    page.wait_for_url("**" + reverse("portal:home"))
    assert page.locator(f"a[href='{reverse('accounts:login')}']").count() >= 1
    assert problems == []


def test_zone_admin_dashboard_draws_the_chart(page, problems, screenshot, zone_admin, org_a):
    _login(page, "zone_admin")
    page.wait_for_selector(".zp-chart[data-echarts-ready='1'] canvas")
    box = page.locator(".zp-chart canvas").first.bounding_box()
    assert box["width"] > 200 and box["height"] > 200
    screenshot("portal-dashboard-zone-admin")
    assert problems == []


def test_customs_officer_dashboard(page, problems, screenshot, officer_with_perm):
    _login(page, "customs_officer")
    assert page.locator("#queue-held_lists").is_visible()
    assert page.locator(f".navbar a[href='{reverse('admin:index')}']").is_visible()
    screenshot("portal-dashboard-customs")
    assert problems == []
