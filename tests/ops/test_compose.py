"""docker-compose.yml and the Dockerfile point at things that exist and work.

Docker itself is not available on the test machines, so the images are never built here.
What can be checked without it is checked for real: every command and health check of the
portal's services is parsed by the program that will run it (gunicorn, Celery's command line,
Django's management commands, the health module), the WSGI and Celery apps they name are the
project's, the worker and beat commands are started and must come up, and every environment
variable compose sets is one that settings.py reads.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import time
import uuid
import warnings
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import yaml
from django.db import connections

from tests.fixtures.celery import test_broker_url
from tests.ops.envs import PYTHON, ROOT, database_url_of, production_env
from tests.ops.test_settings import settings_env_vars

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict = COMPOSE["services"]
APP_SERVICES = {name: s for name, s in SERVICES.items() if "build" in s}
VENV_BIN = Path(PYTHON).parent


def interpolate(value: str) -> str:
    """Compose's variable substitution, with defaults for ``${X:-d}`` and a stand-in otherwise."""
    value = re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", value)
    value = re.sub(r"\$\{[A-Z0-9_]+(:?\?[^}]*)?\}", "placeholder", value)
    return value.replace("$$", "$")


def command_of(service: dict) -> list[str]:
    command = service["command"]
    assert isinstance(command, list), "commands are in exec form (no shell between Docker and the process)"
    return [interpolate(part) for part in command]


def healthcheck_argv(service: dict) -> list[str]:
    test = service["healthcheck"]["test"]
    if test[0] == "CMD-SHELL":
        return shlex.split(interpolate(test[1]))
    assert test[0] == "CMD"
    return [interpolate(part) for part in test[1:]]


def celery_parse(args: list[str]):
    """Parse a ``celery …`` command line the way the celery program does; returns (name, params)."""
    from celery.app.utils import find_app
    from celery.bin.base import CLIContext
    from celery.bin.celery import celery as cli

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # click's protected_args
        ctx = cli.make_context("celery", list(args), obj=CLIContext(
            app=find_app(_option(args, "-A")), no_color=True, workdir=None, quiet=True))
        name, command, rest = cli.resolve_command(ctx, [*ctx.protected_args, *ctx.args])
        return name, command.make_context(name, rest, parent=ctx).params


def _option(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def console_scripts() -> set[str]:
    return {ep.name for ep in entry_points(group="console_scripts")}


# --- shape ------------------------------------------------------------------------------------

def test_the_production_services_are_all_there():
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(SERVICES)
    assert {"web", "worker", "beat"} <= set(APP_SERVICES)


def test_every_long_running_service_has_a_health_check():
    for name, service in SERVICES.items():
        if service.get("restart") == "no":
            continue
        check = service.get("healthcheck")
        assert check and not check.get("disable"), f"{name} has no health check"
        assert check["test"][0] in ("CMD", "CMD-SHELL")
        for key in ("interval", "timeout", "retries"):
            assert key in check, f"{name}: healthcheck.{key}"


def test_one_off_jobs_are_awaited_by_every_portal_service():
    one_off = [name for name, s in SERVICES.items() if s.get("restart") == "no"]
    assert one_off == ["migrate"]
    assert command_of(SERVICES["migrate"]) == ["python", "manage.py", "migrate", "--noinput"]
    for name in ("web", "worker", "beat"):
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name


def test_postgres_and_redis_keep_their_data_in_named_volumes():
    declared = set(COMPOSE["volumes"])
    mounts = {name: {v.split(":")[1]: v.split(":")[0] for v in SERVICES[name]["volumes"]}
              for name in ("postgres", "redis")}
    assert mounts["postgres"]["/var/lib/postgresql/data"] in declared
    assert mounts["redis"]["/data"] in declared
    assert "--appendonly" in SERVICES["redis"]["command"]  # queued tasks survive a restart
    media = {v.split(":")[1]: v.split(":")[0] for v in SERVICES["web"]["volumes"]}
    assert media["/app/var/media"] in declared  # uploads outlive the container


def test_data_stores_are_not_published_and_web_only_on_loopback():
    assert "ports" not in SERVICES["postgres"]
    assert "ports" not in SERVICES["redis"]
    [port] = SERVICES["web"]["ports"]
    assert interpolate(port).startswith("127.0.0.1:")


def test_images_are_pinned_to_a_major_version():
    for name in ("postgres", "redis"):
        image = SERVICES[name]["image"]
        assert re.fullmatch(r"[a-z]+:\d+(\.\d+)*(-[a-z]+)?", image), image


# --- environment ------------------------------------------------------------------------------

def test_portal_services_set_only_variables_that_settings_reads():
    known = set(settings_env_vars())
    for name, service in APP_SERVICES.items():
        unknown = set(service.get("environment", {})) - known
        assert not unknown, f"{name} sets variables settings.py never reads: {sorted(unknown)}"
        assert service["env_file"] == ".env"


def test_database_and_redis_urls_name_the_compose_services_and_their_credentials():
    env = APP_SERVICES["web"]["environment"]
    pg = SERVICES["postgres"]["environment"]
    db_url = env["DATABASE_URL"]
    assert db_url.startswith(f"postgres://{pg['POSTGRES_USER']}:${{POSTGRES_PASSWORD")
    assert f"@postgres:5432/{pg['POSTGRES_DB']}" in db_url
    assert pg["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")
    assert env["REDIS_URL"].startswith("redis://:${REDIS_PASSWORD")
    assert "@redis:6379/" in env["REDIS_URL"]
    assert "${REDIS_PASSWORD" in " ".join(SERVICES["redis"]["command"])


def test_no_secret_is_written_into_compose():
    text = (ROOT / "docker-compose.yml").read_text()
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY"):
        assert not re.search(rf"{name}\s*[:=]", text), f"{name} belongs in .env, not in compose"
    for match in re.finditer(r"://[^/\s\"]*:([^@/\s\"]+)@", text):
        assert match.group(1).startswith("${"), f"a literal password in a URL: {match.group(0)}"


# --- the web service ----------------------------------------------------------------------------

def test_web_runs_gunicorn_on_the_project_wsgi_application():
    argv = command_of(SERVICES["web"])
    assert argv[0] == "gunicorn"
    assert "gunicorn" in console_scripts()
    app_spec = next(a for a in argv[1:] if not a.startswith("-") and ":" in a)
    module_name, _, attr = app_spec.partition(":")
    module = importlib.import_module(module_name)
    from django.core.handlers.wsgi import WSGIHandler

    assert isinstance(getattr(module, attr or "application"), WSGIHandler)


def test_gunicorn_accepts_the_web_command_and_loads_the_app(db):
    argv = command_of(SERVICES["web"])
    env = production_env(DATABASE_URL=database_url_of(connections["default"].settings_dict))
    done = subprocess.run([str(VENV_BIN / "gunicorn"), "--check-config", *argv[1:]],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_web_health_check_is_the_health_module_probing_healthz():
    from zone_portal.core import health

    argv = healthcheck_argv(SERVICES["web"])
    assert argv[:3] == ["python", "-m", "zone_portal.core.health"]
    args = health.build_parser().parse_args(argv[3:])
    assert args.url == "http://127.0.0.1:8000/healthz"
    assert "--bind" in command_of(SERVICES["web"])
    assert _option(command_of(SERVICES["web"]), "--bind").endswith(":8000")


# --- migrate ------------------------------------------------------------------------------------

def test_migrate_is_a_real_management_command_with_valid_options():
    from django.core.management import get_commands, load_command_class

    argv = command_of(SERVICES["migrate"])
    assert (ROOT / argv[1]).is_file()
    app_name = get_commands()[argv[2]]
    parser = load_command_class(app_name, argv[2]).create_parser("manage.py", argv[2])
    options = parser.parse_args(argv[3:])
    assert options.interactive is False


# --- worker and beat ----------------------------------------------------------------------------

def test_worker_and_beat_commands_name_the_project_celery_app_and_valid_options():
    from zone_portal.celery import app

    assert "celery" in console_scripts()
    for name, subcommand in (("worker", "worker"), ("beat", "beat")):
        argv = command_of(SERVICES[name])
        assert argv[0] == "celery"
        from celery.app.utils import find_app

        assert find_app(_option(argv, "-A")) is app
        parsed_name, _params = celery_parse(argv[1:])
        assert parsed_name == subcommand
    _, beat = celery_parse(command_of(SERVICES["beat"])[1:])
    module, _, cls = beat["scheduler"].partition(":")
    assert callable(getattr(importlib.import_module(module), cls))
    assert beat["pidfile"].startswith("/tmp/")  # the only writable place for the unprivileged user


def test_worker_health_check_pings_this_worker_by_name():
    argv = healthcheck_argv(SERVICES["worker"])
    assert argv[0] == "celery"
    name, params = celery_parse(argv[1:])
    assert name == "inspect"
    assert params["command"] == "ping"
    assert params["destination"] == ["celery@$HOSTNAME"]  # the shell fills in the container name


def test_beat_health_check_checks_the_database_and_the_broker():
    from zone_portal.core import health

    argv = healthcheck_argv(SERVICES["beat"])
    assert argv[:3] == ["python", "-m", "zone_portal.core.health"]
    args = health.build_parser().parse_args(argv[3:])
    assert args.checks == ["database", "broker"]
    assert set(args.checks) <= set(health.CHECKS)


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    argv = [str(VENV_BIN / argv[0]), *argv[1:]]
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _service_env() -> dict[str, str]:
    """Production settings on this machine: the test database, and the test broker database so
    that the started processes cannot take a developer's tasks."""
    broker = test_broker_url()
    return production_env(
        DATABASE_URL=database_url_of(connections["default"].settings_dict),
        CELERY_BROKER_URL=broker, CELERY_RESULT_BACKEND=broker,
    )


@pytest.fixture(scope="module")
def compose_worker(django_db_setup, tmp_path_factory):
    """The worker service's command, started as it is (plus a unique node name so that parallel
    runs cannot answer for it); yields (node name, log file) once it answered a ping."""
    from celery import Celery

    nodename = f"compose-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
    argv = [*command_of(SERVICES["worker"]), "--hostname", nodename]
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    worker = _start(argv, _service_env(), log)
    probe = Celery("compose-probe", broker=test_broker_url(), set_as_current=False)
    try:
        replies = []
        deadline = time.monotonic() + 60
        while not replies and time.monotonic() < deadline and worker.poll() is None:
            replies = probe.control.ping(destination=[nodename], timeout=1.0)
        yield nodename, log, replies
    finally:
        probe.close()
        _stop(worker)


def test_the_worker_command_starts_a_worker_that_answers(compose_worker):
    nodename, log, replies = compose_worker
    assert replies == [{nodename: {"ok": "pong"}}], log.read_text()[-3000:]


def test_the_worker_logs_the_projects_json_lines(compose_worker):
    """Celery replaces the root logger's handlers in a worker unless told not to; the worker's
    lines must stay the project's JSON lines, with request ids and masking."""
    nodename, log, _replies = compose_worker
    deadline = time.monotonic() + 10
    while f"{nodename} ready" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    [ready_line] = [line for line in log.read_text().splitlines() if f"{nodename} ready" in line]
    try:
        record = json.loads(ready_line)
    except json.JSONDecodeError:
        pytest.fail(f"the worker logs in Celery's own format, not JSON lines: {ready_line!r}")
    assert record["logger"].startswith("celery")
    assert record["request_id"] == "-"


def test_the_beat_command_starts_beat_on_the_database_scheduler(transactional_db, tmp_path):
    argv = command_of(SERVICES["beat"])
    argv[argv.index("--pidfile") + 1] = str(tmp_path / "celerybeat.pid")
    log = tmp_path / "beat.log"
    beat = _start(argv, _service_env(), log)
    try:
        deadline = time.monotonic() + 60
        while "beat: Starting" not in log.read_text() and time.monotonic() < deadline and beat.poll() is None:
            time.sleep(0.3)
        time.sleep(3)  # the DatabaseScheduler reads its schedule now; a broken one dies here
        alive = beat.poll() is None
    finally:
        _stop(beat)
    output = log.read_text()
    assert alive, output[-3000:]
    assert "beat: Starting" in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]


# --- Dockerfile ---------------------------------------------------------------------------------

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def test_dockerfile_builds_on_python_311_slim_and_runs_unprivileged():
    instructions = _instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0"), "the last USER must not be root"
    assert ("WORKDIR", "/app") in instructions
    env = " ".join(rest for keyword, rest in instructions if keyword == "ENV")
    assert "DJANGO_SETTINGS_MODULE=zone_portal.settings" in env
    for secret in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "DATABASE_URL"):
        assert secret not in env, f"{secret} must not be baked into the image environment"


def test_dockerfile_installs_the_project_and_collects_static_files_at_build():
    runs = [rest for keyword, rest in _instructions() if keyword == "RUN"]
    assert any("pip install" in run and run.rstrip().endswith(" .") for run in runs)
    collect = next(run for run in runs if "collectstatic" in run)
    assert "manage.py collectstatic --noinput" in collect


def test_dockerfile_default_command_is_gunicorn_on_the_project_wsgi_app():
    [cmd] = [rest for keyword, rest in _instructions() if keyword == "CMD"]
    argv = json.loads(cmd)
    assert argv[:2] == ["gunicorn", "zone_portal.wsgi:application"]


def test_dockerfile_copies_everything_that_runs_and_no_secrets():
    copied = set()
    for keyword, rest in _instructions():
        if keyword == "COPY":
            *sources, _dest = rest.split()
            copied.update(s.rstrip("/") for s in sources if not s.startswith("--"))
    assert "." not in copied, "COPY . would put .env, var/ (development secrets) and .venv into the image"
    for source in copied:
        assert (ROOT / source).exists(), f"COPY {source}: no such file or directory"
        assert not source.startswith((".env", "var", ".venv")), source
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {p.rstrip("*") for p in patterns}
    needed = {"manage.py", "pyproject.toml", "templates", *packages}
    if (ROOT / "locale").is_dir():
        needed.add("locale")  # compiled translations must ship with the image
    missing = sorted(needed - copied)
    assert not missing, f"the Dockerfile does not copy: {', '.join(missing)}"


def test_collectstatic_runs_with_the_build_time_values_and_no_data_stores(tmp_path):
    """The Dockerfile's collectstatic step, with its throw-away values, where neither the
    database nor Redis answers (port 9): proves the build does not need them."""
    run = next(rest for keyword, rest in _instructions() if keyword == "RUN" and "collectstatic" in rest)
    assignments = dict(re.findall(r"([A-Z_]+)=(\S+)", run.split("python manage.py")[0]))
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY"} <= set(assignments)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "zone_portal.settings",
           "STATIC_ROOT": str(tmp_path / "static"), **assignments}
    done = subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "1"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()  # the manifest whitenoise serves from
    assert (tmp_path / "static" / "admin").is_dir()


@pytest.mark.parametrize("service", ["web", "worker", "beat", "migrate"])
def test_portal_services_share_one_image_and_drop_privileges(service):
    spec = SERVICES[service]
    assert spec["build"] == "."
    assert spec["image"] == SERVICES["web"]["image"]
    assert spec["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in spec["security_opt"]
