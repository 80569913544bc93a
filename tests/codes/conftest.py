"""Fixtures of the code-table tests.

``codes_loaded`` loads every bundled table once per test module inside a transaction that is
rolled back when the module ends; each test still runs in its own savepoint (the ``db``
fixture), so the tests of a module see the loaded tables and leave nothing behind.
"""

import pytest
from django.db import transaction

from zone_portal.codes.services import codes_load


@pytest.fixture(scope="module")
def codes_loaded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            results = codes_load()
            yield results
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def codes(codes_loaded, db):
    """The bundled code tables, loaded (function-scoped handle on the module's load)."""
    return codes_loaded


@pytest.fixture(autouse=True)
def _english_messages(settings):
    """These tests read the English msgids; the portal's default language is zh-hans."""
    settings.LANGUAGE_CODE = "en"
