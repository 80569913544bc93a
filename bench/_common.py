"""What the benchmarks under ``bench/`` share: the bench database, the bench enterprise, a real
gunicorn, a load generator of signed requests, CPU accounting from ``/proc`` and the statistics.

Moved here from ``bench_api_requests.py`` (which still re-exports what other modules imported from
it) so that ``bench_declarations.py`` measures the declaration hub with the very same machinery.

The load generator runs in its own processes and uses the standard library only. A job (a dict,
one per load-generator process) names its request builder, ``job["build"](job, seq)``, a
module-level function returning ``(method, path, body, headers, proof)``: the answer is right when
it has ``job["expected_status"]`` and ``proof`` (bytes the body must contain, or a callable
``proof(body) -> bool``) holds.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import math
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
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "zone_portal_bench"
CACHE_PREFIX = "zpbench"  # + the run id: concurrent runs never touch each other's keys
HOST = "127.0.0.1"
ME_PATH = "/api/v1/me/"

OTHERS_NOTICEABLE = 0.1  # cores taken by other processes above which the figures are marked

BENCH_USCC_BODY = "91110105BENCH0001"  # + check character; GB 32100 alphabet only
BENCH_ADMIN = "bench_admin"


@dataclass(frozen=True)
class Scale:
    name: str
    warmup_s: float  # per scenario, not measured
    duration_s: float  # upper bound of the measured phase
    max_requests: int  # upper bound of measured requests per scenario


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


def run_client(job: dict) -> dict:
    """One client: requests back to back from ``start_at`` until ``stop_at`` or its budget.

    Requests sent before ``warmup_until`` are answered and checked but not measured. An answer is
    right when it has the expected status and the proof ``job["build"]`` named holds.
    """
    conn = http.client.HTTPConnection(job["host"], job["port"], timeout=job.get("timeout_s", 10))
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
        method, path, body, headers, proof = job["build"](job, seq)
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            status, data = response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            status, data = 0, repr(exc).encode()
        elapsed = time.perf_counter() - started
        ok = status == job["expected_status"] and (proof(data) if callable(proof) else proof in data)
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


def summarize(results: list[dict], *, label: str, expected_status: int) -> dict:
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
    latency_ms = {f"p{round(q * 100)}": round(percentile(latencies, q) * 1000, 2) if latencies else None
                  for q in (0.5, 0.9, 0.99)}
    latency_ms["max"] = round(latencies[-1] * 1000, 2) if latencies else None
    return {
        "label": label,
        "expected_status": expected_status,
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


def gunicorn_command(port: int, workers: int, max_requests: int, threads: int | None = None) -> list[str]:
    """docker-compose.yml's web command, on 127.0.0.1 with ``workers`` processes of ``threads``
    threads each (``BENCH_THREADS``, default 4 as ``WEB_THREADS``; 1 runs sync workers), no
    control socket."""
    threads = int(os.environ.get("BENCH_THREADS", "4")) if threads is None else threads
    kind = ["--worker-class", "gthread", "--threads", str(threads)] if threads > 1 else []
    return [str(Path(sys.executable).parent / "gunicorn"), "zone_portal.wsgi:application", *kind,
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

def run_scenario(pool, name: str, base_job: dict, scale: Scale, clients: int, master_pid: int, *,
                 label: str, expected_status: int) -> dict:
    """Run one scenario from ``clients`` load-generator processes of ``pool``; its figures, with the
    CPU each group of processes spent during the measured window."""
    start_at = time.time() + 0.2
    warmup_until = start_at + scale.warmup_s
    jobs = [base_job | {
        "scenario": name, "expected_status": expected_status, "client": i,
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
    summary = summarize(results, label=label, expected_status=expected_status)
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
