"""The receipts' and versions' references are Django relations without database constraints:
the hub writes them consistently, Django's CASCADE still removes a deleted declaration's
receipts, and ``manage.py hub_integrity`` finds a reference that points nowhere."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from filings.hub.integrity import hub_orphans
from filings.models import Declaration, DeclarationReceipt, DeclarationVersion
from tests.filings.hub.conftest import import_order, import_payment

URL = "/api/v1/filings/declarations/"
BULK = "/api/v1/filings/declarations/bulk/"


@pytest.mark.django_db
def test_accepted_and_refused_documents_leave_consistent_receipts(cast, signed_client):
    bad = import_order(cast, order_no="ORD-0002", acturalPaid="1.00")
    response = signed_client(cast.platform.client).post(BULK, data={"documents": [import_order(cast), bad]})
    assert response.status_code == 200 and response.json()["accepted"] == 1
    signed_client(cast.payer.client).post(URL, data=import_payment(cast))
    receipts = list(DeclarationReceipt.objects.order_by("id"))
    assert len(receipts) == 3
    for receipt in receipts:
        if receipt.accepted:
            assert receipt.version.declaration_id == receipt.declaration_id
            assert receipt.version.guid == receipt.guid
        else:
            assert receipt.declaration_id is None and receipt.version_id is None
        assert receipt.organization_id in (cast.platform.org.pk, cast.payer.org.pk)
    assert hub_orphans() == []
    call_command("hub_integrity")  # exits 0


@pytest.mark.django_db
def test_deleting_a_declaration_still_takes_its_versions_and_receipts(cast, signed_client):
    signed_client(cast.platform.client).post(URL, data=import_order(cast))
    declaration = Declaration.objects.get()
    declaration.delete()
    assert not DeclarationReceipt.objects.exists() and not DeclarationVersion.objects.exists()


@pytest.mark.django_db
def test_a_reference_that_points_nowhere_is_reported(cast, signed_client):
    signed_client(cast.platform.client).post(URL, data=import_order(cast))
    receipt = DeclarationReceipt.objects.get()
    version = receipt.version
    with connection.cursor() as cursor:  # what only raw SQL can do now that the database does not check
        cursor.execute("UPDATE filings_declarationreceipt SET version_id = %s WHERE id = %s",
                       [version.pk + 1000, receipt.pk])
        cursor.execute("UPDATE filings_declarationversion SET client_id = %s WHERE id = %s",
                       [cast.platform.client.pk + 1000, version.pk])
    orphans = {(o.table, o.pk): o.reason for o in hub_orphans()}
    assert orphans == {("filings_declarationreceipt", receipt.pk): "version missing",
                       ("filings_declarationversion", version.pk): "API client missing"}
    with pytest.raises(CommandError, match="2 rows"):
        call_command("hub_integrity")
