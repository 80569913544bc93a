"""The schema and its two readers: public, and built from the platform's own static files."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


def local_assets(html: str) -> list[str]:
    return [url for url in ASSET.findall(html) if not url.startswith("/api/")]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_from_local_static_files_only(client, path):
    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://", html), "the page must not load anything from another host"
    assets = local_assets(html)
    assert assets, "the page loads its viewer from /static/"
    for url in assets:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is not among the static files"
    assert "<style" not in html and "<script>" not in html  # the CSP allows neither inline


def test_swagger_page_loads_its_start_script_from_the_same_view(client):
    html = client.get("/api/docs/").content.decode()
    script_url = next(url for url in ASSET.findall(html) if url.startswith("/api/docs/"))

    script = client.get(script_url.replace("&amp;", "&"))

    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
    assert not re.search(r"https?://", script.content.decode())


def test_docs_pages_keep_a_strict_content_security_policy(client):
    swagger_csp = client.get("/api/docs/")["Content-Security-Policy"]
    redoc_csp = client.get("/api/redoc/")["Content-Security-Policy"]

    assert "script-src 'self'" in swagger_csp and "unsafe" not in swagger_csp
    assert "script-src 'self';" in redoc_csp + ";"
    assert "'unsafe-inline'" in redoc_csp.split("style-src", 1)[1].split(";", 1)[0]  # Redoc's own styling


def test_schema_is_public_and_documents_the_signed_scheme(client):
    response = client.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})

    assert response.status_code == 200
    schema = response.json()
    scheme = schema["components"]["securitySchemes"]["SignedRequest"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-Api-Key")
    for header in ("X-Timestamp", "X-Nonce", "X-Signature", "X-Signature-Method", "HMAC-SM3"):
        assert header in scheme["description"]
    me = schema["paths"]["/api/v1/me/"]["get"]
    assert {"SignedRequest": []} in me["security"]
    assert me["responses"]["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


def test_docs_stay_public_for_a_caller_with_broken_credentials(client):
    headers = {"X-Api-Key": "zpk_nobody", "X-Signature": "00"}
    assert client.get("/api/schema/", headers=headers).status_code == 200
    assert client.get("/api/docs/", headers=headers).status_code == 200


@pytest.mark.urls("tests.api.urls_for_tests")
def test_schema_documents_the_idempotency_key_on_post(client):
    schema = client.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}).json()

    post = schema["paths"]["/api/v1/test/records/"]["post"]
    header = next(p for p in post["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header"
    assert header.get("required", False) is False  # optional unless the view requires it
