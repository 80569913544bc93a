"""The API documentation really renders in a browser under the portal's CSP, offline."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Redoc's sidebar shows its maker's logo from their CDN; the CSP blocks it (the image removes
# itself on error), so nothing leaves the machine.
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def watch(page, base_url):
    seen = {"csp": [], "errors": [], "outside": [], "failed": []}

    def on_console(message):
        if message.type == "error":
            key = "csp" if "Content Security Policy" in message.text else "errors"
            seen[key].append(message.text)

    page.on("console", on_console)
    local = (base_url, f"blob:{base_url}", "data:")  # blob: is Redoc's search worker, made in the page
    page.on("request", lambda r: None if r.url.startswith(local) else seen["outside"].append(r.url))
    page.on("requestfailed", lambda r: seen["failed"].append(r.url))
    return seen


def test_swagger_ui_renders_the_operations(page, live_server, screenshot):
    seen = watch(page, live_server.url)

    page.goto("/api/docs/")
    page.locator(".opblock-summary-path", has_text="/api/v1/me/").wait_for()

    screenshot("api-docs-swagger")
    assert seen["csp"] == [] and seen["errors"] == [], seen
    assert seen["outside"] == []


def test_redoc_renders_the_operations(page, live_server, screenshot):
    seen = watch(page, live_server.url)

    page.goto("/api/redoc/")
    page.locator("h2", has_text="Who is calling").wait_for()

    screenshot("api-docs-redoc")
    assert all(REDOCLY_LOGO in text for text in seen["csp"]), seen["csp"]
    assert seen["errors"] == [], seen
    assert set(seen["outside"]) <= {REDOCLY_LOGO}
    assert set(seen["outside"]) <= set(seen["failed"]), "an outside request was not blocked"
