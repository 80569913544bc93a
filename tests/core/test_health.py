"""/healthz and the health checks, against the real PostgreSQL, Redis and a real Celery worker."""

from __future__ import annotations

import json
import subprocess
import time
import uuid

import pytest
from celery import Celery
from django.db import connections
from django.db.utils import load_backend

from tests.fixtures.celery import WORKER_HOSTNAME, test_broker_url
from tests.ops.envs import PYTHON, ROOT, closed_port, database_url_of, production_env
from zone_portal.celery import app as celery_app
from zone_portal.core import health


@pytest.fixture
def app_nobody_answers():
    """A Celery app on the test broker whose control exchange no worker listens on.

    A real broadcast ping over the real Redis that nobody answers: what /healthz sees when
    every worker is down, even while the session's worker is running on its own exchange.
    """
    probe = Celery("healthz-probe", broker=test_broker_url(), set_as_current=False)
    probe.conf.control_exchange = f"nobody-{uuid.uuid4().hex}"
    yield probe
    probe.close()


def _assert_no_host_details(body: str, *ports: int) -> None:
    for secret_ish in ("127.0.0.1", "localhost", "postgres://", "redis://", "password", *map(str, ports)):
        assert secret_ish not in body, f"/healthz leaks {secret_ish!r}: {body}"


# --- the endpoint ----------------------------------------------------------------------------

def test_healthz_is_200_when_database_redis_and_a_worker_are_up(client, transactional_db, celery_worker):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "celery"}
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    # Exactly the session's worker: it alone listens on the session's control exchange.
    assert body["checks"]["celery"] == {"ok": True, "workers": 1, "ms": body["checks"]["celery"]["ms"]}
    assert all(isinstance(check["ms"], float) for check in body["checks"].values())
    _assert_no_host_details(response.content.decode())


def test_healthz_needs_no_login_and_refuses_writes(client, transactional_db, celery_worker):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_healthz_is_503_when_no_worker_answers(client, transactional_db, monkeypatch, app_nobody_answers):
    monkeypatch.setattr(health, "celery_app", app_nobody_answers)

    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    celery = body["checks"]["celery"]
    assert celery["ok"] is False
    assert celery["workers"] == 0
    assert celery["error"] == "no_worker_replied"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    assert elapsed < 5, "the ping must give up after its short timeout"
    assert "no-store" in response["Cache-Control"]


def test_healthz_is_503_when_the_database_is_down(client, transactional_db):
    connection = connections["default"]
    real_port = connection.settings_dict["PORT"]
    dead_port = closed_port()
    connection.close()
    connection.settings_dict["PORT"] = str(dead_port)
    try:
        response = client.get("/healthz")
    finally:
        connection.settings_dict["PORT"] = real_port
        connection.close()

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["error"] == "database_unavailable"
    assert body["checks"]["redis"]["ok"] is True
    _assert_no_host_details(response.content.decode(), dead_port)


def test_healthz_is_503_when_redis_is_down(client, transactional_db, celery_worker, settings):
    dead_port = closed_port()
    settings.REDIS_URL = f"redis://:s3cret@127.0.0.1:{dead_port}/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["redis"] == {"ok": False, "ms": body["checks"]["redis"]["ms"],
                                       "error": "redis_unavailable"}
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["celery"]["ok"] is True
    _assert_no_host_details(response.content.decode(), dead_port)
    assert "s3cret" not in response.content.decode()


# --- the plain check functions ---------------------------------------------------------------

def test_database_check_fails_on_a_closed_port(db):
    settings_dict = dict(connections["default"].settings_dict, PORT=str(closed_port()))
    backend = load_backend(settings_dict["ENGINE"])
    dead = backend.DatabaseWrapper(settings_dict, alias="healthz-dead")
    try:
        result = health.check_database(dead)
    finally:
        dead.close()
    assert result["ok"] is False
    assert result["error"] == "database_unavailable"


def test_database_check_passes_on_the_test_database(db):
    assert health.check_database()["ok"] is True


def test_redis_check_follows_the_url():
    assert health.check_redis()["ok"] is True
    down = health.check_redis(f"redis://127.0.0.1:{closed_port()}/0", timeout=0.5)
    assert down["ok"] is False
    assert down["error"] == "redis_unavailable"


def test_celery_check_reports_an_unreachable_broker_quickly():
    app = Celery("healthz-dead-broker", broker=f"redis://127.0.0.1:{closed_port()}/0", set_as_current=False)
    try:
        started = time.monotonic()
        result = health.check_celery(app, timeout=0.5)
        elapsed = time.monotonic() - started
        broker = health.check_broker(app, timeout=0.5)
    finally:
        app.close()
    assert result == {"ok": False, "ms": result["ms"], "workers": 0, "error": "broker_unavailable"}
    assert broker["ok"] is False
    assert broker["error"] == "broker_unavailable"
    assert elapsed < 3, "kombu's retry-for-ever default must not hang the probe"


def test_celery_check_counts_the_session_worker(celery_worker, app_nobody_answers):
    up = health.check_celery()
    assert up["ok"] is True
    assert up["workers"] == 1
    # The one that answered is the session's worker, not a developer's worker on the same Redis.
    replies = celery_app.control.ping(timeout=1.0)
    assert [list(reply) for reply in replies] == [[WORKER_HOSTNAME]]

    nobody = health.check_celery(app_nobody_answers, timeout=0.3)
    assert nobody == {"ok": False, "ms": nobody["ms"], "workers": 0, "error": "no_worker_replied"}


# --- the container health-check command ------------------------------------------------------

def _health_cli(*args: str, **env_overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "-m", "zone_portal.core.health", *args],
        cwd=ROOT, env=production_env(**env_overrides), capture_output=True, text=True, timeout=60,
    )


def test_health_command_passes_when_the_database_and_broker_answer(db):
    test_db = database_url_of(connections["default"].settings_dict)
    done = _health_cli("database", "broker", "redis", DATABASE_URL=test_db)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["status"] == "ok"
    assert set(report["checks"]) == {"database", "broker", "redis"}


def test_health_command_fails_when_redis_is_down(db):
    test_db = database_url_of(connections["default"].settings_dict)
    dead = f"redis://127.0.0.1:{closed_port()}/0"
    done = _health_cli("database", "redis", DATABASE_URL=test_db, REDIS_URL=dead)
    assert done.returncode == 1
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["checks"]["database"]["ok"] is True
    assert report["checks"]["redis"]["error"] == "redis_unavailable"


def test_health_command_refuses_an_unknown_check():
    done = _health_cli("databse")
    assert done.returncode == 2
    assert "unknown check" in done.stderr


def test_production_answers_a_plain_http_health_probe_and_redirects_the_rest(client, transactional_db, settings):
    """Load balancers probe plain HTTP: /healthz is exempt from the HTTPS redirect, pages are not."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code in (200, 503)
    assert client.get("/").status_code == 301
    assert client.get("/", headers={"X-Forwarded-Proto": "https"}).status_code == 200


def test_web_probe_is_0_only_when_healthz_answers_200(live_server, celery_worker, settings):
    """``python -m zone_portal.core.health --url …``, the web container's probe, against a live
    server: exit 0 on 200, exit 1 on 503."""
    url = f"{live_server.url}/healthz"
    host = live_server.url.split("//", 1)[1].split(":", 1)[0]

    done = _health_cli("--url", url, ALLOWED_HOSTS=host)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("200 ")

    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    done = _health_cli("--url", url, ALLOWED_HOSTS=host)
    assert done.returncode == 1
    assert done.stdout.startswith("503 ")
    assert '"redis_unavailable"' in done.stdout

    done = _health_cli("--url", f"http://127.0.0.1:{closed_port()}/healthz", ALLOWED_HOSTS=host)
    assert done.returncode == 1
