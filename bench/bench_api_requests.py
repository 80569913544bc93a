"""What every partner request pays: signed-request authentication and an idempotent POST.

Three scenarios, each against a real gunicorn (2 sync workers, as production runs) on
127.0.0.1, driven by a few load-generator processes with ``http.client``:

1. ``unsigned_401`` — GET /api/v1/me/ without signature headers: 401. The framework floor
   (middleware, DRF, JSON error, the 4xx log line), no authentication work.
2. ``signed_get`` — GET /api/v1/me/ signed with HMAC-SHA256: key lookup with SM4 decryption of
   the signing key, HMAC check, nonce ``SET NX`` in Redis, throttle counter in Redis: 200.
3. ``signed_post`` — a signed POST with a fresh ``Idempotency-Key`` to the bench-only endpoint
   of ``bench/urls_bench.py`` (validate, one transaction writing one audit event): 201.

The reference is the declaration hub's goal for a single-document POST on this 2-core machine
with a 2-process server: at least 500 requests a second with p99 under 25 ms.

The benchmark works in its own database (``zone_portal_bench`` on the server of
``DATABASE_URL``, created and migrated when missing) with its own organization and API client,
and its own Redis key prefix (its keys are deleted at the end). It never touches the developer's
database. Results go to ``var/bench/api_requests.json`` (``BENCH_OUTPUT`` to change it).

    BENCH_SCALE=small python bench/bench_api_requests.py   # a few hundred requests, < 30 s
    python bench/bench_api_requests.py                     # >= 20 s of load per scenario

Other knobs: ``BENCH_CLIENTS`` (load-generator processes, default 4), ``BENCH_WORKERS``
(gunicorn workers, default 2), ``BENCH_MAX_REQUESTS`` (gunicorn's ``--max-requests``, default 20000
as in docker-compose.yml; 0 never recycles a worker), ``BENCH_DURATION`` (seconds per scenario,
full scale).
Exit status 1 when any request failed or was not answered as expected (the figures are then
not a measurement of the intended path); a goal that is missed is reported, not an exit status.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import math
import multiprocessing
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "var" / "bench" / "api_requests.json"
BENCH_DB = "zone_portal_bench"
CACHE_PREFIX = "zpbench"  # + the run id: concurrent runs never touch each other's keys
HOST = "127.0.0.1"
ME_PATH = "/api/v1/me/"

GOAL_RPS = 500  # the declaration hub's goal for a single-document POST ...
LIMIT_P99_MS = 25.0  # ... with p99 under this, on a 2-core machine and a 2-process server

OTHERS_NOTICEABLE = 0.1  # cores taken by other processes above which the figures are marked

BENCH_USCC_BODY = "91110105BENCH0001"  # + check character; GB 32100 alphabet only
BENCH_ADMIN = "bench_admin"


@dataclass(frozen=True)
class Scale:
    name: str
    warmup_s: float  # per scenario, not measured
    duration_s: float  # upper bound of the measured phase
    max_requests: int  # upper bound of measured requests per scenario


SCALES = {
    "small": Scale("small", warmup_s=0.3, duration_s=5.0, max_requests=300),
    "full": Scale("full", warmup_s=3.0, duration_s=float(os.environ.get("BENCH_DURATION", "20")),
                  max_requests=1_000_000),
}

SCENARIOS = {
    "unsigned_401": ("unsigned 401 floor", 401),
    "signed_get": ("signed GET /api/v1/me/", 200),
    "signed_post": ("signed POST", 201),
}


# --- the load generator (runs in its own processes; standard library only) ---------------------

def signed_headers(key_id: str, key: bytes, method: str, path: str, body: bytes) -> dict[str, str]:
    """The signature headers of docs/api-signing.md, written independently of the server's code.

    ``path`` has no query and only unreserved characters, so it is its own canonical form.
    """
    timestamp = str(int(time.time()))
    nonce = secrets.token_urlsafe(24)
    message = "\n".join([method, path, "", timestamp, nonce, hashlib.sha256(body).hexdigest()])
    return {
        "X-Api-Key": key_id,
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": hmac.new(key, message.encode(), hashlib.sha256).hexdigest(),
        "X-Signature-Method": "HMAC-SHA256",
    }


def build_request(job: dict, seq: int) -> tuple[str, str, bytes, dict[str, str], bytes]:
    """Method, path, body, headers, and a byte string the right answer's body must contain."""
    scenario = job["scenario"]
    headers = {"Accept": "application/json"}
    if scenario == "unsigned_401":
        return "GET", ME_PATH, b"", headers, b'"not_authenticated"'
    key = bytes.fromhex(job["signing_key"])
    if scenario == "signed_get":
        headers.update(signed_headers(job["key_id"], key, "GET", ME_PATH, b""))
        return "GET", ME_PATH, b"", headers, f'"key_id":"{job["key_id"]}"'.encode()
    order_no = f"{job['run']}-{job['client']}-{seq}"
    body = json.dumps({"order_no": order_no, "amount": "12.50", "run": job["run"]}).encode()
    headers["Content-Type"] = "application/json"
    headers["Idempotency-Key"] = order_no
    headers.update(signed_headers(job["key_id"], key, "POST", job["post_path"], body))
    return "POST", job["post_path"], body, headers, f'"order_no":"{order_no}"'.encode()


def run_client(job: dict) -> dict:
    """One client: requests back to back from ``start_at`` until ``stop_at`` or its budget.

    Requests sent before ``warmup_until`` are answered and checked but not measured. An answer is
    right when it has the expected status and its body carries the proof ``build_request`` named.
    """
    conn = http.client.HTTPConnection(job["host"], job["port"], timeout=10)
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    verified = warmup_ok = warmup_failed = created = seq = 0
    first_start = last_end = cpu_start = None
    time.sleep(max(0.0, job["start_at"] - time.time()))
    while True:
        now = time.time()
        measuring = now >= job["warmup_until"]
        if measuring and cpu_start is None:
            cpu_start = time.process_time()
        if now >= job["stop_at"] or len(latencies) >= job["budget"]:
            break
        seq += 1
        method, path, body, headers, proof = build_request(job, seq)
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            status, data = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            status, data = 0, repr(exc).encode()
        elapsed = time.perf_counter() - started
        ok = status == job["expected_status"] and proof in data
        created += status == 201
        if not ok and len(failures) < 5:
            failures.append(f"{'' if measuring else 'warm-up '}{status}: {data[:200]!r}")
        if not measuring:
            warmup_ok += ok
            warmup_failed += not ok
            continue
        first_start = first_start or now
        last_end = time.time()
        latencies.append(elapsed)
        statuses[str(status)] += 1
        verified += ok
    conn.close()
    return {
        "latencies": latencies, "statuses": dict(statuses), "verified": verified, "failures": failures,
        "warmup_ok": warmup_ok, "warmup_failed": warmup_failed, "created": created,
        "first_start": first_start, "last_end": last_end,
        "cpu_s": time.process_time() - cpu_start if cpu_start is not None else 0.0,
    }


# --- CPU accounting from /proc -------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user
    return (total - idle) / TICK, total / TICK


def process_cpu() -> dict[tuple[int, int], tuple[str, int, float, float]]:
    """(pid, start time) -> (command name, parent pid, own CPU seconds, CPU seconds of its reaped
    children), for every process; the start time tells a reused pid from the process before it."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended while we looked
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()  # fields[0] is field 3 of proc(5), "state"
        own = (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
        reaped = (int(fields[13]) + int(fields[14])) / TICK  # cutime + cstime
        table[(int(entry.name), int(fields[19]))] = (comm, int(fields[1]), own, reaped)
    return table


def tree_cpu(snapshot: dict, root: tuple[int, int]) -> float:
    """CPU seconds of a process and its children: its own, its reaped children's and its live
    children's. A parent that reaps its children (the gunicorn master, the postmaster) keeps them
    all in this sum, so the difference of two snapshots is exact even when children come and go."""
    _comm, _ppid, own, reaped = snapshot[root]
    return own + reaped + sum(value[2] for value in snapshot.values() if value[1] == root[0])


def cpu_by_group(before: dict, after: dict, master_pid: int) -> tuple[dict[str, float], list[str]]:
    """CPU seconds spent between two snapshots by gunicorn (master and workers), PostgreSQL,
    Redis, and the machine's other processes (the load generator counts its own CPU)."""
    comm_of = {key[0]: value[0] for key, value in after.items()}
    groups = {"gunicorn": 0.0, "postgresql": 0.0, "redis": 0.0}
    in_groups: set[int] = set()
    for key, (comm, ppid, _own, _reaped) in after.items():
        if key[0] == master_pid:
            group = "gunicorn"
        elif comm.startswith("postgres") and not comm_of.get(ppid, "").startswith("postgres"):
            group = "postgresql"  # the postmaster
        elif comm.startswith("redis-server"):
            group = "redis"
        else:
            continue
        in_groups.add(key[0])
        if key in before:
            groups[group] += tree_cpu(after, key) - tree_cpu(before, key)
    ours = {os.getpid(), *in_groups}
    others: Counter[str] = Counter()
    for key, (comm, ppid, own, _reaped) in after.items():
        if key[0] not in ours and ppid not in ours:
            others[comm.split("-")[0]] += own - before.get(key, (comm, ppid, 0.0, 0.0))[2]
    groups["other_processes"] = sum(others.values())
    return groups, [name for name, spent in others.most_common(3) if spent >= 0.05]


# --- statistics ----------------------------------------------------------------------------------

def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(name: str, results: list[dict]) -> dict:
    """The figures of one scenario from its clients' results."""
    latencies = sorted(x for r in results for x in r["latencies"])
    statuses: Counter[str] = Counter()
    for r in results:
        statuses.update(r["statuses"])
    verified = sum(r["verified"] for r in results)
    starts = [r["first_start"] for r in results if r["first_start"] is not None]
    ends = [r["last_end"] for r in results if r["last_end"] is not None]
    wall = (max(ends) - min(starts)) if starts else 0.0
    count = len(latencies)
    label, expected = SCENARIOS[name]
    latency_ms = {f"p{round(q * 100)}": round(percentile(latencies, q) * 1000, 2) if latencies else None
                  for q in (0.5, 0.9, 0.99)}
    latency_ms["max"] = round(latencies[-1] * 1000, 2) if latencies else None
    return {
        "label": label,
        "expected_status": expected,
        "requests": count,
        "duration_s": round(wall, 3),
        "requests_per_s": round(count / wall, 1) if wall else 0.0,
        "latency_ms": latency_ms,
        "status_counts": dict(sorted(statuses.items())),
        "verified": verified,
        "errors": count - verified,
        "warmup_requests": sum(r["warmup_ok"] + r["warmup_failed"] for r in results),
        "warmup_errors": sum(r["warmup_failed"] for r in results),
        "error_samples": [f for r in results for f in r["failures"]][:5],
        "created_total": sum(r["created"] for r in results),
    }


def ratio_line(summary: dict) -> str:
    rps, p99 = summary["requests_per_s"], summary["latency_ms"]["p99"] or 0.0
    return (f"{summary['label']}: {rps:,.0f} req/s ({rps / GOAL_RPS:.2f} × the {GOAL_RPS} req/s goal), "
            f"p50 {summary['latency_ms']['p50']} ms, p90 {summary['latency_ms']['p90']} ms, "
            f"p99 {p99:.1f} ms ({p99 / LIMIT_P99_MS:.2f} × the {LIMIT_P99_MS:.0f} ms limit), "
            f"{summary['errors']} errors")


# --- the platform side: database, API client, gunicorn ---------------------------------------------

def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def with_database(url: str, name: str) -> str:
    """``url`` naming database ``name`` on the same server (a socket directory in the query stays)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def ensure_database(database_url: str) -> str:
    """Create the bench database beside the developer's one when it is missing; return its URL."""
    import psycopg

    with psycopg.connect(with_database(database_url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not exists:
            log(f"creating database {BENCH_DB}")
            try:
                conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
            except psycopg.errors.DuplicateDatabase:
                pass  # a concurrent run created it
    return with_database(database_url, BENCH_DB)


def server_env(bench_url: str, cache_prefix: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
        "CACHE_KEY_PREFIX": cache_prefix,
        # The budget is raised so that the throttle counts (its Redis INCR is measured) but
        # never refuses; idempotency records of the run expire soon instead of after 24 hours.
        "API_CLIENT_RATE": "100000000/min",
        "API_IDEMPOTENCY_TTL": "900",
        "DEBUG": "false",
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "false",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    })
    return env


def migrate(env: dict[str, str]) -> None:
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput"],
                          env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"migrate of {BENCH_DB} failed:\n{done.stdout}\n{done.stderr}")
    log(f"{BENCH_DB} migrated ({time.monotonic() - started:.1f} s)")


def bench_admin():
    """The administrator of the bench enterprise, registered on the first run."""
    from zone_portal.accounts import services
    from zone_portal.accounts.models import User
    from zone_portal.accounts.validators import uscc_check_char
    from zone_portal.core.errors import Conflict

    admin = User.objects.filter(username=BENCH_ADMIN).select_related("organization").first()
    if admin is not None:
        return admin
    uscc = BENCH_USCC_BODY + uscc_check_char(BENCH_USCC_BODY)
    try:
        return services.enterprise_register(data=services.Registration(
            organization_name="基准测试企业", organization_name_en="Benchmark enterprise", uscc=uscc,
            contact_name="基准", mobile="13800138000", email="bench@example.invalid",
            username=BENCH_ADMIN, password=secrets.token_urlsafe(24),
        ))
    except Conflict:  # a concurrent first run registered it
        return User.objects.select_related("organization").get(username=BENCH_ADMIN)


def api_client_for_run(admin, run: str):
    """A new API client of the bench enterprise for this run, and its secret (revoked at the end)."""
    from zone_portal.accounts import services

    return services.api_client_create(actor=admin, organization=admin.organization, name=f"bench-{run}",
                                      scopes=["order:read", "order:write"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def gunicorn_command(port: int, workers: int, max_requests: int) -> list[str]:
    """docker-compose.yml's web command, on 127.0.0.1 with ``workers`` processes, no control socket."""
    return [str(Path(sys.executable).parent / "gunicorn"), "zone_portal.wsgi:application",
            "--bind", f"{HOST}:{port}", "--workers", str(workers), "--timeout", "30",
            "--graceful-timeout", "30", "--max-requests", str(max_requests),
            "--max-requests-jitter", str(max_requests // 10), "--worker-tmp-dir", "/dev/shm",
            # gunicorn 27 opens ~/.gunicorn/gunicorn.ctl by default; a bench beside `make run`
            # (or another bench) must not take over that socket.
            "--no-control-socket"]


def wait_ready(server: subprocess.Popen, port: int, workers: int, log_path: Path) -> None:
    """Until the server answers and all its workers are up (each loads Django before accepting)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}; see {log_path}")
        children = [key for key, (_c, ppid, *_t) in process_cpu().items() if ppid == server.pid]
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", ME_PATH)
            answered = conn.getresponse().status == 401
            conn.close()
        except OSError:
            answered = False
        if answered and len(children) >= workers:
            return
        time.sleep(0.2)
    sys.exit(f"gunicorn did not become ready in 60 s; see {log_path}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=35)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def delete_cache_keys(redis_url: str, cache_prefix: str) -> int:
    import redis

    client = redis.Redis.from_url(redis_url)
    deleted = 0
    batch = []
    for key in client.scan_iter(match=f"{cache_prefix}:*", count=1000):
        batch.append(key)
        if len(batch) == 1000:
            deleted += client.delete(*batch)
            batch = []
    if batch:
        deleted += client.delete(*batch)
    client.close()
    return deleted


def machine_facts(bench_url: str, redis_url: str, clients: int, command: list[str]) -> dict:
    import django
    import psycopg
    import redis

    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                  if line.startswith("model name")), platform.processor())
    meminfo = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()
    with psycopg.connect(bench_url) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    r = redis.Redis.from_url(redis_url)
    redis_version = r.info("server")["redis_version"]
    r.close()
    gunicorn_version = subprocess.run([command[0], "--version"], capture_output=True, text=True,
                                      check=False).stdout.strip()
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "memory_gib": round(int(meminfo[1]) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg_version,
        "redis": redis_version,
        "gunicorn": gunicorn_version,
        "server": " ".join([Path(command[0]).name, *command[1:]]),
        "load_generator": f"{clients} processes, http.client (the sync workers close each connection, "
                          f"so every request opens a new TCP connection)",
    }


# --- the run -------------------------------------------------------------------------------------

def run_scenario(pool, name: str, base_job: dict, scale: Scale, clients: int, master_pid: int) -> dict:
    start_at = time.time() + 0.2
    warmup_until = start_at + scale.warmup_s
    jobs = [base_job | {
        "scenario": name, "expected_status": SCENARIOS[name][1], "client": i,
        "start_at": start_at, "warmup_until": warmup_until, "stop_at": warmup_until + scale.duration_s,
        "budget": math.ceil(scale.max_requests / clients),
    } for i in range(clients)]
    pending = pool.map_async(run_client, jobs, chunksize=1)
    time.sleep(max(0.0, warmup_until - time.time()))
    busy_before, total_before, procs_before = *machine_busy_s(), process_cpu()
    sampled_from = time.time()
    results = pending.get(timeout=scale.warmup_s + scale.duration_s + 60)
    busy_after, total_after, procs_after = *machine_busy_s(), process_cpu()
    sampled_s = time.time() - sampled_from
    summary = summarize(name, results)
    # Cores = CPU seconds per second of wall time: the load generator's over its measured window,
    # the others' over the (slightly longer) interval between the two /proc snapshots.
    cpu, busiest_other = cpu_by_group(procs_before, procs_after, master_pid)
    cores = {group: round(seconds / sampled_s, 2) for group, seconds in cpu.items()}
    loader_s = sum(r["cpu_s"] for r in results)
    cores["load_generator"] = round(loader_s / summary["duration_s"], 2) if summary["duration_s"] else 0.0
    summary["cpu_cores"] = cores
    # CPU per request is steadier than req/s when other processes share the machine.
    rps = summary["requests_per_s"] or math.inf  # no requests: no cost to show
    summary["cpu_ms_per_request"] = {
        "gunicorn": round(1000 * cores["gunicorn"] / rps, 2),
        "postgresql_and_redis": round(1000 * (cores["postgresql"] + cores["redis"]) / rps, 2),
        "load_generator": round(1000 * cores["load_generator"] / rps, 2),
    }
    summary["machine_cpu_busy_pct"] = round(100 * (busy_after - busy_before) / (total_after - total_before), 1)
    summary["busiest_other_processes"] = busiest_other
    return summary


def print_summary(report: dict, output: Path) -> None:
    machine = report["machine"]
    print(f"machine: {machine['nproc']} × {machine['cpu_model']}, Python {machine['python']}, "
          f"PostgreSQL {machine['postgresql']}, Redis {machine['redis']}; {machine['server']}")
    for name, summary in report["scenarios"].items():
        cores = summary["cpu_cores"]
        others = ", ".join(summary["busiest_other_processes"]) or "-"
        per_request = summary["cpu_ms_per_request"]
        print(f"  {name}: machine CPU {summary['machine_cpu_busy_pct']} % busy; cores used by gunicorn "
              f"{cores['gunicorn']}, PostgreSQL {cores['postgresql']}, Redis {cores['redis']}, "
              f"load generator {cores['load_generator']}, other processes {cores['other_processes']} ({others}); "
              f"CPU per request: gunicorn {per_request['gunicorn']} ms, PostgreSQL + Redis "
              f"{per_request['postgresql_and_redis']} ms, load generator {per_request['load_generator']} ms")
    busy_others = [name for name, summary in report["scenarios"].items()
                   if summary["cpu_cores"]["other_processes"] > OTHERS_NOTICEABLE]
    if busy_others:
        print(f"note: other processes shared the CPU during {', '.join(busy_others)}: those figures understate "
              f"the platform; run again on a quiet machine")
    post = report["scenarios"]["signed_post"]
    meets = post["requests_per_s"] >= GOAL_RPS and post["latency_ms"]["p99"] < LIMIT_P99_MS
    print(f"signed POST {'meets' if meets else 'does NOT meet'} the goal "
          f"(>= {GOAL_RPS} req/s with p99 < {LIMIT_P99_MS:.0f} ms); results in {output}")


def problems_of(report: dict) -> list[str]:
    """Why the run does not measure the intended path (empty: it does)."""
    problems = [f"{name}: {s['errors'] + s['warmup_errors']} wrong answers, e.g. {s['error_samples']}"
                for name, s in report["scenarios"].items()
                if s["errors"] or s["warmup_errors"] or not s["requests"]]
    post = report["scenarios"]["signed_post"]
    if post["audit_events_written"] != post["created_total"]:
        problems.append(f"signed_post: {post['created_total']} answered 201 but "
                        f"{post['audit_events_written']} audit events were written")
    return problems


def main() -> int:
    scale = SCALES[os.environ.get("BENCH_SCALE", "full")]
    clients = int(os.environ.get("BENCH_CLIENTS", "4"))
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    max_requests = int(os.environ.get("BENCH_MAX_REQUESTS", "20000"))
    output = Path(os.environ.get("BENCH_OUTPUT", DEFAULT_OUTPUT))
    database_url, redis_url = os.environ["DATABASE_URL"], os.environ["REDIS_URL"]
    run = datetime.now(UTC).strftime("r%Y%m%d%H%M%S") + secrets.token_hex(2)
    cache_prefix = f"{CACHE_PREFIX}-{run}"

    bench_url = ensure_database(database_url)
    env = server_env(bench_url, cache_prefix)
    migrate(env)

    # Django in this process only for the bench client and, after the run, the audit count.
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "CACHE_KEY_PREFIX")})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connections
    from django.urls import reverse

    from bench.urls_bench import BENCH_ACTION
    from zone_portal.accounts import services
    from zone_portal.audit.models import AuditEvent

    admin = bench_admin()
    client, secret = api_client_for_run(admin, run)
    connections.close_all()

    port = free_port()
    command = gunicorn_command(port, workers, max_requests)
    output.parent.mkdir(parents=True, exist_ok=True)
    log_path = output.parent / "gunicorn.log"
    report: dict = {
        "benchmark": "api_requests", "run": run, "scale": scale.name,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "reference": {"goal_requests_per_s": GOAL_RPS, "limit_p99_ms": LIMIT_P99_MS,
                      "source": "declaration hub goal for a single-document POST, 2-core machine, "
                                "2-process server"},
        "machine": machine_facts(bench_url, redis_url, clients, command),
        "scenarios": {},
    }
    log(f"gunicorn on {HOST}:{port}, {workers} workers, log in {log_path}")
    with log_path.open("w") as server_log:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=server_log, stderr=subprocess.STDOUT)
    pool = None
    try:
        wait_ready(server, port, workers, log_path)
        pool = multiprocessing.get_context("spawn").Pool(clients)
        base_job = {"host": HOST, "port": port, "key_id": client.key_id,
                    "signing_key": hashlib.sha256(secret.encode()).hexdigest(),
                    "post_path": reverse("bench-event-create"), "run": run}
        for name in SCENARIOS:
            summary = run_scenario(pool, name, base_job, scale, clients, server.pid)
            report["scenarios"][name] = summary
            print(ratio_line(summary), flush=True)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        stop_server(server)
        services.api_client_revoke(actor=admin, client=client, reason="benchmark run finished")
        deleted = delete_cache_keys(redis_url, cache_prefix)
        log(f"gunicorn stopped, API client {client.key_id} revoked, {deleted} Redis keys of the run deleted")

    post = report["scenarios"]["signed_post"]
    post["audit_events_written"] = AuditEvent.objects.filter(action=BENCH_ACTION, extra__run=run).count()
    connections.close_all()
    report["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")

    print_summary(report, output)
    problems = problems_of(report)
    for problem in problems:
        log(f"INVALID RUN: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
