"""Environments for the subprocesses the ops tests start (manage.py, python -c, health checks)."""

from __future__ import annotations

import os
import secrets
import socket
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

# What a production host sets: secrets, hosts and the data stores, nothing else. Everything
# else (DEBUG, the SECURE_* switches, cookies) keeps the settings module's default.
PRODUCTION_HOST = "portal.example.gov.cn"


def closed_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url_of(settings_dict: dict) -> str:
    """A ``postgres://`` URL for a Django database settings dict (e.g. the test database)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    # django-environ puts a socket directory given as ``?host=/path`` into OPTIONS (pgserver's form).
    host = settings_dict.get("HOST") or (settings_dict.get("OPTIONS") or {}).get("host") or ""
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    if host.startswith("/"):  # a Unix socket directory (the pgserver set-up)
        return f"postgres://{auth}/{settings_dict['NAME']}?host={quote(host, safe='')}"
    return f"postgres://{auth}{host}{port}/{settings_dict['NAME']}"


def production_env(**overrides: str | None) -> dict[str, str]:
    """A clean environment as on a production host, pointing at this machine's data stores."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "zone_portal.settings",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": PRODUCTION_HOST,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": os.environ["REDIS_URL"],
        "FIELD_ENCRYPTION_KEYS": f"k1:{secrets.token_hex(16)}",
        "BLIND_INDEX_KEY": secrets.token_hex(32),
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


# A settings import that ignores a developer's ./.env (settings.py reads it when present), so
# that the process environment alone decides what the settings see.
IGNORE_DOTENV = "import environ; environ.Env.read_env = classmethod(lambda cls, *a, **k: None); "


def run_manage_py(*args: str) -> str:
    """``python -c`` source that runs the real ``manage.py`` with ``args``, ignoring ./.env."""
    argv = ["manage.py", *args]
    return IGNORE_DOTENV + f"import runpy, sys; sys.argv = {argv!r}; runpy.run_path('manage.py', run_name='__main__')"
