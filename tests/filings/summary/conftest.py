"""Fixtures of the summary declaration tests: the hub's cast of filed enterprises, and a builder
of released export lists declared through the hub (``ingest``) whose release is then set on the
Declaration directly (the release itself is the clearance pipeline's, tested there)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from filings.hub.ingest import ingest, make_documents
from filings.hub.samples import sample_document
from filings.hub.spec import KINDS
from filings.models import Declaration
from tests.filings.hub.conftest import Cast, cast, file_enterprise, hub_codes  # noqa: F401

ZONE = ZoneInfo("Asia/Shanghai")
OCTOBER = datetime(2026, 10, 15, 10, 0, tzinfo=ZONE)
OWNER_CODE = "91330100MA2B000001"


def declare(party, kind_code: str, items: list[tuple[dict, list]]) -> list:
    outcomes = ingest(make_documents(KINDS[kind_code], items), organization_id=party.org.pk)
    refused = [(o.status, o.info) for o in outcomes if not o.accepted]
    assert not refused, refused
    return outcomes


def export_list(parties: Cast, number: str, *, released_at: datetime | None = OCTOBER, state: str = "released",
                lines: list[dict] | None = None, declarant=None, **head) -> Declaration:
    """A CEB603 export list (statisticsFlag B, 10-digit gcode) declared through the hub and
    released at ``released_at``; ``lines`` override the sample's line fields one line each."""
    codes = {"ebcCode": parties.ebc.code, "agentCode": parties.ebc.code, "ebpCode": parties.platform.code,
             "logisticsCode": parties.logistics.code, "ownerCode": OWNER_CODE, "iacCode": parties.ebc.code}
    doc = sample_document("CEB603", codes=codes, number=number, lines=len(lines) if lines else 2, **head)
    if lines:
        for line, changes in zip(doc["lines"], lines, strict=True):
            line.update(changes)
    outcome = declare(declarant or parties.ebc, "CEB603", [(doc["head"], doc["lines"])])[0]
    declaration = Declaration.objects.get(pk=outcome.declaration_id)
    if released_at is not None:
        declaration.list_state, declaration.released_at = state, released_at
        declaration.save(update_fields=["list_state", "released_at"])
    return declaration


@pytest.fixture
def other_ebc(hub_codes, db):  # noqa: F811 - the imported fixture
    """A second filed e-commerce enterprise (enterprise B of the permission tests)."""
    from filings.hub import authority

    party = file_enterprise(["ebc"], name="辛跨境电商有限公司")
    authority.reset()
    return party


@pytest.fixture
def ebc_user(cast):  # noqa: F811 - the imported fixture
    """An administrator of the consignor enterprise (enterprise A)."""
    from tests.accounts.factories import UserFactory
    from zone_portal.accounts import roles

    return UserFactory(username="ebc_admin", organization=cast.ebc.org, role=roles.ENTERPRISE_ADMIN)


@pytest.fixture
def other_user(other_ebc):
    """An administrator of another enterprise (enterprise B), who must see nothing of A's."""
    from tests.accounts.factories import UserFactory
    from zone_portal.accounts import roles

    return UserFactory(username="other_admin", organization=other_ebc.org, role=roles.ENTERPRISE_ADMIN)


@pytest.fixture
def tax_officer(db):
    from tests.accounts.factories import DepartmentFactory, OfficerFactory
    from zone_portal.accounts import roles
    from zone_portal.accounts.models import Organization

    tax = DepartmentFactory(kind=Organization.Kind.TAX, name="综试区税务局")
    return OfficerFactory(username="tax_officer", organization=tax, role=roles.TAX_OFFICER)
