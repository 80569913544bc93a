"""Rate limit per partner client (by key id) and per signed-in user, counted in Redis.

A fixed window counter: one ``INCR`` on a key that names the window, instead of DRF's default
list of timestamps, which is read, rewritten and re-pickled on every request (at 6,000 requests a
minute that list alone is tens of kilobytes per call). The window may let through up to twice the
rate across a window boundary; that is the accepted price of one atomic operation per request.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from zone_portal.accounts.models import ApiClient


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
        # The key outlives its window by a second, so it never expires between add and incr
        # while requests still count into it.
        self.cache.add(key, 0, timeout=duration + 1)
        try:
            count = self.cache.incr(key)
        except ValueError:  # expired in between: start the window again
            self.cache.add(key, 1, timeout=duration + 1)
            count = 1
        if count > num_requests:
            self.wait_seconds = (window + 1) * duration - now
            return False
        return True

    def wait(self) -> float | None:
        return self.wait_seconds
