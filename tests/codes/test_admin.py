"""Back office: browsing, the CSV import view, its permissions, audit and error display."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zone_portal.audit.models import AuditEvent
from zone_portal.codes.models import Country, HsCode, Unit

pytestmark = pytest.mark.urls("tests.codes.urls")

HS_IMPORT = "/admin/codes/hscode/import/"
HS_LIST = "/admin/codes/hscode/"
GOOD_HS = (
    "hs_code,name_zh,legal_unit_1,legal_unit_2,vat_rate,consumption_tax_rate,export_refund_rate,"
    "positive_list,effective_from,source\n"
    "3304990091,面膜（官方税则导入测试）,035,,0.13,0.15,0.13,true,2026-01-01,official tariff 2026\n"
    '3305100000,洗发剂（香波）,035,,0.13,0,0.13,true,2020-03-20,'
    '"curated sample, not the official tariff (《进出口税则》); verify before use"\n'
)
BAD_HS = (
    "hs_code,name_zh,legal_unit_1,legal_unit_2,vat_rate,consumption_tax_rate,export_refund_rate,"
    "positive_list,effective_from,source\n"
    "3304990091,面膜,035,,0.13,0.15,0.13,true,2026-01-01,ok\n"
    "0101990000,不存在的子目,035,,0.13,0,0.13,false,2026-01-01,x\n"
    "3304990092,坏单位,122X,,0.13,0,0.13,true,2026-01-01,x\n"
)


def upload(content: str, name: str = "tariff.csv"):
    return {"file": SimpleUploadedFile(name, content.encode("utf-8"), content_type="text/csv")}


def test_zone_admin_imports_a_good_file_and_it_is_audited(codes, client, zone_admin):
    client.force_login(zone_admin)
    response = client.post(HS_IMPORT, upload(GOOD_HS))
    assert response.status_code == 302 and response.url == HS_LIST
    assert HsCode.objects.get(hs_code="3304990091").name_zh == "面膜（官方税则导入测试）"
    event = AuditEvent.objects.get(action="codes.hscode.import", actor_user=zone_admin)
    assert event.extra["file"] == "tariff.csv"
    assert event.extra["counts"]["hscode"] == {"created": 1, "updated": 0, "unchanged": 1}
    page = client.get(HS_LIST).content.decode()
    assert "created" in page and "1 unchanged" in page


def test_bad_rows_are_listed_and_nothing_is_imported(codes, client, zone_admin):
    client.force_login(zone_admin)
    response = client.post(HS_IMPORT, upload(BAD_HS))
    assert response.status_code == 400
    errors = [(e.row, e.column) for e in response.context["errors"]]
    assert errors == [(3, "hs_code"), (4, "legal_unit_1")]
    page = response.content.decode()
    assert "The file has 2 errors; nothing was imported." in page
    assert "010199 are not an HS 2022 subheading" in page
    assert not HsCode.objects.filter(hs_code="3304990091").exists()
    assert not AuditEvent.objects.filter(action="codes.hscode.import", actor_user=zone_admin).exists()


def test_an_upload_over_the_limit_is_refused(codes, client, zone_admin, monkeypatch):
    monkeypatch.setattr("zone_portal.codes.services.MAX_IMPORT_BYTES", 100)
    client.force_login(zone_admin)
    response = client.post(HS_IMPORT, upload(GOOD_HS))
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["The file is larger than 0 MB."]
    assert not HsCode.objects.filter(hs_code="3304990091").exists()


def test_posting_without_a_file_asks_for_one(codes, client, zone_admin):
    client.force_login(zone_admin)
    response = client.post(HS_IMPORT, {})
    assert response.status_code == 200 and "file" in response.context["form"].errors


@pytest.mark.parametrize("officer", ["officer_with_perm", "officer_without_perm"])
def test_officers_without_the_import_permission_get_403(codes, client, officer, request):
    user = request.getfixturevalue(officer)
    assert user.has_perm("codes.view_hscode") and not user.has_perm("codes.import_codes")
    client.force_login(user)
    assert client.get(HS_IMPORT).status_code == 403
    assert client.post(HS_IMPORT, upload(GOOD_HS)).status_code == 403
    assert not HsCode.objects.filter(hs_code="3304990091").exists()
    assert not AuditEvent.objects.filter(action__startswith="codes.").exclude(actor_label="system").exists()


def test_anonymous_is_sent_to_the_login_page(codes, client):
    response = client.get(HS_IMPORT)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login")) and "next=" in response.url
    response = client.post(HS_IMPORT, upload(GOOD_HS))
    assert response.status_code == 302
    assert not HsCode.objects.filter(hs_code="3304990091").exists()


def test_an_enterprise_user_cannot_reach_the_back_office(codes, client, user_a):
    client.force_login(user_a)
    response = client.get(HS_IMPORT)
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))


def test_officer_browses_hs_codes_read_only_with_the_sample_notice(codes, client, officer_with_perm):
    client.force_login(officer_with_perm)
    response = client.get(HS_LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "curated sample, not the official tariff" in page
    assert HS_IMPORT not in page  # no import link without the permission
    code = HsCode.objects.get(hs_code="2204210000")
    detail = client.get(f"{HS_LIST}{code.pk}/change/")
    assert detail.status_code == 200
    assert "curated sample, not the official tariff" in detail.content.decode()
    assert detail.context["has_change_permission"] is False
    edit = client.post(f"{HS_LIST}{code.pk}/change/", {"name_zh": "改名"})
    assert edit.status_code == 403
    assert HsCode.objects.get(pk=code.pk).name_zh == code.name_zh


def test_zone_admin_sees_the_import_link(codes, client, zone_admin):
    client.force_login(zone_admin)
    assert HS_IMPORT in client.get(HS_LIST).content.decode()
    page = client.get(HS_IMPORT).content.decode()
    assert "legal_unit_1" in page and "curated sample" in page


def test_hs_list_filters_by_chapter_positive_list_and_vat(codes, client, officer_with_perm):
    client.force_login(officer_with_perm)
    shown = lambda query: {o.hs_code for o in client.get(HS_LIST + query).context["cl"].result_list}  # noqa: E731
    assert shown("?chapter=22") and all(c.startswith("22") for c in shown("?chapter=22"))
    nine = shown("?vat_rate=0.0900")
    assert "0409000000" in nine and "1901101000" not in nine
    not_listed = shown("?positive_list__exact=0")
    assert "3004909099" in not_listed and "1901101000" not in not_listed
    assert shown("?q=1901") == {"1901101000", "1901109000", "1901900000"}


def test_divisions_filter_by_province_and_countries_search(codes, client, officer_with_perm):
    client.force_login(officer_with_perm)
    divisions = client.get("/admin/codes/division/?province=33&level__exact=prefecture&is_current__exact=1")
    names = {d.name_zh for d in divisions.context["cl"].result_list}
    assert "杭州市" in names and "北京市" not in names
    countries = client.get("/admin/codes/country/?q=GBR")
    assert [c.customs_code for c in countries.context["cl"].result_list] == ["303"]


def test_generic_import_on_another_table(codes, client, zone_admin):
    client.force_login(zone_admin)
    response = client.post("/admin/codes/unit/import/", upload("code,name_zh\n165,面\n", "units.csv"))
    assert response.status_code == 302
    assert Unit.objects.get(code="165").name_zh == "面"
    assert AuditEvent.objects.filter(action="codes.unit.import", actor_user=zone_admin).exists()


def test_zone_admin_edit_is_audited(codes, client, zone_admin):
    client.force_login(zone_admin)
    country = Country.objects.get(customs_code="349")
    response = client.post(f"/admin/codes/country/{country.pk}/change/", {
        "name_zh": country.name_zh, "name_en": country.name_en, "iso_alpha2": "", "iso_alpha3": "",
        "notes": country.notes, "is_active": "",
    })
    assert response.status_code == 302
    assert Country.objects.get(pk=country.pk).is_active is False
    event = AuditEvent.objects.get(action="codes.country.change")
    assert event.actor_user == zone_admin and event.changes == {"is_active": [True, False]}


def hs_form(**overrides):
    data = {
        "hs_code": "3304990092", "name_zh": "手工录入的护肤品", "legal_unit_1": "035", "legal_unit_2": "",
        "positive_list": "on", "source": "entered by hand", "notes": "", "is_active": "on",
        "rates-TOTAL_FORMS": "1", "rates-INITIAL_FORMS": "0", "rates-MIN_NUM_FORMS": "0",
        "rates-MAX_NUM_FORMS": "1000",
        "rates-0-vat_rate": "0.13", "rates-0-consumption_tax_rate": "0.15",
        "rates-0-consumption_tax_specific": "0", "rates-0-consumption_tax_specific_unit": "",
        "rates-0-export_refund_rate": "0.13", "rates-0-effective_from": "2026-01-01",
        "rates-0-effective_to": "", "rates-0-source": "entered by hand", "rates-0-notes": "",
    }
    data.update(overrides)
    return data


def test_zone_admin_adds_an_hs_code_with_its_rate(codes, client, zone_admin):
    client.force_login(zone_admin)
    response = client.post(f"{HS_LIST}add/", hs_form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    code = HsCode.objects.get(hs_code="3304990092")
    assert code.hs6_id == "330499"  # taken from the code itself
    assert code.rates.get().consumption_tax_rate == Decimal("0.15")
    actions = set(AuditEvent.objects.filter(actor_user=zone_admin).values_list("action", flat=True))
    assert actions == {"codes.hscode.create", "codes.hsrate.create"}


def test_an_hs_code_outside_hs_2022_is_refused_in_the_form(codes, client, zone_admin):
    client.force_login(zone_admin)
    response = client.post(f"{HS_LIST}add/", hs_form(hs_code="0101990000"))
    assert response.status_code == 200
    assert "The first six digits 010199 are not an HS 2022 subheading." in response.content.decode()
    assert not HsCode.objects.filter(hs_code="0101990000").exists()


def test_a_rate_of_13_instead_of_0_13_is_refused(codes, client, zone_admin):
    client.force_login(zone_admin)
    response = client.post(f"{HS_LIST}add/", hs_form(**{"rates-0-vat_rate": "13"}))
    assert response.status_code == 200
    rate_errors = response.context["inline_admin_formsets"][0].formset.errors[0]
    assert list(rate_errors) == ["vat_rate"]
    assert not HsCode.objects.filter(hs_code="3304990092").exists()


@pytest.mark.parametrize("model", ["trademode", "country", "currency", "unit", "transportmode", "wraptype",
                                   "customsdistrict", "division", "hschapter", "hs6", "hscode", "hsrate"])
def test_every_table_is_browsable_and_importable(codes, client, zone_admin, officer_with_perm, model):
    client.force_login(officer_with_perm)
    listing = client.get(f"/admin/codes/{model}/")
    assert listing.status_code == 200 and listing.context["cl"].result_count > 0
    client.force_login(zone_admin)
    page = client.get(f"/admin/codes/{model}/import/")
    assert page.status_code == 200 and "enctype=\"multipart/form-data\"" in page.content.decode()


def test_the_import_is_csrf_protected(codes, zone_admin):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(zone_admin)
    units_import = "/admin/codes/unit/import/"
    assert browser.post(units_import, upload("code,name_zh\n165,面\n")).status_code == 403
    assert not Unit.objects.filter(code="165").exists()
    token = browser.get(units_import).context["csrf_token"]
    response = browser.post(units_import, {**upload("code,name_zh\n165,面\n"), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Unit.objects.filter(code="165").exists()


def test_a_large_upload_stays_in_memory(codes, client, zone_admin, monkeypatch):
    """3 MB is above Django's in-memory threshold (2.5 MB): the import must still not spool to disk."""
    from django.core.files import uploadhandler

    def no_disk(*args, **kwargs):
        raise AssertionError("the upload was written to a temporary file")

    monkeypatch.setattr(uploadhandler.TemporaryFileUploadHandler, "new_file", no_disk)
    client.force_login(zone_admin)
    rows = "".join(f"{i:03d},{'长' * 400}\n" for i in range(3000))
    assert len(rows.encode()) > 3 * 1024 * 1024
    response = client.post("/admin/codes/unit/import/", upload("code,name_zh\n" + rows))
    assert response.status_code == 400  # the file was read: every name is too long
    assert "Longer than 50 characters" in response.content.decode()
