"""Goods filing services and selectors: validation rules, the workflow, permissions."""

import re
from decimal import Decimal

import pytest
from django.http import Http404

from filings.goods import (
    EnterpriseNotFiled,
    GoodsValidationError,
    ReasonRequired,
    goods_bulk_approve,
    goods_create,
    goods_decide,
    goods_start_change,
    goods_submit,
    goods_update_draft,
    goods_validate,
)
from filings.goods_selectors import goods_by_record_no, goods_get_for_user, goods_list_for_user
from filings.models import GoodsItem, GoodsVersion
from tests.filings import goods_fixtures
from tests.filings.goods_fixtures import file_enterprise, good_data
from zone_portal.audit.models import AuditEvent
from zone_portal.core.errors import PermissionDenied

goods_codes_loaded = goods_fixtures.goods_codes_loaded
goods_codes = goods_fixtures.goods_codes
tax_officer = goods_fixtures.tax_officer

pytestmark = pytest.mark.usefixtures("goods_codes")


def codes_of(errors):
    return {(e["field"], e["code"]) for e in errors}


def test_valid_data_passes_and_derives_positive_list(org_a):
    cleaned, errors = goods_validate(good_data(), organization=org_a)
    assert errors == []
    assert cleaned["positive_list"] is True
    assert cleaned["unit_price"] == Decimal("199.00000")
    assert cleaned["hs_code_id"] == "3304990099" and cleaned["modes"] == ["1210", "9610"]


def test_positive_list_is_never_taken_from_input(org_a):
    cleaned, errors = goods_validate(good_data(hs_code="0201300000", direction="export", modes=["9610"],
                                               positive_list=True), organization=org_a)
    assert errors == [] and cleaned["positive_list"] is False


@pytest.mark.parametrize("field", ["item_no", "name", "hs_code", "origin_country", "legal_unit_1",
                                   "declared_unit", "unit_price", "currency", "modes", "direction"])
def test_required_fields(org_a, field):
    _, errors = goods_validate(good_data(**{field: "" if field != "modes" else []}), organization=org_a)
    assert (field, "required") in codes_of(errors)


@pytest.mark.parametrize("hs, code", [("33049900", "hs_code_format"), ("33049900AB", "hs_code_format"),
                                      ("9999999999", "hs_code_unknown")])
def test_hs_code_rules(org_a, hs, code):
    _, errors = goods_validate(good_data(hs_code=hs), organization=org_a)
    assert ("hs_code", code) in codes_of(errors)


def test_withdrawn_hs_code_refused(org_a):
    from zone_portal.codes.models import HsCode
    HsCode.objects.filter(hs_code="3304990099").update(is_active=False)
    _, errors = goods_validate(good_data(), organization=org_a)
    assert ("hs_code", "hs_code_inactive") in codes_of(errors)


@pytest.mark.parametrize("field, value, code", [
    ("origin_country", "998", "country_unknown"), ("currency", "999", "currency_unknown"),
    ("declared_unit", "999", "unit_unknown"), ("legal_unit_1", "999", "unit_unknown"),
])
def test_unknown_codes(org_a, field, value, code):
    _, errors = goods_validate(good_data(**{field: value}), organization=org_a)
    assert (field, code) in codes_of(errors)


def test_legal_units_must_match_hs_code(org_a):
    _, errors = goods_validate(good_data(legal_unit_1="007"), organization=org_a)
    assert ("legal_unit_1", "unit_mismatch_hs") in codes_of(errors)
    _, errors = goods_validate(good_data(legal_unit_2="035"), organization=org_a)
    assert ("legal_unit_2", "unit_mismatch_hs") in codes_of(errors)
    # 2201101000 (mineral water) has 095 and 035: the second unit is required too.
    water = good_data(hs_code="2201101000", legal_unit_1="095", legal_unit_2="")
    assert ("legal_unit_2", "unit_mismatch_hs") in codes_of(goods_validate(water, organization=org_a)[1])
    water["legal_unit_2"] = "035"
    assert goods_validate(water, organization=org_a)[1] == []


@pytest.mark.parametrize("barcode, ok", [("4006381333931", True), ("12345670", True), ("036000291452", True),
                                         ("10012345678902", True), ("4006381333932", False), ("1234567", False),
                                         ("400638133393A", False), ("", True)])
def test_gtin(org_a, barcode, ok):
    _, errors = goods_validate(good_data(barcode=barcode), organization=org_a)
    assert (("barcode", "gtin_invalid") in codes_of(errors)) is (not ok)


@pytest.mark.parametrize("price, code", [("0", "not_positive"), ("-1", "not_positive"), ("abc", "invalid_number"),
                                         ("1.123456", "too_many_decimals")])
def test_unit_price(org_a, price, code):
    _, errors = goods_validate(good_data(unit_price=price), organization=org_a)
    assert ("unit_price", code) in codes_of(errors)


def test_import_under_1210_or_9610_must_be_on_positive_list(org_a):
    beef = good_data(hs_code="0201300000", legal_unit_1="035")
    assert ("hs_code", "not_on_positive_list") in codes_of(goods_validate(beef, organization=org_a)[1])
    assert goods_validate({**beef, "direction": "export"}, organization=org_a)[1] == []


def test_mode_rules(org_a):
    assert ("modes", "invalid_choice") in codes_of(goods_validate(good_data(modes=["1239"]), organization=org_a)[1])
    assert ("modes", "mode_direction_mismatch") in codes_of(
        goods_validate(good_data(modes=["9810"]), organization=org_a)[1])
    cleaned, errors = goods_validate(good_data(modes="1210, 9610", direction="export"), organization=org_a)
    assert errors == [] and cleaned["modes"] == ["1210", "9610"]


def test_lengths(org_a):
    _, errors = goods_validate(good_data(item_no="S" * 51, brand="B" * 101), organization=org_a)
    assert {("item_no", "too_long"), ("brand", "too_long")} <= codes_of(errors)


def test_sku_unique_per_enterprise(org_a, org_b, user_a, user_b):
    item = goods_create(actor=user_a, organization=org_a, data=good_data())
    assert ("item_no", "sku_duplicate") in codes_of(goods_validate(good_data(), organization=org_a)[1])
    assert goods_validate(good_data(), organization=org_a, existing_item=item)[1] == []
    assert goods_validate(good_data(), organization=org_b)[1] == []
    with pytest.raises(GoodsValidationError) as exc:
        goods_create(actor=user_a, organization=org_a, data=good_data())
    assert exc.value.field == "item_no" and exc.value.extra["errors"][0]["code"] == "sku_duplicate"


def test_create_makes_draft_and_audits(org_a, user_a):
    item = goods_create(actor=user_a, organization=org_a, data=good_data())
    version = item.versions.get()
    assert item.status == "draft" and version.status == "draft" and version.number == 1
    assert version.positive_list is True and version.created_by == user_a
    assert AuditEvent.objects.filter(action="filings.goodsitem.create", target_id=str(item.pk)).count() == 1


def test_update_draft(org_a, user_a):
    item = goods_create(actor=user_a, organization=org_a, data=good_data())
    version = goods_update_draft(actor=user_a, item=item, data=good_data(name="新名称", unit_price="88.5"))
    version.refresh_from_db()
    assert version.name == "新名称" and version.unit_price == Decimal("88.50000")
    event = AuditEvent.objects.get(action="filings.goodsitem.update")
    assert event.changes["name"] == ["保湿面霜", "新名称"]


def test_submit_refused_without_effective_ebc_filing(org_a, user_a):
    item = goods_create(actor=user_a, organization=org_a, data=good_data())
    with pytest.raises(EnterpriseNotFiled) as exc:
        goods_submit(actor=user_a, item=item)
    assert exc.value.code == "enterprise_not_filed"
    file_enterprise(org_a, roles_=("logistics",))
    with pytest.raises(EnterpriseNotFiled):
        goods_submit(actor=user_a, item=item)
    item.refresh_from_db()
    assert item.status == "draft" and item.versions.get().status == "draft"
    assert not AuditEvent.objects.filter(action="filings.goodsitem.submit").exists()


@pytest.fixture
def submitted(org_a, user_a):
    file_enterprise(org_a)
    item = goods_create(actor=user_a, organization=org_a, data=good_data())
    version = goods_submit(actor=user_a, item=item)
    return item, version


def test_approval_assigns_record_no_and_trace_id_once(submitted, user_a, officer_with_perm):
    item, version = submitted
    assert GoodsItem.objects.get(pk=item.pk).status == "under_review"
    goods_decide(actor=officer_with_perm, version=version, approve=True)
    item.refresh_from_db()
    assert item.status == "filed" and item.effective_version_id == version.pk and item.filed_at
    assert re.fullmatch(r"GR" + item.organization.uscc[-6:] + r"\d{8}", item.record_no)
    record_no, trace_id = item.record_no, item.trace_id
    assert trace_id is not None
    assert goods_by_record_no(record_no) == item

    change = goods_start_change(actor=user_a, item=item)
    assert change.number == 2 and change.name == version.name and change.status == "draft"
    goods_update_draft(actor=user_a, item=item, data=good_data(name="面霜（新包装）"))
    goods_submit(actor=user_a, item=item)
    item.refresh_from_db()
    assert item.status == "filed"  # the version in force stays effective while the change is reviewed
    goods_decide(actor=officer_with_perm, version=change, approve=True)
    item.refresh_from_db()
    version.refresh_from_db()
    assert item.record_no == record_no and item.trace_id == trace_id
    assert item.effective_version.name == "面霜（新包装）" and version.status == "superseded"
    assert AuditEvent.objects.filter(action="filings.goodsitem.approve", target_id=str(item.pk)).count() == 2


def test_record_numbers_are_distinct(org_a, user_a, officer_with_perm):
    file_enterprise(org_a)
    numbers = set()
    for sku in ("A1", "A2", "A3"):
        item = goods_create(actor=user_a, organization=org_a, data=good_data(item_no=sku))
        goods_decide(actor=officer_with_perm, version=goods_submit(actor=user_a, item=item), approve=True)
        numbers.add(GoodsItem.objects.get(pk=item.pk).record_no)
    assert len(numbers) == 3


def test_reject_needs_reason_and_can_be_corrected(submitted, user_a, officer_with_perm):
    item, version = submitted
    with pytest.raises(ReasonRequired):
        goods_decide(actor=officer_with_perm, version=version, approve=False, reason=" ")
    goods_decide(actor=officer_with_perm, version=version, approve=False, reason="申报要素不全")
    item.refresh_from_db()
    version.refresh_from_db()
    assert item.status == "rejected" and item.record_no is None and version.reason == "申报要素不全"
    again = goods_start_change(actor=user_a, item=item)
    item.refresh_from_db()
    assert again.number == 2 and item.status == "draft"


def test_deciding_twice_is_refused(submitted, officer_with_perm):
    _, version = submitted
    goods_decide(actor=officer_with_perm, version=version, approve=True)
    with pytest.raises(Exception) as exc:
        goods_decide(actor=officer_with_perm, version=version, approve=False, reason="x")
    assert getattr(exc.value, "code", "") == "goods_wrong_state"


@pytest.mark.parametrize("who", ["tax_officer", "user_a", "officer_without_perm"])
def test_only_customs_officers_decide(submitted, request, who):
    item, version = submitted
    actor = request.getfixturevalue(who)
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        goods_decide(actor=actor, version=version, approve=True)
    item.refresh_from_db()
    version.refresh_from_db()
    assert item.status == "under_review" and item.record_no is None and version.status == "under_review"
    assert AuditEvent.objects.count() == before


def test_bulk_approve_reports_each(org_a, user_a, officer_with_perm):
    file_enterprise(org_a)
    ok = goods_create(actor=user_a, organization=org_a, data=good_data(item_no="OK1"))
    ok_version = goods_submit(actor=user_a, item=ok)
    draft = goods_create(actor=user_a, organization=org_a, data=good_data(item_no="DRAFT1"))
    results = goods_bulk_approve(actor=officer_with_perm, versions=[ok_version, draft.versions.get()])
    assert [(r.item_no, r.ok, r.code) for r in results] == [("OK1", True, ""), ("DRAFT1", False, "goods_wrong_state")]
    assert results[0].record_no == GoodsItem.objects.get(pk=ok.pk).record_no
    assert GoodsVersion.objects.get(item=draft).status == "draft"


def test_list_filters_by_hs_code_prefix(org_a, user_a):
    item = goods_create(actor=user_a, organization=org_a, data=good_data(item_no="HS-1"))
    hs_code = item.versions.get().hs_code_id
    assert list(goods_list_for_user(user=user_a, filters={"hs_code": hs_code[:4]})) == [item]
    other_chapter = "01" if not hs_code.startswith("01") else "02"
    assert list(goods_list_for_user(user=user_a, filters={"hs_code": other_chapter})) == []


def test_scoping(org_a, org_b, user_a, user_b, officer_with_perm, tax_officer):
    a_item = goods_create(actor=user_a, organization=org_a, data=good_data(item_no="A-1"))
    b_item = goods_create(actor=user_b, organization=org_b, data=good_data(item_no="B-1"))
    assert list(goods_list_for_user(user=user_a)) == [a_item]
    assert list(goods_list_for_user(user=user_b)) == [b_item]
    assert set(goods_list_for_user(user=officer_with_perm)) == {a_item, b_item}
    assert list(goods_list_for_user(user=tax_officer)) == []
    filters = {"q": "保湿", "organization": org_a.pk}
    assert list(goods_list_for_user(user=officer_with_perm, filters=filters)) == [a_item]
    assert goods_get_for_user(user=user_a, pk=a_item.pk) == a_item
    with pytest.raises(Http404):
        goods_get_for_user(user=user_b, pk=a_item.pk)
    with pytest.raises(Http404):
        goods_get_for_user(user=tax_officer, pk=a_item.pk)


def test_by_record_no_only_filed(org_a, user_a):
    item = goods_create(actor=user_a, organization=org_a, data=good_data())
    GoodsItem.objects.filter(pk=item.pk).update(record_no="GR00000000000001")
    assert goods_by_record_no("GR00000000000001") is None


def test_create_many_skips_a_sku_taken_since_validation(org_a, user_a):
    from filings.goods import goods_create, goods_create_many, goods_validate

    first, _errors = goods_validate(good_data(item_no="SKU-MANY-1"), organization=org_a)
    second, _errors = goods_validate(good_data(item_no="SKU-MANY-2"), organization=org_a)
    goods_create(actor=user_a, organization=org_a, data=good_data(item_no="SKU-MANY-2"))  # a concurrent request
    items, taken = goods_create_many(actor=user_a, organization=org_a, cleaned=[first, second],
                                     action="filings.goodsitem.bulk_create")
    assert [i.item_no for i in items] == ["SKU-MANY-1"] and taken == {"SKU-MANY-2"}
    assert GoodsItem.objects.get(item_no="SKU-MANY-1").versions.get().status == GoodsVersion.Status.DRAFT
    event = AuditEvent.objects.get(action="filings.goodsitem.bulk_create")
    assert event.extra["item_nos"] == ["SKU-MANY-1"] and event.extra["skipped_taken"] == ["SKU-MANY-2"]


def test_services_refuse_another_enterprises_user(org_a, user_a, user_b):
    from filings.goods import goods_create, goods_start_change, goods_submit, goods_update_draft

    with pytest.raises(PermissionDenied):
        goods_create(actor=user_b, organization=org_a, data=good_data(item_no="SKU-X"))
    item = goods_create(actor=user_a, organization=org_a, data=good_data(item_no="SKU-X"))
    for call in (lambda: goods_update_draft(actor=user_b, item=item, data=good_data(item_no="SKU-X")),
                 lambda: goods_submit(actor=user_b, item=item), lambda: goods_start_change(actor=user_b, item=item)):
        with pytest.raises(PermissionDenied):
            call()
    assert AuditEvent.objects.filter(actor_user=user_b).count() == 0
