"""Fixtures of the goods-filing tests (imported by the ``test_goods*`` modules).

``goods_codes_loaded`` loads the code tables goods validation reads once per test module inside
a transaction rolled back when the module ends; each test still runs in its own savepoint.
"""

import pytest
from django.db import transaction
from django.utils import translation

from tests.accounts.factories import DepartmentFactory, OfficerFactory
from tests.filings.factories import EnterpriseFilingFactory, EnterpriseFilingVersionFactory
from zone_portal.accounts import roles
from zone_portal.accounts.models import Organization
from zone_portal.codes.services import codes_load

GOODS_TABLES = ["chapters", "hs6", "units", "countries", "currencies", "trade_modes", "hs_codes"]


@pytest.fixture(scope="module")
def goods_codes_loaded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            results = codes_load(only=GOODS_TABLES)
            assert all(not r.errors for r in results), [r.errors[:3] for r in results if r.errors]
            yield results
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def goods_codes(goods_codes_loaded, db):
    """The bundled code tables goods need, loaded; messages in English (the msgids)."""
    with translation.override("en"):
        yield goods_codes_loaded


def file_enterprise(organization, roles_=("ebc",)):
    """Give ``organization`` an effective enterprise filing with ``roles_``."""
    filing = EnterpriseFilingFactory(organization=organization)
    version = EnterpriseFilingVersionFactory(filing=filing, roles=list(roles_), status="approved")
    filing.status, filing.filing_no, filing.effective_version = "filed", f"ZF2026{organization.pk:06d}", version
    filing.save()
    return filing


@pytest.fixture
def tax_officer(db):
    tax = DepartmentFactory(kind=Organization.Kind.TAX, name="综试区税务")
    return OfficerFactory(username="tax_officer", organization=tax, role=roles.TAX_OFFICER)


def good_data(**overrides):
    """A valid import item: 3304990099 is on the positive list, legal unit 035, no second unit."""
    data = {
        "item_no": "SKU-001", "name": "保湿面霜", "name_en": "Moisturising cream", "hs_code": "3304990099",
        "brand": "示例品牌", "model_spec": "50ml", "origin_country": "303", "legal_unit_1": "035",
        "legal_unit_2": "", "declared_unit": "122", "unit_price": "199.00", "currency": "142",
        "barcode": "4006381333931", "manufacturer": "示例工厂", "modes": ["1210", "9610"], "direction": "import",
    }
    data.update(overrides)
    return data
