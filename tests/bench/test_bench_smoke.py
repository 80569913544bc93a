"""The API benchmark runs at CI size and measures what it claims: every signed request authenticated.

It starts its own gunicorn on 127.0.0.1 against its own database (``zone_portal_bench``), so it
needs the same PostgreSQL and Redis as the rest of the suite, and about 15–30 seconds.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_small_benchmark_runs_and_every_signed_request_is_authenticated(tmp_path):
    output = tmp_path / "api_requests.json"
    env = {**os.environ, "BENCH_SCALE": "small", "BENCH_OUTPUT": str(output)}
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_api_requests.py")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(output.read_text())
    scenarios = report["scenarios"]
    assert set(scenarios) == {"unsigned_401", "signed_get", "signed_post"}

    expected_status = {"unsigned_401": "401", "signed_get": "200", "signed_post": "201"}
    for name, status in expected_status.items():
        scenario = scenarios[name]
        assert 100 <= scenario["requests"] <= 300, name
        # Every answer had the expected status and a body proving it: the caller's key id for
        # GET /me/, the echoed order number for the POST, "not_authenticated" for the floor.
        assert scenario["status_counts"] == {status: scenario["requests"]}, name
        assert scenario["verified"] == scenario["requests"], name
        assert scenario["errors"] == 0, name
        assert scenario["requests_per_s"] > 0, name
        latency = scenario["latency_ms"]
        assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"], name

    post = scenarios["signed_post"]
    # Each 201 (warm-up included) wrote its audit event in the bench database.
    assert post["created_total"] >= post["requests"]
    assert post["audit_events_written"] == post["created_total"]

    machine = report["machine"]
    assert machine["nproc"] >= 1
    assert machine["cpu_model"] and machine["postgresql"] and machine["redis"] and machine["python"]
    assert "--workers 2" in machine["server"]

    assert "signed POST:" in done.stdout
    assert "× the 500 req/s goal" in done.stdout
    assert "× the 25 ms limit" in done.stdout
