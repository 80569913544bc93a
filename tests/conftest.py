"""Shared fixtures, including STYLE.md's fixed cast for permission tests.

The cast: a user of enterprise A, a user of enterprise B (who must see nothing of A), an officer
without the permission, an officer with it, a partner client without the scope and one with it.
"""

import os

import pytest

from tests.accounts.factories import (
    ApiClientFactory,
    DepartmentFactory,
    OfficerFactory,
    OrganizationFactory,
    UserFactory,
)
from zone_portal.accounts import roles
from zone_portal.accounts.models import Organization

pytest_plugins = ["tests.fixtures.celery", "tests.fixtures.api", "tests.fixtures.browser"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings():
    """One test database per test run (``test_<name>_<pid>``, plus the xdist worker id), so two
    runs against the same PostgreSQL — a developer's two terminals, or CI beside a running
    portal — never fight over one database."""
    from django.conf import settings

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    for db in settings.DATABASES.values():
        db.setdefault("TEST", {})["NAME"] = "_".join(
            part for part in ("test", db["NAME"], str(os.getppid() if worker else os.getpid()), worker) if part
        )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Before the test database is dropped, end the sessions other threads left open on it (the
    live server's, the in-process Celery worker's, the browser tests' greenlet), so the drop
    succeeds instead of leaving ``test_*`` databases behind."""
    yield
    with django_db_blocker.unblock():
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(scope="session", autouse=True)
def _own_cache_namespace():
    """Redis is real and may be shared (with a running portal, or another test run): this run's
    cache keys get their own prefix, and clean-up deletes only those."""
    from django.conf import settings
    from django.test import override_settings

    prefix = f"test{os.getpid()}{os.environ.get('PYTEST_XDIST_WORKER', '')}"
    caches = {name: {**conf, "KEY_PREFIX": prefix} for name, conf in settings.CACHES.items()}
    with override_settings(CACHES=caches):
        yield prefix
        _delete_prefixed(prefix)


def _delete_prefixed(prefix: str) -> None:
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _clear_cache_between_tests(_own_cache_namespace):
    """Rate-limit counters, nonces and idempotency records of one test never reach the next."""
    _delete_prefixed(_own_cache_namespace)
    yield


@pytest.fixture(autouse=True)
def _private_media_in_tmp(settings, tmp_path):
    """Uploaded files of a test land in its own temporary folder, never in var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests render pages without a collectstatic run: resolve static URLs without the manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # PBKDF2's deliberate slowness is for attackers, not for the test suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org_a(db):
    return OrganizationFactory(name="甲跨境电商有限公司", name_en="Enterprise A Ltd.")


@pytest.fixture
def org_b(db):
    return OrganizationFactory(name="乙跨境电商有限公司", name_en="Enterprise B Ltd.")


@pytest.fixture
def user_a(org_a):
    """An administrator of enterprise A."""
    return UserFactory(username="admin_a", organization=org_a, role=roles.ENTERPRISE_ADMIN)


@pytest.fixture
def operator_a(org_a):
    return UserFactory(username="operator_a", organization=org_a, role=roles.ENTERPRISE_OPERATOR)


@pytest.fixture
def user_b(org_b):
    """An administrator of enterprise B, who must see nothing of A."""
    return UserFactory(username="admin_b", organization=org_b, role=roles.ENTERPRISE_ADMIN)


@pytest.fixture
def customs(db):
    return DepartmentFactory(kind=Organization.Kind.CUSTOMS, name="综试区海关")


@pytest.fixture
def officer_without_perm(db):
    """A bank officer: logged in to the back office, but without the permission under test."""
    bank = DepartmentFactory(kind=Organization.Kind.BANK, name="合作银行")
    return OfficerFactory(username="bank_officer", organization=bank, role=roles.BANK_OFFICER)


@pytest.fixture
def officer_with_perm(customs):
    return OfficerFactory(username="customs_officer", organization=customs, role=roles.CUSTOMS_OFFICER)


@pytest.fixture
def zone_admin(db):
    office = DepartmentFactory(kind=Organization.Kind.ZONE_OFFICE, name="综试区管委会")
    return OfficerFactory(username="zone_admin", organization=office, role=roles.ZONE_ADMIN)


@pytest.fixture
def client_without_scope(org_a):
    return ApiClientFactory(organization=org_a, name="no-scope", scopes=[])


@pytest.fixture
def client_with_scope(org_a):
    return ApiClientFactory(organization=org_a, name="order-writer", scopes=["order:read", "order:write"])
