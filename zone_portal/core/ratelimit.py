"""A fixed-window rate limit on Redis, for pages without a login (registration, public look-ups)."""

from __future__ import annotations

import time

from django.core.cache import cache

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"5/h"`` → (5, 3600)."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[0]]


def allow(bucket: str, identity: str, rate: str) -> bool:
    """Count one hit for ``identity`` in ``bucket``; False once the rate is exceeded in the window."""
    limit, seconds = parse_rate(rate)
    window = int(time.time() // seconds)
    key = f"rl:{bucket}:{identity}:{window}"
    # add() is SET NX: the first hit of a window creates the key with its expiry.
    if cache.add(key, 1, timeout=seconds + 1):
        return limit >= 1
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=seconds + 1)
        return True
