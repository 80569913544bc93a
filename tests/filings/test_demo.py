"""The filings demo data: ``manage.py load_filings_demo`` after ``load_codes`` and ``load_demo``."""

import io
import time

import pytest
from django.core.management import call_command
from django.db.models.functions import Left

from filings.demo import ENTERPRISES, PARKS, demo_uscc
from filings.models import (
    Declaration,
    DeclarationReceipt,
    DepartmentReview,
    EnterpriseFiling,
    GoodsItem,
    GoodsVersion,
)
from zone_portal.accounts.models import Organization, User
from zone_portal.accounts.validators import is_valid_uscc
from zone_portal.portal.models import Park

pytestmark = pytest.mark.django_db


def _counts():
    return {
        "parks": Park.objects.count(),
        "enterprises": Organization.objects.filter(kind=Organization.Kind.ENTERPRISE).count(),
        "users": User.objects.count(),
        "filings": EnterpriseFiling.objects.count(),
        "reviews": DepartmentReview.objects.count(),
        "goods": GoodsItem.objects.count(),
        "goods_versions": GoodsVersion.objects.count(),
        "declarations": Declaration.objects.count(),
        "receipts": DeclarationReceipt.objects.count(),
    }


def _load(capsys) -> str:
    out = io.StringIO()
    started = time.monotonic()
    call_command("load_filings_demo", stdout=out)
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(f"\nload_filings_demo took {elapsed:.1f}s")
    assert elapsed < 60
    return out.getvalue()


def test_demo_uscc_are_valid_and_distinct():
    codes = [e.uscc or demo_uscc(int(e.key[1:])) for e in ENTERPRISES]
    assert len(set(codes)) == len(codes) >= 40
    assert all(is_valid_uscc(c) for c in codes)


def test_load_filings_demo_builds_the_demo_and_is_idempotent(capsys):
    call_command("load_codes", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())

    first = _load(capsys)
    assert "goods: " in first and "created" in first

    assert Park.objects.filter(code__in=[p.code for p in PARKS]).count() == len(PARKS)
    assert set(Park.objects.values_list("kind", flat=True)) >= {
        Park.Kind.INDUSTRIAL_PARK, Park.Kind.INCUBATOR, Park.Kind.OVERSEAS_WAREHOUSE, Park.Kind.O2O_STORE}

    filings = EnterpriseFiling.objects.select_related("effective_version")
    assert filings.count() >= 40
    by_status = {s: filings.filter(status=s).count() for s in EnterpriseFiling.Status.values}
    assert by_status["filed"] >= 25
    assert by_status["under_review"] >= 3
    assert by_status["returned"] >= 3
    assert by_status["draft"] >= 1
    roles = {r for f in filings.filter(status="filed") for r in f.effective_version.roles}
    assert roles == {"ebc", "ebp", "logistics", "payment", "warehouse", "fts", "broker", "producer"}
    # Every filed filing was approved by the demo officers of every required department.
    filed_reviews = DepartmentReview.objects.filter(version__filing__status="filed", version__status="approved")
    assert filed_reviews.exists()
    assert not filed_reviews.exclude(decision="approved").exists()
    assert set(filed_reviews.values_list("decided_by__username", flat=True)) == {
        "demo_customs", "demo_tax", "demo_forex", "demo_commerce", "demo_market"}
    returned = DepartmentReview.objects.filter(decision="returned")
    assert returned.count() == by_status["returned"]
    assert all(r.fields_to_fix and r.reason for r in returned)
    # Personal data is stored encrypted, read back in clear.
    version = filings.get(organization__uscc=ENTERPRISES[5].uscc or demo_uscc(1)).effective_version
    assert version.legal_representative == ENTERPRISES[5].legal_representative

    ent_admin = User.objects.get(username="demo_ent_admin")
    own = EnterpriseFiling.objects.get(organization=ent_admin.organization)
    assert own.status == "filed" and own.filing_no and "ebc" in own.effective_version.roles
    assert GoodsItem.objects.filter(organization=ent_admin.organization, status="filed").count() >= 150

    goods = GoodsItem.objects.all()
    assert goods.count() >= 1000
    chapters = (GoodsVersion.objects.annotate(ch=Left("hs_code_id", 2)).values_list("ch", flat=True).distinct())
    assert len(set(chapters)) >= 30
    assert goods.filter(status="filed", record_no__isnull=False, effective_version__isnull=False).count() >= 900
    assert goods.filter(status="under_review").exists()
    rejected = GoodsVersion.objects.filter(status="rejected")
    assert rejected.exists() and not rejected.filter(reason="").exists()
    # Goods belong only to filed e-commerce enterprises; imports under 1210/9610 only on the positive list.
    assert not goods.exclude(organization__filing__status="filed").exists()
    assert not GoodsVersion.objects.filter(direction="import", positive_list=False).exists()
    assert not GoodsVersion.objects.filter(direction="import", hs_code__positive_list=False).exists()
    for v in GoodsVersion.objects.select_related("hs_code")[:200]:
        assert v.legal_unit_1_id == v.hs_code.legal_unit_1_id
        assert (v.legal_unit_2_id or None) == (v.hs_code.legal_unit_2_id or None)

    # Declarations through the real hub: accepted trades of the demo login's enterprise, and refusals.
    declared = Declaration.objects.filter(order_no__startswith="DEMO-")
    assert declared.count() >= 100
    assert set(declared.values_list("kind", flat=True)) == {"CEB311", "CEB411", "CEB511", "CEB621", "CEB303"}
    assert declared.filter(parties__contains=[ent_admin.organization_id]).count() >= 30
    assert DeclarationReceipt.objects.filter(return_status__startswith="-").count() == 3

    before = _counts()
    second = _load(capsys)
    assert _counts() == before
    assert "goods: 0 created" in second
    assert "declarations: 0 accepted" in second
    assert "enterprises: 0 created" in second
