"""Health checks: the database, Redis, the Celery broker and a live Celery worker.

``/healthz`` (see ``views.healthz``) runs ``run_checks()`` and answers 200 only when every check
passed. Each check is a plain function that returns a small dict::

    {"ok": True, "ms": 1.2}                                   # database, redis, broker
    {"ok": True, "ms": 3.4, "workers": 2}                     # celery
    {"ok": False, "ms": 1000.9, "workers": 0, "error": "no_worker_replied"}

A failure carries a stable ``error`` code and never the exception text: driver messages name
hosts, ports and users, and ``/healthz`` is public. The exception itself goes to the log.

The module is also the containers' health-check command (``docker-compose.yml``)::

    python -m zone_portal.core.health database broker        # beat: can it read and publish?
    python -m zone_portal.core.health --url http://127.0.0.1:8000/healthz   # web
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connections

from zone_portal.celery import app as celery_app

logger = logging.getLogger(__name__)

# A worker on the same Redis answers a ping in milliseconds; one second leaves room for a busy
# broker without letting a load balancer's probe hang.
DEFAULT_TIMEOUT = 1.0

Result = dict[str, Any]


def _elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


def _failed(start: float, error: str, **fields: Any) -> Result:
    return {"ok": False, "ms": _elapsed_ms(start), **fields, "error": error}


def check_database(connection=None) -> Result:
    """The database answers ``SELECT 1`` on the default connection (or the one given)."""
    connection = connection if connection is not None else connections["default"]
    start = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            row = cursor.fetchone()
    except Exception:
        logger.warning("health check: database unavailable", exc_info=True)
        return _failed(start, "database_unavailable")
    if row != (1,):
        return _failed(start, "database_bad_answer")
    return {"ok": True, "ms": _elapsed_ms(start)}


def check_redis(url: str | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> Result:
    """Redis (``settings.REDIS_URL``: cache, rate limits, idempotency keys) answers PING.

    A client of its own with short socket timeouts, because the cache's pooled client has none
    and a Redis that stopped answering would hang the probe.
    """
    import redis

    start = time.perf_counter()
    client = redis.Redis.from_url(
        url or settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout
    )
    try:
        answered = client.ping()
    except (redis.RedisError, OSError):
        logger.warning("health check: Redis unavailable", exc_info=True)
        return _failed(start, "redis_unavailable")
    finally:
        client.close()
    if answered is not True:
        return _failed(start, "redis_bad_answer")
    return {"ok": True, "ms": _elapsed_ms(start)}


def check_broker(app=None, *, timeout: float = DEFAULT_TIMEOUT) -> Result:
    """The Celery broker accepts a connection (what beat needs to publish its schedule)."""
    app = app if app is not None else celery_app
    start = time.perf_counter()
    try:
        with app.connection_for_write() as conn:
            # max_retries=0: kombu's default is to retry for ever, which would hang the probe.
            conn.ensure_connection(max_retries=0, timeout=timeout)
    except Exception:
        logger.warning("health check: Celery broker unavailable", exc_info=True)
        return _failed(start, "broker_unavailable")
    return {"ok": True, "ms": _elapsed_ms(start)}


def check_celery(app=None, *, timeout: float = DEFAULT_TIMEOUT) -> Result:
    """At least one Celery worker answers a broadcast ping within ``timeout`` seconds.

    ``workers`` is how many answered. The ping waits the whole timeout to collect the answers of
    every worker, so this check takes about ``timeout`` seconds when all is well.
    """
    app = app if app is not None else celery_app
    start = time.perf_counter()
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=timeout)
            replies = app.control.ping(timeout=timeout, connection=conn) or []
    except Exception:
        logger.warning("health check: Celery broker unavailable", exc_info=True)
        return _failed(start, "broker_unavailable", workers=0)
    workers = sum(
        1 for reply in replies for answer in reply.values() if isinstance(answer, dict) and answer.get("ok") == "pong"
    )
    if workers == 0:
        return _failed(start, "no_worker_replied", workers=0)
    return {"ok": True, "ms": _elapsed_ms(start), "workers": workers}


CHECKS: dict[str, Callable[[], Result]] = {
    "database": check_database,
    "redis": check_redis,
    "broker": check_broker,
    "celery": check_celery,
}
# What /healthz reports. The broker is covered by the celery check (a ping travels through it).
HEALTHZ_CHECKS = ("database", "redis", "celery")


def run_checks(names: tuple[str, ...] | list[str] = HEALTHZ_CHECKS) -> Result:
    """Run the named checks: ``{"status": "ok" | "fail", "checks": {name: result}}``."""
    results = {name: CHECKS[name]() for name in names}
    return {"status": "ok" if all(r["ok"] for r in results.values()) else "fail", "checks": results}


# --- container health-check command --------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m zone_portal.core.health",
        description="Exit 0 when the named checks pass (or when --url answers 200), 1 otherwise.",
    )
    parser.add_argument("checks", nargs="*", metavar="CHECK",
                        help=f"any of {', '.join(CHECKS)} (default: {' '.join(HEALTHZ_CHECKS)})")
    parser.add_argument("--url", help="GET this /healthz URL instead of running the checks here")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for --url")
    return parser


def probe_url(url: str, *, timeout: float) -> tuple[int, str]:
    """GET ``url`` the way a request through the TLS proxy arrives: an allowed Host, HTTPS.

    Without ``X-Forwarded-Proto: https`` the portal would redirect the probe to HTTPS
    (``SECURE_SSL_REDIRECT``), and with the container's own name as Host it would refuse it.
    """
    import urllib.error
    import urllib.request

    host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h not in ("*", ".")), "localhost")
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own health endpoint
        url, headers={"Host": host, "X-Forwarded-Proto": "https", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except OSError as exc:
        return 0, type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    unknown = [name for name in args.checks if name not in CHECKS]
    if unknown:
        parser.error(f"unknown check(s): {', '.join(unknown)}; choose from {', '.join(CHECKS)}")
    if args.url:
        status, body = probe_url(args.url, timeout=args.timeout)
        print(f"{status} {body}")
        return 0 if status == 200 else 1
    report = run_checks(args.checks or HEALTHZ_CHECKS)
    print(json.dumps(report))
    return 0 if report["status"] == "ok" else 1


if __name__ == "__main__":  # pragma: no cover - exercised through a subprocess in the tests
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zone_portal.settings")
    django.setup()
    from zone_portal.core import health  # the imported module, not this __main__ copy

    sys.exit(health.main())
