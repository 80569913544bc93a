"""Per-client rate limit on Redis: 429 throttled with Retry-After, other callers unaffected."""

import pytest

from tests.api.helpers import error_of

ME = "/api/v1/me/"


@pytest.fixture
def tiny_rate(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"api_client": "3/min"}}


def test_a_client_past_its_rate_is_throttled_with_retry_after(tiny_rate, signed_client, client_with_scope):
    api = signed_client(client_with_scope)

    statuses = [api.get(ME).status_code for _ in range(3)]
    throttled = api.get(ME, headers={"Accept-Language": "en"})

    assert statuses == [200, 200, 200]
    assert throttled.status_code == 429
    body = error_of(throttled)
    assert body["code"] == "throttled"
    assert body["message"].startswith("Request was throttled.")
    assert 1 <= int(throttled["Retry-After"]) <= 61


def test_each_client_has_its_own_budget(tiny_rate, signed_client, client_with_scope, org_b_client):
    a = signed_client(client_with_scope)
    for _ in range(4):
        a.get(ME)

    assert a.get(ME).status_code == 429
    assert signed_client(org_b_client).get(ME).status_code == 200


def test_session_users_are_counted_per_user(tiny_rate, client, user_a, user_b):
    from django.test import Client

    client.force_login(user_a)
    for _ in range(3):
        assert client.get(ME).status_code == 200
    assert error_of(client.get(ME))["code"] == "throttled"

    other = Client()
    other.force_login(user_b)
    assert other.get(ME).status_code == 200


def test_the_count_lives_in_the_shared_cache(tiny_rate, signed_client, client_with_scope):
    """Every web process counts into the same Redis key, named after the client's key id."""
    import time

    from django.core.cache import cache

    api = signed_client(client_with_scope)
    api.get(ME)
    api.get(ME)

    window = int(time.time() // 60)
    counted = [cache.get(f"throttle:api_client:client:{client_with_scope.key_id}:{w}") for w in (window - 1, window)]
    assert sum(c or 0 for c in counted) == 2


def test_the_window_key_expires_after_its_window(tiny_rate, signed_client, client_with_scope):
    """The counter is INCR with EXPIRE on the first count, in one script: it expires a second after
    its minute, and later requests in the window do not push the expiry further."""
    import time

    from django.core.cache import caches

    api = signed_client(client_with_scope)
    api.get(ME)
    backend = caches["default"]
    redis = backend._cache.get_client(write=True)
    window = int(time.time() // 60)
    keys = [backend.make_and_validate_key(f"throttle:api_client:client:{client_with_scope.key_id}:{w}")
            for w in (window - 1, window)]
    ttls = [redis.ttl(k) for k in keys if redis.exists(k)]
    assert len(ttls) == 1 and 50 <= ttls[0] <= 61
    counting = keys[1] if redis.exists(keys[1]) else keys[0]
    redis.expire(counting, 5)
    api.get(ME)
    assert 0 < redis.ttl(counting) <= 5


def test_counting_goes_on_when_redis_has_forgotten_the_script(tiny_rate, signed_client, client_with_scope):
    """A restarted Redis has no cached scripts: the throttle sends the script itself and counts on."""
    from django.core.cache import caches

    redis = caches["default"]._cache.get_client(write=True)
    api = signed_client(client_with_scope)
    assert api.get(ME).status_code == 200
    redis.script_flush()
    assert [api.get(ME).status_code for _ in range(3)] == [200, 200, 429]
