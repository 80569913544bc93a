"""The parts of the API benchmark that decide what its figures mean, checked without a server."""

import hashlib
import json

from bench import bench_api_requests as bench
from zone_portal.api import signing

SECRET = "zps_bench-helper-test"
KEY = hashlib.sha256(SECRET.encode()).digest()


def job(scenario: str) -> dict:
    return {"scenario": scenario, "key_id": "zpk_test", "signing_key": KEY.hex(), "run": "r1", "client": 3,
            "post_path": "/api/v1/bench/events/"}


def server_signature(method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    message = signing.string_to_sign(method=method, path=signing.canonical_path(path), query="",
                                     timestamp=headers["X-Timestamp"], nonce=headers["X-Nonce"], body=body)
    return signing.compute_signature(signing.signing_key_from_secret(SECRET), message, signing.HMAC_SHA256)


def test_the_load_generator_signs_as_the_platform_verifies():
    for scenario in ("signed_get", "signed_post"):
        method, path, body, headers, _proof = bench.build_request(job(scenario), seq=7)
        assert headers["X-Api-Key"] == "zpk_test"
        assert signing.NONCE_RE.match(headers["X-Nonce"])
        assert headers["X-Signature"] == server_signature(method, path, headers, body)


def test_the_load_generator_sends_a_fresh_nonce_and_idempotency_key_each_time():
    first = bench.build_request(job("signed_post"), seq=1)
    second = bench.build_request(job("signed_post"), seq=2)
    assert first[3]["X-Nonce"] != second[3]["X-Nonce"]
    assert first[3]["Idempotency-Key"] != second[3]["Idempotency-Key"]
    assert json.loads(first[2])["order_no"] == first[3]["Idempotency-Key"]
    # The proof of a right answer is the echoed order number of this very request.
    assert first[4] == b'"order_no":"r1-3-1"'


def test_the_unsigned_floor_sends_no_signature_and_expects_not_authenticated():
    method, path, body, headers, proof = bench.build_request(job("unsigned_401"), seq=1)
    assert (method, path, body) == ("GET", "/api/v1/me/", b"")
    assert not any(name.startswith("X-") for name in headers)
    assert proof == b'"not_authenticated"'


def test_nearest_rank_percentiles():
    values = [float(x) for x in range(1, 101)]
    assert bench.percentile(values, 0.5) == 50.0
    assert bench.percentile(values, 0.99) == 99.0
    assert bench.percentile([4.0], 0.99) == 4.0


def client_result(latencies, status, verified, *, start=100.0, end=102.0, created=0, warmup_failed=0):
    return {"latencies": latencies, "statuses": {status: len(latencies)}, "verified": verified,
            "failures": [] if verified == len(latencies) else [f"{status}: b'...'"],
            "warmup_ok": 5, "warmup_failed": warmup_failed, "created": created,
            "first_start": start, "last_end": end, "cpu_s": 0.1}


def test_summary_counts_every_answer_that_was_not_verified_as_an_error():
    summary = bench.summarize("signed_get", [
        client_result([0.010] * 100, "200", 100),
        client_result([0.020] * 97 + [0.4, 0.5, 0.6], "401", 98, start=100.5, end=104.0),
    ])
    assert summary["requests"] == 200
    assert summary["duration_s"] == 4.0
    assert summary["requests_per_s"] == 50.0
    assert summary["errors"] == 2
    assert summary["status_counts"] == {"200": 100, "401": 100}
    assert summary["latency_ms"]["p50"] == 10.0
    assert summary["latency_ms"]["p90"] == 20.0
    assert summary["latency_ms"]["p99"] == 400.0  # nearest rank: the 198th of 200
    assert summary["latency_ms"]["max"] == 600.0


def report_with(**post_overrides) -> dict:
    clean = {"errors": 0, "warmup_errors": 0, "requests": 10, "error_samples": []}
    post = {**clean, "created_total": 12, "audit_events_written": 12, **post_overrides}
    return {"scenarios": {"unsigned_401": dict(clean), "signed_get": dict(clean), "signed_post": post}}


def test_a_clean_run_has_no_problems():
    assert bench.problems_of(report_with()) == []


def test_wrong_answers_or_missing_writes_make_the_run_invalid():
    assert bench.problems_of(report_with(errors=1))
    assert bench.problems_of(report_with(warmup_errors=1))
    assert bench.problems_of(report_with(requests=0))
    assert bench.problems_of(report_with(audit_events_written=11))


def test_the_bench_database_is_beside_the_developers_one():
    assert bench.with_database("postgres://u@127.0.0.1:5432/zone_portal", "zone_portal_bench") == \
        "postgres://u@127.0.0.1:5432/zone_portal_bench"
    socket_url = "postgres://postgres@/zone_portal?host=%2Fwork%2Fvar%2Fpg"
    assert bench.with_database(socket_url, "zone_portal_bench") == \
        "postgres://postgres@/zone_portal_bench?host=%2Fwork%2Fvar%2Fpg"
