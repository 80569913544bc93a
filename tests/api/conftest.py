"""Fixtures of the API tests."""

import pytest

from tests.accounts.factories import ApiClientFactory


@pytest.fixture
def org_b_client(org_b):
    """A partner client of enterprise B, with the same scopes as ``client_with_scope`` of A."""
    return ApiClientFactory(organization=org_b, name="b-order-writer", scopes=["order:read", "order:write"])
