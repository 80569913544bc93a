"""One env-driven settings module: every variable documented, secure without being asked,
refusing to start without its data stores and secrets."""

from __future__ import annotations

import ast
import json
import re
import subprocess

import pytest

from tests.ops.envs import IGNORE_DOTENV, PRODUCTION_HOST, PYTHON, ROOT, production_env, run_manage_py

SETTINGS_PY = ROOT / "zone_portal" / "settings.py"
ENV_EXAMPLE = ROOT / ".env.example"
COMPOSE = ROOT / "docker-compose.yml"
SECRETS = ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "EMAIL_HOST_PASSWORD")


def settings_env_vars() -> dict[str, bool]:
    """Every variable settings.py reads through django-environ: ``{name: has_default}``."""
    found: dict[str, bool] = {}
    for node in ast.walk(ast.parse(SETTINGS_PY.read_text())):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        is_env_call = (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                       and func.value.id == "env") or (isinstance(func, ast.Name) and func.id == "env")
        if is_env_call and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            has_default = any(k.arg == "default" for k in node.keywords) or len(node.args) > 1
            found[node.args[0].value] = found.get(node.args[0].value, False) or has_default
    return found


def settings_defaults() -> dict[str, str]:
    """The defaults settings.py gives, as .env.example spells them (only the constant ones)."""
    defaults: dict[str, str] = {}
    for node in ast.walk(ast.parse(SETTINGS_PY.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "env"):
            continue
        default = next((k.value for k in node.keywords if k.arg == "default"), None)
        if default is None or not node.args or not isinstance(node.args[0], ast.Constant):
            continue
        try:  # constants and arithmetic such as 30 * 60; names (BASE_DIR, REDIS_URL) are skipped
            value = eval(compile(ast.Expression(default), "<default>", "eval"), {"__builtins__": {}})
        except NameError:
            continue
        if value is None:  # unset means the code's own default, which the example line may spell out
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, list):
            value = ",".join(value)
        defaults[node.args[0].value] = str(value)
    return defaults


def example_entries() -> dict[str, tuple[str, bool]]:
    """``{name: (value, commented_out)}`` of .env.example (``NAME=…`` or ``# NAME=…``)."""
    entries = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if match:
            entries[match.group(2)] = (match.group(3), bool(match.group(1)))
    return entries


def compose_variables() -> set[str]:
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE.read_text()))


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


PRINT_SETTING = IGNORE_DOTENV + (
    "import django; django.setup(); from django.conf import settings; print(settings.{name})"
)


# --- .env.example ----------------------------------------------------------------------------

def test_the_settings_parser_finds_the_known_variables():
    found = settings_env_vars()
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "FIELD_ENCRYPTION_KEYS"} <= set(found)
    assert found["DEBUG"] is True
    assert found["DATABASE_URL"] is False


def test_env_example_lists_every_variable_settings_reads():
    missing = sorted(set(settings_env_vars()) - set(example_entries()))
    assert not missing, f".env.example does not document: {', '.join(missing)}"


def test_env_example_lists_nothing_that_nobody_reads():
    used = set(settings_env_vars()) | compose_variables()
    stale = sorted(set(example_entries()) - used)
    assert not stale, f".env.example lists variables nobody reads: {', '.join(stale)}"


def test_env_example_documents_every_compose_variable():
    missing = sorted(compose_variables() - set(example_entries()))
    assert not missing, f"docker-compose.yml uses undocumented variables: {', '.join(missing)}"


def test_commented_out_lines_show_the_real_default():
    defaults = settings_defaults()
    assert defaults["DEBUG"] == "false"
    assert defaults["OFFICER_IDLE_TIMEOUT"] == "1800"
    wrong = {
        name: (value, defaults[name])
        for name, (value, commented) in example_entries().items()
        if commented and name in defaults and value != defaults[name]
    }
    assert not wrong, f".env.example shows defaults that settings.py does not have (shown, real): {wrong}"


def test_variables_without_a_default_are_not_commented_out():
    entries = example_entries()
    for name, has_default in settings_env_vars().items():
        if not has_default:
            assert not entries[name][1], f"{name} is required but commented out in .env.example"


def test_env_example_holds_no_secret_values():
    entries = example_entries()
    for name in (*SECRETS, "POSTGRES_PASSWORD", "REDIS_PASSWORD"):
        assert entries[name][0] == "", f"{name} must be empty in .env.example, not {entries[name][0]!r}"
    for name, (value, _commented) in entries.items():
        assert not re.search(r"://[^/@\s]*:[^/@\s]+@", value), f"{name} carries a password: {value}"


def test_env_example_leaves_debug_off():
    value, commented = example_entries()["DEBUG"]
    assert commented or value.lower() in ("false", "0", "off", "no")


def test_secrets_stay_out_of_the_repository():
    gitignore = (ROOT / ".gitignore").read_text().split()
    assert ".env" in gitignore
    assert "var/" in gitignore  # var/dev.env holds the generated development secrets
    tracked = subprocess.run(["git", "ls-files", "--", ".env", "var"], cwd=ROOT,
                             capture_output=True, text=True)
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    assert tracked.stdout.strip() == ""


def test_settings_start_from_the_example_once_secrets_are_filled_in():
    env = production_env()
    for name, (value, commented) in example_entries().items():
        if not commented and value and name not in ("DATABASE_URL", "REDIS_URL"):
            env[name] = value
    done = _run(PRINT_SETTING.format(name="ALLOWED_HOSTS"), env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "['portal.example.gov.cn']"


# --- settings the apps read with a fallback ----------------------------------------------------

# The apps whose knobs are read as ``getattr(settings, "NAME", default)`` (or through a helper
# ``_setting("NAME", default)``): each must also be an env-driven, documented setting.
FALLBACK_APPS = {"RECONCILIATION_": ROOT / "filings" / "reconciliation", "SUMMARY_": ROOT / "filings" / "summary"}
# Hooks only the tests set (a reconciliation batch that sleeps holding its locks, for the
# kill-a-worker test's own settings module): deliberately not operating settings.
TEST_HOOKS = {"RECONCILIATION_TEST_BATCH_DELAY"}


def fallback_settings() -> dict[str, object]:
    """``{name: the code's default}`` of every RECONCILIATION_*/SUMMARY_* setting read with a fallback."""
    import importlib

    found: dict[str, object] = {}
    for prefix, folder in FALLBACK_APPS.items():
        for path in sorted(folder.rglob("*.py")):
            module = None
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call) or len(node.args) < 2:
                    continue
                func = node.func
                is_getattr = (isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) == 3
                              and isinstance(node.args[0], ast.Name) and node.args[0].id == "settings")
                is_helper = isinstance(func, ast.Name) and func.id == "_setting" and len(node.args) == 2
                name_node = node.args[-2]
                if not (is_getattr or is_helper) or not isinstance(name_node, ast.Constant) \
                        or not str(name_node.value).startswith(prefix):
                    continue
                if module is None:
                    dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                    module = importlib.import_module(dotted)
                found[name_node.value] = eval(compile(ast.Expression(node.args[-1]), str(path), "eval"),
                                              vars(module))
    return found


def _settings_values(names, env: dict[str, str]) -> dict:
    code = IGNORE_DOTENV + (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n, '<undeclared>') for n in {sorted(names)!r}}}))"
    )
    done = _run(code, env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_fallback_settings_are_found():
    found = fallback_settings()
    assert found["RECONCILIATION_BATCH_SIZE"] == 5000
    assert found["RECONCILIATION_EXPORT_RECEIPT_OPTIONAL_ORDER_TYPES"] == ("B", "W")
    assert found["SUMMARY_DEFAULT_SUMMARY_FLAG"] == "2"  # a module constant, resolved
    assert "RECONCILIATION_KICK_TTL" in found and "SUMMARY_TASK_SOFT_TIME_LIMIT" in found


def test_every_fallback_setting_is_read_from_the_environment_with_the_codes_default():
    found = {name: default for name, default in fallback_settings().items() if name not in TEST_HOOKS}
    from_env = settings_env_vars()
    undeclared = sorted(name for name in found if name not in from_env)
    assert not undeclared, f"settings.py does not read these from the environment: {undeclared}"
    values = _settings_values(found, production_env())
    different = {name: (values[name], default) for name, default in found.items()
                 if values[name] != json.loads(json.dumps(default))}
    assert not different, f"settings.py's defaults differ from the code's (settings.py, code): {different}"


def test_fallback_settings_follow_the_environment():
    grouping = [["2019-01-01", {"head": ["ebcCode", "portCode"], "lines": ["gcode"]}]]
    values = _settings_values(
        ["RECONCILIATION_BATCH_SIZE", "RECONCILIATION_EXPORT_RECEIPT_OPTIONAL_ORDER_TYPES", "SUMMARY_GROUPING",
         "SUMMARY_DEC_STATES", "SUMMARY_DEFAULT_ITEM_NAME_FLAG"],
        production_env(RECONCILIATION_BATCH_SIZE="250", RECONCILIATION_EXPORT_RECEIPT_OPTIONAL_ORDER_TYPES="B",
                       SUMMARY_GROUPING=json.dumps(grouping), SUMMARY_DEC_STATES='{"confirmed": "9"}',
                       SUMMARY_DEFAULT_ITEM_NAME_FLAG="1"))
    assert values == {"RECONCILIATION_BATCH_SIZE": 250, "RECONCILIATION_EXPORT_RECEIPT_OPTIONAL_ORDER_TYPES": ["B"],
                      "SUMMARY_GROUPING": grouping, "SUMMARY_DEC_STATES": {"confirmed": "9"},
                      "SUMMARY_DEFAULT_ITEM_NAME_FLAG": "1"}


# --- production behaviour --------------------------------------------------------------------

def test_check_deploy_is_clean_with_production_environment():
    done = subprocess.run(
        [PYTHON, "-c", run_manage_py("check", "--deploy", "--fail-level", "WARNING")],
        cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output


def test_check_deploy_notices_debug():
    """The deploy check above can fail: with DEBUG on it does."""
    done = subprocess.run(
        [PYTHON, "-c", run_manage_py("check", "--deploy", "--fail-level", "WARNING")],
        cwd=ROOT, env=production_env(DEBUG="true"), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0
    assert "security.W018" in done.stdout + done.stderr


def test_debug_is_off_unless_asked():
    done = _run(PRINT_SETTING.format(name="DEBUG"), production_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"

    asked = _run(PRINT_SETTING.format(name="DEBUG"), production_env(DEBUG="true"))
    assert asked.stdout.strip().splitlines()[-1] == "True"


def test_production_defaults_are_secure():
    code = IGNORE_DOTENV + (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        f"s.SECURE_HSTS_SECONDS >= 31536000, s.ALLOWED_HOSTS == [{PRODUCTION_HOST!r}])"
    )
    done = _run(code, production_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "True True True True True"


@pytest.mark.parametrize("name", ["DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS",
                                  "BLIND_INDEX_KEY"])
def test_settings_refuse_to_start_without(name):
    done = _run(PRINT_SETTING.format(name="DEBUG"), production_env(**{name: None}))
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert name in done.stderr


@pytest.mark.parametrize("url", ["sqlite:///tmp/portal.sqlite3", "sqlite://:memory:"])
def test_settings_refuse_sqlite(url):
    done = _run(PRINT_SETTING.format(name="DEBUG"), production_env(DATABASE_URL=url))
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert "PostgreSQL" in done.stderr
