"""Signed requests: every refusal has its own status and code; good signatures get through."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.accounts.factories import ApiClientFactory
from tests.api.helpers import error_of
from tests.fixtures.api import new_nonce
from zone_portal.accounts.models import ApiClient, Organization

ME = "/api/v1/me/"


def test_sha256_signature_is_accepted_and_the_caller_is_the_client(signed_client, client_with_scope):
    response = signed_client(client_with_scope).get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["caller_type"] == "api_client"
    assert body["client"] == {"name": "order-writer", "key_id": client_with_scope.key_id,
                              "scopes": ["order:read", "order:write"]}
    assert body["organization"]["uscc"] == client_with_scope.organization.uscc
    assert body["user"] is None


def test_sm3_signature_is_accepted(signed_client, client_with_scope):
    response = signed_client(client_with_scope, signature_method="HMAC-SM3").get(ME, params={"q": "张 三"})

    assert response.status_code == 200
    assert response.json()["client"]["key_id"] == client_with_scope.key_id


def test_signature_method_header_is_optional_and_defaults_to_sha256(signed_client, client_with_scope):
    response = signed_client(client_with_scope).get(ME, omit=("X-Signature-Method",))
    assert response.status_code == 200


def test_query_parameters_in_any_order_sign_alike(signed_client, client_with_scope, client):
    api = signed_client(client_with_scope)
    headers = api.signed_headers("GET", ME, "b=2&a=1&a=0", b"")
    response = client.get(ME + "?a=1&b=2&a=0", headers=headers)  # sent in another order
    assert response.status_code == 200


def test_no_credentials_at_all_is_not_authenticated(client):
    response = client.get(ME)
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == 'ZP-HMAC realm="api"'


@pytest.mark.parametrize("missing", ["X-Timestamp", "X-Nonce", "X-Signature", "X-Api-Key"])
def test_missing_signing_header(signed_client, client_with_scope, missing):
    response = signed_client(client_with_scope).get(ME, omit=(missing,))

    assert response.status_code == 401
    body = error_of(response)
    assert body["code"] == "auth_missing_headers"
    assert body["field"] == missing
    assert missing in body["message"]


def test_unknown_key(signed_client, client_with_scope):
    client_with_scope.key_id = "zpk_does_not_exist"  # sign as a client the platform never issued
    response = signed_client(client_with_scope).get(ME)

    assert response.status_code == 401
    assert error_of(response)["code"] == "auth_unknown_key"
    assert error_of(response)["field"] == "X-Api-Key"


def test_revoked_key(signed_client, org_a):
    revoked = ApiClientFactory(organization=org_a, status=ApiClient.Status.REVOKED, revoked_at=timezone.now())
    response = signed_client(revoked).get(ME)

    assert response.status_code == 401
    assert error_of(response)["code"] == "auth_key_revoked"


def test_revoked_key_with_a_wrong_secret_learns_only_that_the_signature_is_bad(signed_client, org_a):
    revoked = ApiClientFactory(organization=org_a, status=ApiClient.Status.REVOKED, revoked_at=timezone.now())
    response = signed_client(revoked, secret="guessed").get(ME)

    assert error_of(response)["code"] == "auth_bad_signature"


def test_client_of_a_deactivated_organization_is_refused_as_revoked(signed_client, client_with_scope):
    Organization.objects.filter(pk=client_with_scope.organization_id).update(is_active=False)
    response = signed_client(client_with_scope).get(ME)

    assert response.status_code == 401
    assert error_of(response)["code"] == "auth_key_revoked"


@pytest.mark.parametrize("offset", [-301, +301, -86400])
def test_stale_timestamp_in_the_past_or_the_future(signed_client, client_with_scope, offset):
    response = signed_client(client_with_scope).get(ME, timestamp=int(time.time()) + offset)

    assert response.status_code == 401
    body = error_of(response)
    assert body["code"] == "auth_timestamp_stale"
    assert body["field"] == "X-Timestamp"


def test_timestamp_at_the_edge_of_the_window_is_accepted(signed_client, client_with_scope):
    response = signed_client(client_with_scope).get(ME, timestamp=int(time.time()) - 290)
    assert response.status_code == 200


def test_replayed_nonce(signed_client, client_with_scope):
    api = signed_client(client_with_scope)
    nonce = new_nonce()

    first = api.get(ME, nonce=nonce)
    replay = api.get(ME, nonce=nonce)

    assert first.status_code == 200
    assert replay.status_code == 401
    assert error_of(replay)["code"] == "auth_nonce_replayed"
    assert error_of(replay)["field"] == "X-Nonce"


def test_the_same_nonce_of_another_client_is_no_replay(signed_client, client_with_scope, org_b_client):
    nonce = new_nonce()
    assert signed_client(client_with_scope).get(ME, nonce=nonce).status_code == 200
    assert signed_client(org_b_client).get(ME, nonce=nonce).status_code == 200


def test_a_bad_signature_does_not_use_up_the_nonce(signed_client, client_with_scope):
    """Otherwise anyone who sees a nonce in flight could get the genuine request refused."""
    api = signed_client(client_with_scope)
    nonce = new_nonce()

    forged = api.get(ME, nonce=nonce, secret="not-the-secret")
    genuine = api.get(ME, nonce=nonce)

    assert error_of(forged)["code"] == "auth_bad_signature"
    assert genuine.status_code == 200


def test_bad_signature_when_the_secret_is_wrong(signed_client, client_with_scope):
    response = signed_client(client_with_scope, secret="wrong-secret").get(ME)

    assert response.status_code == 401
    body = error_of(response)
    assert body["code"] == "auth_bad_signature"
    assert body["field"] == "X-Signature"


@pytest.mark.parametrize("tamper", [
    {"sign_path": "/api/v1/other/"},
    {"params": {"page": "2"}, "sign_query": "page=1"},
    {"params": {"page": "2"}, "sign_query": ""},
    {"body": b'{"a": 2}', "sign_body": b'{"a": 1}'},
    {"body": b"", "sign_body": b"{}"},
])
def test_bad_signature_when_path_query_or_body_differ_from_what_was_signed(
        signed_client, client_with_scope, tamper):
    response = signed_client(client_with_scope).get(ME, **tamper)

    assert response.status_code == 401
    assert error_of(response)["code"] == "auth_bad_signature"


def test_bad_signature_when_the_method_differs(signed_client, client_with_scope, client):
    headers = signed_client(client_with_scope).signed_headers("POST", ME, "", b"")
    response = client.get(ME, headers=headers)
    assert error_of(response)["code"] == "auth_bad_signature"


def test_unsupported_signature_method(signed_client, client_with_scope):
    response = signed_client(client_with_scope).get(ME, signature_method="HMAC-MD5")

    assert response.status_code == 401
    body = error_of(response)
    assert body["code"] == "auth_unsupported_signature_method"
    assert body["field"] == "X-Signature-Method"


@pytest.mark.parametrize(("options", "field"), [
    ({"nonce": "short"}, "X-Nonce"),
    ({"nonce": "has spaces in it and more"}, "X-Nonce"),
    ({"timestamp": "yesterday"}, "X-Timestamp"),
    ({"signature": "zz" * 32}, "X-Signature"),
    ({"signature": "ab" * 16}, "X-Signature"),
])
def test_malformed_signing_header(signed_client, client_with_scope, options, field):
    response = signed_client(client_with_scope).get(ME, **options)

    assert response.status_code == 401
    body = error_of(response)
    assert body["code"] == "auth_invalid_header"
    assert body["field"] == field


def test_signed_request_beats_a_session_and_a_bad_one_does_not_fall_back_to_it(
        signed_client, client_with_scope, client, user_b):
    client.force_login(user_b)
    api = signed_client(client_with_scope)

    assert api.get(ME).json()["caller_type"] == "api_client"
    assert error_of(api.get(ME, secret="wrong"))["code"] == "auth_bad_signature"


def test_session_user_keeps_working(client, user_a):
    client.force_login(user_a)
    response = client.get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["caller_type"] == "user"
    assert body["user"] == {"username": "admin_a", "roles": ["enterprise_admin"], "is_officer": False}
    assert body["organization"]["name"] == "甲跨境电商有限公司"
    assert body["client"] is None


def test_officer_session_sees_their_department(client, officer_with_perm):
    client.force_login(officer_with_perm)
    body = client.get(ME).json()

    assert body["user"]["is_officer"] is True
    assert body["user"]["roles"] == ["customs_officer"]
    assert body["organization"]["kind"] == "customs"


def test_client_of_enterprise_b_sees_its_own_organization_not_a(signed_client, client_with_scope, org_b_client):
    body_b = signed_client(org_b_client).get(ME).json()
    body_a = signed_client(client_with_scope).get(ME).json()

    assert body_b["organization"]["name"] == "乙跨境电商有限公司"
    assert body_b["organization"]["uscc"] == org_b_client.organization.uscc
    assert body_b["client"]["key_id"] == org_b_client.key_id
    assert body_a["organization"]["uscc"] != body_b["organization"]["uscc"]
    assert "甲" not in str(body_b)


def test_last_used_at_is_written_at_most_once_a_minute(signed_client, client_with_scope,
                                                       django_assert_num_queries):
    api = signed_client(client_with_scope)
    assert client_with_scope.last_used_at is None

    api.get(ME)
    client_with_scope.refresh_from_db()
    first = client_with_scope.last_used_at
    assert first is not None

    with django_assert_num_queries(1):  # the client lookup only: no UPDATE within the minute
        api.get(ME)
    client_with_scope.refresh_from_db()
    assert client_with_scope.last_used_at == first

    a_while_ago = timezone.now() - timedelta(minutes=2)
    ApiClient.objects.filter(pk=client_with_scope.pk).update(last_used_at=a_while_ago)
    api.get(ME)
    client_with_scope.refresh_from_db()
    assert client_with_scope.last_used_at > a_while_ago + timedelta(minutes=1)
