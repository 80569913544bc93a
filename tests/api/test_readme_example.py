"""The Python example of docs/api-signing.md (and the README) is executed here, unchanged.

The block between ``<!-- api-example:start -->`` and ``<!-- api-example:end -->`` is loaded as a
module: its ``sign()`` (standard library only) signs requests sent through Django's test client
and, over real HTTP, through ``urllib`` to the live server. When ``requests`` is installed, the
script is also run as a program against the live server, as a partner would run it.
"""

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "api-signing.md"
README = ROOT / "README.md"
BLOCK = re.compile(r"<!-- api-example:start -->\s*```python\n(.*?)```\s*<!-- api-example:end -->", re.S)


def example_source(path: Path) -> str:
    match = BLOCK.search(path.read_text(encoding="utf-8"))
    assert match, f"no api-example block in {path.name}"
    return match.group(1)


@pytest.fixture(scope="module")
def example():
    namespace = {"__name__": "zp_api_example"}
    exec(compile(example_source(DOC), str(DOC), "exec"), namespace)  # our own doc
    return namespace


@pytest.mark.parametrize("method", ["HMAC-SHA256", "HMAC-SM3"])
def test_example_signs_a_get_with_a_query(example, client, client_with_scope, method):
    path_url = "/api/v1/me/?b=2&a=x+y&a=%E5%BC%A0"
    headers = example["sign"](client_with_scope.key_id, client_with_scope._secret, "GET", path_url,
                              signature_method=method)

    response = client.get(path_url, headers=headers)

    assert response.status_code == 200, response.content
    assert response.json()["client"]["key_id"] == client_with_scope.key_id


@pytest.mark.urls("tests.api.urls_for_tests")
def test_example_signs_a_post_with_a_utf8_body(example, client, client_with_scope):
    body = json.dumps({"order_no": "订单-1", "amount": "9.90"}, ensure_ascii=False).encode("utf-8")
    path_url = "/api/v1/test/records/?source=%E5%B9%B3%E5%8F%B0"
    headers = example["sign"](client_with_scope.key_id, client_with_scope._secret, "POST", path_url, body)

    response = client.post(path_url, data=body, content_type="application/json",
                           headers={**headers, "Idempotency-Key": "example-1"})

    assert response.status_code == 201, response.content
    assert response.json()["order_no"] == "订单-1"


def test_example_refused_when_the_body_is_not_what_was_signed(example, client, client_with_scope):
    headers = example["sign"](client_with_scope.key_id, client_with_scope._secret, "GET", "/api/v1/me/",
                              b"something")
    response = client.get("/api/v1/me/", headers=headers)
    assert response.json()["code"] == "auth_bad_signature"


@pytest.mark.django_db(transaction=True)
def test_example_over_real_http(example, live_server):
    from tests.accounts.factories import ApiClientFactory

    partner = ApiClientFactory(scopes=["order:read"])
    path_url = "/api/v1/me/?page=1&q=%E5%BC%A0+%E4%B8%89"
    headers = example["sign"](partner.key_id, partner._secret, "GET", path_url)
    request = urllib.request.Request(live_server.url + path_url, headers=headers)

    with urllib.request.urlopen(request, timeout=30) as response:  # the live test server
        assert response.status == 200
        assert json.loads(response.read())["client"]["key_id"] == partner.key_id


@pytest.mark.django_db(transaction=True)
def test_example_script_runs_as_a_partner_would(live_server, tmp_path):
    pytest.importorskip("requests", reason="the example sends with requests; add it to the dev extras")
    from tests.accounts.factories import ApiClientFactory

    partner = ApiClientFactory(scopes=["order:read"])
    script = tmp_path / "zp_api_example.py"
    script.write_text(example_source(DOC), encoding="utf-8")
    env = {**os.environ, "ZP_API_BASE": live_server.url, "ZP_KEY_ID": partner.key_id,
           "ZP_SECRET": partner._secret}

    run = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)

    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == "200"
    assert partner.key_id in run.stdout


def test_readme_shows_the_same_example_as_the_doc():
    assert example_source(README) == example_source(DOC), (
        "README.md's api-example block must be a copy of the one in docs/api-signing.md"
    )
