"""Rate limit per partner client (by key id) and per signed-in user, counted in Redis.

A fixed window counter: one ``INCR`` (with its ``EXPIRE``, one script, one round trip) on a key
that names the window, instead of DRF's default list of timestamps, which is read, rewritten and
re-pickled on every request (at 6,000 requests a minute that list alone is tens of kilobytes per
call). The window may let through up to twice the
rate across a window boundary; that is the accepted price of one atomic operation per request.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.base import BaseCache
from redis.exceptions import NoScriptError
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from zone_portal.accounts.models import ApiClient
from zone_portal.core.cache import RedisCache

# INCR, and EXPIRE on the first count, atomically and in one round trip, on any Redis version
# (``EXPIRE … NX`` needs Redis 7; the project-local server of ``make run`` is older).
_COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
_COUNT_SHA = hashlib.sha1(_COUNT_SCRIPT.encode()).hexdigest()  # noqa: S324 (Redis names scripts by SHA-1)


def count_in_window(cache_backend, key: str, *, timeout: int) -> int:
    """Count one request into ``key`` and return the count. On Redis: one script (the key outlives
    its window by a second, so it never expires while requests still count into it); on another
    backend, ``add`` then ``incr``."""
    if not isinstance(cache_backend, BaseCache):  # django.core.cache.cache: the proxy of this thread's
        cache_backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(cache_backend, RedisCache):
        client = cache_backend._cache.get_client(key, write=True)
        full_key = cache_backend.make_and_validate_key(key)
        try:
            return int(client.evalsha(_COUNT_SHA, 1, full_key, timeout))
        except NoScriptError:  # a new or restarted Redis: send the script itself (it is cached then)
            return int(client.eval(_COUNT_SCRIPT, 1, full_key, timeout))
    cache_backend.add(key, 0, timeout=timeout)
    try:
        return cache_backend.incr(key)
    except ValueError:  # expired in between: start the window again
        cache_backend.add(key, 1, timeout=timeout)
        return 1


class ApiClientRateThrottle(SimpleRateThrottle):
    """``DEFAULT_THROTTLE_RATES["api_client"]`` per client key id, per user, or per address."""

    scope = "api_client"
    cache = cache

    def __init__(self) -> None:
        # The rate is read on every request (not frozen at import) so that a changed setting,
        # or override_settings in a test, takes effect.
        self.wait_seconds: float | None = None

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str:
        caller = request.user
        if isinstance(caller, ApiClient):
            ident = f"client:{caller.key_id}"
        elif caller is not None and caller.is_authenticated:
            ident = f"user:{caller.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"

    def allow_request(self, request, view) -> bool:
        rate = self.get_rate()
        if rate is None:
            return True
        num_requests, duration = self.parse_rate(rate)
        now = time.time()
        window = int(now // duration)
        key = f"{self.get_cache_key(request, view)}:{window}"
        count = count_in_window(self.cache, key, timeout=duration + 1)
        if count > num_requests:
            self.wait_seconds = (window + 1) * duration - now
            return False
        return True

    def wait(self) -> float | None:
        return self.wait_seconds
