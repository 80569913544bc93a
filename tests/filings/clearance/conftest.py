"""Fixtures of the clearance tests: the seeded policy, HS rates, and the hub's cast and builders
(imported from the hub's conftest, for the tests that declare documents through the hub)."""

from __future__ import annotations

import pytest

from filings.clearance import registry
from tests.filings.hub.conftest import cast, hub_codes  # noqa: F401 (fixtures)

from .factories import ensure_policies, ensure_rates


@pytest.fixture
def clearance(db):
    """The seeded retail-import policy and return windows, and the test HS codes with their rates."""
    ensure_policies()
    ensure_rates()


@pytest.fixture(autouse=True)
def _no_risk_assessor():
    """Lists are released at once unless a test registers an assessor; none leaks to the next test."""
    registry.register_risk_assessor(None)
    yield
    registry.register_risk_assessor(None)
