"""Every API error is JSON {"code", "message", "field"}, in the language of Accept-Language."""

import pytest
from django.utils import translation

from tests.api.helpers import error_of
from tests.api.urls_for_tests import RECORD_ACTION
from zone_portal.audit.models import AuditEvent

RECORDS = "/api/v1/test/records/"
ME = "/api/v1/me/"
urls_for_tests = pytest.mark.urls("tests.api.urls_for_tests")


@urls_for_tests
def test_one_invalid_field_names_the_field(signed_client, client_with_scope):
    response = signed_client(client_with_scope).post(RECORDS, {"order_no": "A1"},
                                                     headers={"Accept-Language": "en"})

    assert response.status_code == 400
    assert error_of(response) == {
        "code": "validation_error",
        "message": "This field is required.",
        "field": "amount",
        "errors": [{"code": "required", "message": "This field is required.", "field": "amount"}],
    }
    assert not AuditEvent.objects.filter(action=RECORD_ACTION).exists()


@urls_for_tests
def test_several_invalid_fields_are_all_listed_with_dotted_paths(signed_client, client_with_scope):
    payload = {"order_no": "X" * 21, "amount": "-1",
               "lines": [{"gnum": 1, "qty": "1"}, {"gnum": 0, "qty": "0"}]}
    response = signed_client(client_with_scope).post(RECORDS, payload, headers={"Accept-Language": "en"})

    assert response.status_code == 400
    body = error_of(response)
    assert body["code"] == "validation_error"
    assert body["message"] == "Invalid input."
    assert body["field"] is None
    assert {(e["field"], e["code"]) for e in body["errors"]} == {
        ("order_no", "max_length"), ("amount", "min_value"),
        ("lines.1.gnum", "min_value"), ("lines.1.qty", "min_value"),
    }
    assert all(e["message"] for e in body["errors"])


@urls_for_tests
def test_application_error_keeps_its_code_field_status_and_details(signed_client, client_with_scope):
    response = signed_client(client_with_scope).post(RECORDS, {"order_no": "DUPLICATE", "amount": "1"})

    assert response.status_code == 409
    assert error_of(response) == {
        "code": "order_duplicate",
        "message": "This order number was already declared.",
        "field": "order_no",
        "details": {"existing_id": 42},
    }


@urls_for_tests
def test_malformed_json_is_a_parse_error(signed_client, client_with_scope):
    response = signed_client(client_with_scope).post(RECORDS, body=b'{"order_no": ')

    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


@urls_for_tests
def test_unexpected_exception_is_a_json_500_and_is_logged(signed_client, client_with_scope, caplog):
    response = signed_client(client_with_scope).post(RECORDS, {"order_no": "BOOM", "amount": "1"},
                                                     headers={"Accept-Language": "en"})

    assert response.status_code == 500
    assert error_of(response) == {"code": "server_error", "message": "A server error occurred.",
                                  "field": None}
    assert any(r.name == "zone_portal.api" and r.exc_info for r in caplog.records)


@urls_for_tests
def test_a_body_over_the_upload_limit_is_a_json_413(signed_client, client_with_scope, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64
    response = signed_client(client_with_scope).post(RECORDS, {"order_no": "A" * 80, "amount": "1"})

    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"
    assert not AuditEvent.objects.filter(action=RECORD_ACTION).exists()


def test_handler500_answers_json_under_api_and_html_elsewhere(rf):
    from zone_portal.api.views import server_error

    api = server_error(rf.get("/api/v1/me/"))
    page = server_error(rf.get("/portal/"))

    assert api.status_code == page.status_code == 500
    assert error_of(api)["code"] == "server_error"
    assert page["Content-Type"].startswith("text/html")


def test_unknown_api_path_is_a_json_404(signed_client, client_with_scope, client):
    signed = signed_client(client_with_scope).get("/api/v1/no-such-thing/")
    anonymous_post = client.post("/api/v2/whatever", data={"a": 1})

    for response in (signed, anonymous_post):
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


def test_method_not_allowed(signed_client, client_with_scope):
    response = signed_client(client_with_scope).delete(ME)

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_errors_are_json_even_when_html_is_asked_for(client):
    response = client.get(ME, headers={"Accept": "text/html"})

    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_signed_client_gets_messages_in_the_language_of_accept_language(signed_client, client_with_scope):
    """DRF ships Chinese for its own messages, so the switch is visible before locale/ exists."""
    api = signed_client(client_with_scope)

    english = api.delete(ME, headers={"Accept-Language": "en"})
    chinese = api.delete(ME, headers={"Accept-Language": "zh-hans"})
    default = api.delete(ME)

    assert error_of(english)["code"] == error_of(chinese)["code"] == "method_not_allowed"
    assert error_of(english)["message"] == 'Method "DELETE" not allowed.'
    with translation.override("zh-hans"):
        expected_chinese = str(translation.gettext('Method "{method}" not allowed.')).format(method="DELETE")
    assert expected_chinese != english.json()["message"]
    assert error_of(chinese)["message"] == expected_chinese
    assert error_of(default)["message"] == expected_chinese  # zh-hans is the default language
    assert chinese["Content-Language"] == "zh-hans"
    assert english["Content-Language"] == "en"


@urls_for_tests
def test_validation_messages_follow_accept_language(signed_client, client_with_scope):
    api = signed_client(client_with_scope)

    english = error_of(api.post(RECORDS, {"order_no": "A1"}, headers={"Accept-Language": "en"}))
    chinese = error_of(api.post(RECORDS, {"order_no": "A1"}, headers={"Accept-Language": "zh-hans"}))

    assert english["field"] == chinese["field"] == "amount"
    assert english["errors"][0]["code"] == chinese["errors"][0]["code"] == "required"
    assert english["message"] == "This field is required."
    assert chinese["message"] != english["message"]
    with translation.override("zh-hans"):
        assert chinese["message"] == translation.gettext("This field is required.")


def test_signing_errors_are_translatable_messages(signed_client, client_with_scope, monkeypatch):
    """The platform's own messages go through gettext at request time (Chinese arrives with
    locale/): replacing the catalogue's answer changes the message, not the code."""
    from zone_portal.api import errors

    monkeypatch.setattr(errors, "_", lambda text: "译:" + text)
    response = signed_client(client_with_scope).get(ME, omit=("X-Nonce",))

    body = error_of(response)
    assert body["code"] == "auth_missing_headers"
    assert body["message"].startswith("译:The request is not fully signed")
