"""Fixtures of the event and webhook tests: a real HTTP receiver on 127.0.0.1, webhook settings
that allow it, API clients with the events scopes, and a helper to wait for the worker."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.accounts.factories import ApiClientFactory
from zone_portal.events import services

EVENT_SCOPES = ["events:read", "events:write"]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A partner's webhook receiver: records every request and answers from a script of
    statuses (the last one repeats), e.g. ``[500, 200]``: a failure, then successes."""

    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: deque = field(default_factory=lambda: deque([200]))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *statuses: int) -> None:
        with self.lock:
            self.statuses = deque(statuses)

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.popleft() if len(self.statuses) > 1 else self.statuses[0]

    def record(self, received: Received) -> None:
        with self.lock:
            self.requests.append(received)

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} webhook requests, got {len(self.requests)}")


@pytest.fixture
def receiver():
    """An HTTP server in a thread, at ``receiver.url`` (http://127.0.0.1:<port>/hook)."""
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # the standard library names it so
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            rec = holder["receiver"]
            rec.record(Received(self.path, {k: v for k, v in self.headers.items()}, body))
            status = rec.next_status()
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", rec.url + "/elsewhere")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder["receiver"]
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook_settings(settings):
    """Plain http to 127.0.0.1 (the receiver), quick retries, a small batch."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOK_TIMEOUT = 3
    settings.WEBHOOK_RETRY_BASE_DELAY = 1
    settings.WEBHOOK_RETRY_MAX_DELAY = 2
    settings.WEBHOOK_RETRY_WINDOW = 3600
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 1000
    settings.WEBHOOK_DISABLE_WINDOW = 3600
    return settings


@pytest.fixture
def events_client_a(org_a):
    return ApiClientFactory(organization=org_a, name="a-events", scopes=list(EVENT_SCOPES))


@pytest.fixture
def events_client_b(org_b):
    return ApiClientFactory(organization=org_b, name="b-events", scopes=list(EVENT_SCOPES))


@pytest.fixture
def events_reader_a(org_a):
    return ApiClientFactory(organization=org_a, name="a-events-reader", scopes=["events:read"])


def make_endpoint(actor, organization, url: str, event_types=("filing.filed",), description: str = ""):
    """An endpoint registered through the service, with its secret."""
    return services.webhook_endpoint_create(actor=actor, organization=organization, url=url,
                                            event_types=list(event_types), description=description)


def wait_until(predicate, timeout: float = 30, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not reached in time")
