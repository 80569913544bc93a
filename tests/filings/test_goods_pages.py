"""Goods filing pages: the list with search, filters and export, the draft form with its field
errors, submission and change, pictures (type by content, at most five, served only to those who
may see the item), the Excel template and import with its error report, and who may see and do what."""

import io
import os
import struct
import zlib

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from filings.goods import GoodsStateError, goods_create, goods_decide, goods_submit
from filings.goods_excel import KEYS, TITLES
from filings.goods_images import GoodsImageLimit, goods_image_upload
from filings.models import GoodsImage, GoodsItem, GoodsVersion
from tests.accounts.factories import UserFactory
from tests.filings import goods_fixtures
from tests.filings.goods_fixtures import file_enterprise, good_data
from zone_portal.audit.models import AuditEvent
from zone_portal.core.errors import PermissionDenied

goods_codes_loaded = goods_fixtures.goods_codes_loaded
goods_codes = goods_fixtures.goods_codes

pytestmark = pytest.mark.usefixtures("goods_codes")

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HTMX = {"HTTP_HX_REQUEST": "true"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def png_bytes(colour: bytes = b"\xff\x00\x00") -> bytes:
    """A real 1×1 PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" + colour)) + chunk(b"IEND", b""))


def png(name="cream.png", colour=b"\xff\x00\x00"):
    return SimpleUploadedFile(name, png_bytes(colour), content_type="image/png")


def form_data(action="save", **overrides):
    """The goods form as a browser posts it."""
    data = good_data(**overrides)
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["action"] = action
    return data


def make_item(user, org, **overrides) -> GoodsItem:
    return goods_create(actor=user, organization=org, data=good_data(**overrides))


def filed_item(user, org, officer, **overrides) -> GoodsItem:
    """An item of ``org`` approved by customs (the enterprise gets filed first)."""
    if not hasattr(org, "filing"):
        file_enterprise(org)
    item = make_item(user, org, **overrides)
    version = goods_submit(actor=user, item=item)
    goods_decide(actor=officer, version=version, approve=True)
    item.refresh_from_db()
    return item


def workbook(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "goods"
    ws.append([TITLES[k] for k in KEYS])
    for row in rows:
        data = {**row, "modes": ",".join(row["modes"]) if isinstance(row["modes"], list) else row["modes"]}
        ws.append([data.get(k, "") for k in KEYS])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsx_upload(rows, name="goods.xlsx"):
    return SimpleUploadedFile(name, workbook(rows), content_type=XLSX)


def sheet_rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content), read_only=True).worksheets[0].iter_rows(values_only=True))


def content_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- the list -----------------------------------------------------------------------------------

def test_list_shows_own_goods_with_status_and_record_number_in_chinese(client, user_a, user_b, org_a, org_b,
                                                                       officer_with_perm):
    filed = filed_item(user_a, org_a, officer_with_perm, item_no="FILED-1", name="已备案面霜")
    make_item(user_a, org_a, item_no="DRAFT-1", name="草稿面霜")
    make_item(user_b, org_b, item_no="B-SECRET", name="乙企业商品")
    client.force_login(user_a)

    response = client.get(reverse("filings:goods_list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "FILED-1" in html and "DRAFT-1" in html and "B-SECRET" not in html
    assert filed.record_no in html
    assert "已备案" in html and "草稿" in html  # statuses, in Chinese by default
    assert f'href="{reverse("filings:goods_detail", args=[filed.pk])}"' in html
    for name in ("goods_template", "goods_import", "goods_export", "goods_create"):
        assert reverse(f"filings:{name}") in html


def test_search_by_sku_name_record_number_and_hs_code(client, user_a, org_a, officer_with_perm):
    filed = filed_item(user_a, org_a, officer_with_perm, item_no="CREAM-1", name="保湿面霜")
    make_item(user_a, org_a, item_no="BEEF-1", name="冷冻牛肉", hs_code="0201300000", direction="export",
              modes=["9610"], barcode="")
    client.force_login(user_a)

    def skus(**params):
        response = client.get(reverse("filings:goods_list"), params, **EN)
        assert response.status_code == 200
        return [row["item"].item_no for row in response.context["rows"]]

    assert skus() == ["BEEF-1", "CREAM-1"]
    assert skus(q="cream") == ["CREAM-1"]
    assert skus(q="牛肉") == ["BEEF-1"]
    assert skus(q=filed.record_no) == ["CREAM-1"]
    assert skus(hs_code="0201") == ["BEEF-1"]
    assert skus(status="filed") == ["CREAM-1"]
    assert skus(status="draft") == ["BEEF-1"]
    assert skus(mode="1210") == ["CREAM-1"]
    assert skus(mode="9610") == ["BEEF-1", "CREAM-1"]
    assert skus(q="nothing-like-this") == []
    html = client.get(reverse("filings:goods_list"), {"q": "nothing-like-this"}, **EN).content.decode()
    assert "No goods match the search." in html


def test_a_bad_hs_filter_is_reported_and_ignored(client, user_a, org_a):
    make_item(user_a, org_a)
    client.force_login(user_a)
    response = client.get(reverse("filings:goods_list"), {"hs_code": "33AB"}, **EN)
    assert response.status_code == 200
    assert "Give up to 10 digits of an HS code." in response.content.decode()
    assert len(response.context["rows"]) == 1


def test_list_is_paginated_with_a_fixed_number_of_queries(client, user_a, org_a, django_assert_max_num_queries):
    for n in range(25):
        make_item(user_a, org_a, item_no=f"SKU-{n:03d}")
    client.force_login(user_a)
    client.get(reverse("filings:goods_list"))  # warm the session and role look-ups
    with django_assert_max_num_queries(12):
        first = client.get(reverse("filings:goods_list"), **EN)
    assert len(first.context["rows"]) == 20
    second = client.get(reverse("filings:goods_list"), {"page": 2}, **EN)
    assert [r["item"].item_no for r in second.context["rows"]] == [f"SKU-{n:03d}" for n in range(20, 25)]
    assert "21–25 of 25" in second.content.decode()


# --- the form -----------------------------------------------------------------------------------

def test_unknown_hs_code_is_shown_on_its_field(client, user_a, org_a):
    client.force_login(user_a)
    response = client.post(reverse("filings:goods_create"), form_data(hs_code="3304990098"), **EN)

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["hs_code"] == ["This HS code is not in the commodity code table."]
    html = response.content.decode()
    assert 'id="id_hs_code_error"' in html
    assert "This HS code is not in the commodity code table." in html
    assert not GoodsItem.objects.exists()


def test_every_error_is_shown_on_its_field_in_chinese(client, user_a, org_a):
    client.force_login(user_a)
    response = client.post(reverse("filings:goods_create"),
                           form_data(hs_code="3304990098", barcode="4006381333932", unit_price="-1", name=""))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) >= {"hs_code", "barcode", "unit_price", "name"}
    assert "商品编号表中没有该商品编号。" in response.content.decode()


def test_wrong_legal_unit_and_duplicate_sku(client, user_a, org_a):
    make_item(user_a, org_a, item_no="SKU-001")
    client.force_login(user_a)
    response = client.post(reverse("filings:goods_create"), form_data(legal_unit_1="007"), **EN)
    errors = response.context["form"].errors
    assert errors["item_no"] == ["Your enterprise has already registered this SKU."]
    assert errors["legal_unit_1"] == ["The first legal unit of HS code 3304990099 is 035."]
    assert GoodsItem.objects.count() == 1


def test_create_a_draft(client, operator_a, org_a):
    client.force_login(operator_a)  # operators file goods too
    page = client.get(reverse("filings:goods_create"), **EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="modes" value="9710"' in html and '<option value="142">142 ' in html
    assert f'hx-get="{reverse("filings:goods_hs_lookup")}"' in html

    response = client.post(reverse("filings:goods_create"), form_data(declaration_elements="品名|用途|成分"), **EN)

    item = GoodsItem.objects.get(organization=org_a)
    assert response.status_code == 302 and response["Location"] == reverse("filings:goods_detail", args=[item.pk])
    version = item.versions.get()
    assert (version.status, version.declaration_elements) == ("draft", "品名|用途|成分")
    assert version.modes == ["1210", "9610"]
    assert AuditEvent.objects.filter(action="filings.goodsitem.create", actor_user=operator_a).exists()
    detail = client.get(response["Location"], **EN).content.decode()
    assert "Your draft was saved." in detail and "保湿面霜" in detail and "199.00" in detail


def test_create_and_submit(client, user_a, org_a):
    file_enterprise(org_a)
    client.force_login(user_a)
    response = client.post(reverse("filings:goods_create"), form_data(action="submit"), **EN)

    item = GoodsItem.objects.get(organization=org_a)
    assert response.status_code == 302
    assert item.status == GoodsItem.Status.UNDER_REVIEW
    assert item.versions.get().status == GoodsVersion.Status.UNDER_REVIEW
    detail = client.get(response["Location"], **EN).content.decode()
    assert "The goods item was submitted to customs for review." in detail
    assert "under review" in detail
    assert 'id="edit-goods"' not in detail  # under review: nothing to edit


def test_submit_before_the_enterprise_is_filed_keeps_the_draft(client, user_a, org_a):
    client.force_login(user_a)
    assert 'id="not-filed-ebc"' in client.get(reverse("filings:goods_create"), **EN).content.decode()
    response = client.post(reverse("filings:goods_create"), form_data(action="submit"), **EN)

    item = GoodsItem.objects.get(organization=org_a)
    assert item.status == GoodsItem.Status.DRAFT
    detail = client.get(response["Location"], **EN).content.decode()
    assert "Your draft was saved, but it has errors to correct." in detail
    assert "needs an effective filing as an e-commerce enterprise" in detail


def test_edit_a_draft_then_submit_from_the_detail_page(client, user_a, org_a):
    file_enterprise(org_a)
    item = make_item(user_a, org_a)
    client.force_login(user_a)
    page = client.get(reverse("filings:goods_edit", args=[item.pk]), **EN)
    assert page.status_code == 200
    form = page.context["form"]
    assert form["item_no"].value() == "SKU-001" and form["unit_price"].value() == "199.00"
    assert "Moisturising cream" in page.content.decode()

    response = client.post(reverse("filings:goods_edit", args=[item.pk]),
                           form_data(item_no="SKU-002", name="修护面霜", unit_price="88.5"), **EN)
    assert response.status_code == 302
    item.refresh_from_db()
    version = item.versions.get()
    assert (item.item_no, version.name, str(version.unit_price)) == ("SKU-002", "修护面霜", "88.50000")

    bad = client.post(reverse("filings:goods_edit", args=[item.pk]), form_data(origin_country="998"), **EN)
    assert bad.status_code == 400
    assert bad.context["form"].errors["origin_country"] == ["This country code is not in the country table."]

    client.post(reverse("filings:goods_submit", args=[item.pk]), **EN)
    item.refresh_from_db()
    assert item.status == GoodsItem.Status.UNDER_REVIEW
    under_review = client.get(reverse("filings:goods_edit", args=[item.pk]), **EN)
    assert under_review.status_code == 302
    assert "is under review and cannot be edited now" in client.get(under_review["Location"], **EN).content.decode()


def test_hs_code_lookup(client, user_a):
    client.force_login(user_a)
    url = reverse("filings:goods_hs_lookup")
    known = client.get(url, {"hs_code": "3304990099"}, **EN, **HTMX).content.decode()
    assert 'id="hs-info"' in known and "3304990099" in known and "035" in known
    assert "On the retail-import positive list" in known
    export_only = client.get(url, {"hs_code": "0201300000"}, **EN).content.decode()
    assert "Not on the retail-import positive list" in export_only
    unknown = client.get(url, {"hs_code": "3304990098"}, **EN).content.decode()
    assert "This HS code is not in the commodity code table." in unknown
    assert "exactly 10 digits" in client.get(url, {"hs_code": "3304"}, **EN).content.decode()


# --- detail, change, rejection ------------------------------------------------------------------

def test_detail_of_a_filed_item_and_a_change(client, user_a, org_a, officer_with_perm,
                                             django_capture_on_commit_callbacks):
    item = filed_item(user_a, org_a, officer_with_perm)
    GoodsImage.objects.create(version=item.effective_version, file=SimpleUploadedFile("a.png", png_bytes()),
                              content_type="image/png", size=10, sha256="0" * 64, position=1)
    client.force_login(user_a)
    html = client.get(reverse("filings:goods_detail", args=[item.pk]), **EN).content.decode()
    assert item.record_no in html and str(item.trace_id) in html
    assert "Version in force" in html and 'id="start-change"' in html and 'id="submit-goods"' not in html
    not_yet = client.get(reverse("filings:goods_edit", args=[item.pk]), **EN)
    assert not_yet.status_code == 302
    assert "Start a change to edit this goods item." in client.get(not_yet["Location"], **EN).content.decode()

    response = client.post(reverse("filings:goods_start_change", args=[item.pk]), **EN)

    assert response.status_code == 302 and response["Location"] == reverse("filings:goods_edit", args=[item.pk])
    draft = item.versions.get(status="draft")
    assert draft.number == 2 and draft.images.count() == 1  # the pictures come along
    edit = client.get(response["Location"], **EN)
    assert edit.context["form"].fields["item_no"].disabled  # the SKU of a filed item is fixed
    client.post(response["Location"], form_data(name="新包装面霜"), **EN)
    html = client.get(reverse("filings:goods_detail", args=[item.pk]), **EN).content.decode()
    assert "Change in progress" in html and "新包装面霜" in html and "保湿面霜" in html
    item.refresh_from_db()
    assert item.status == GoodsItem.Status.FILED and item.effective_version.name == "保湿面霜"

    # Removing the copied picture from the draft leaves the file of the version in force alone.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("filings:goods_image_delete", args=[draft.images.get().pk]))
    kept = item.effective_version.images.get()
    assert os.path.exists(kept.file.path)
    assert client.get(reverse("filings:goods_image", args=[kept.pk])).status_code == 200


def test_rejection_reason_is_shown_and_the_item_may_apply_again(client, user_a, org_a, officer_with_perm):
    file_enterprise(org_a)
    item = make_item(user_a, org_a)
    goods_decide(actor=officer_with_perm, version=goods_submit(actor=user_a, item=item), approve=False,
                 reason="申报要素不完整")
    client.force_login(user_a)
    html = client.get(reverse("filings:goods_detail", args=[item.pk]), **EN).content.decode()
    assert 'id="rejection"' in html and "申报要素不完整" in html and "rejected" in html
    assert "Apply again" in html
    client.post(reverse("filings:goods_start_change", args=[item.pk]), **EN)
    item.refresh_from_db()
    assert item.status == GoodsItem.Status.DRAFT and item.versions.count() == 2


# --- pictures -----------------------------------------------------------------------------------

def test_pictures_are_stored_and_served_only_to_those_who_may_see_the_item(client, user_a, user_b, org_a,
                                                                            officer_without_perm):
    client.force_login(user_a)
    response = client.post(reverse("filings:goods_create"),
                           form_data(images=[png("a.png"), SimpleUploadedFile("b.jpg", JPEG)]), **EN)
    assert response.status_code == 302
    images = list(GoodsImage.objects.order_by("position"))
    assert [(i.position, i.content_type) for i in images] == [(1, "image/png"), (2, "image/jpeg")]
    assert AuditEvent.objects.filter(action="filings.goodsimage.upload").count() == 2
    url = reverse("filings:goods_image", args=[images[0].pk])
    assert url in client.get(response["Location"]).content.decode()

    shown = client.get(url)
    assert shown.status_code == 200 and content_of(shown) == png_bytes()
    assert shown["Content-Type"] == "image/png" and shown["X-Content-Type-Options"] == "nosniff"

    client.force_login(user_b)
    assert client.get(url).status_code == 404
    client.force_login(officer_without_perm)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_a_sixth_picture_is_refused(client, user_a, org_a):
    client.force_login(user_a)
    six = [png(f"{n}.png", bytes([n, 0, 0])) for n in range(6)]
    at_once = client.post(reverse("filings:goods_create"), form_data(images=six), **EN)
    assert at_once.status_code == 400
    assert "at most 5 pictures" in at_once.context["form"].errors["images"][0]
    assert not GoodsItem.objects.exists()

    client.post(reverse("filings:goods_create"), form_data(images=[png(f"{n}.png") for n in range(5)]), **EN)
    item = GoodsItem.objects.get()
    assert GoodsImage.objects.count() == 5
    edit = client.get(reverse("filings:goods_edit", args=[item.pk]), **EN)
    assert edit.context["form"].fields["images"].disabled
    sixth = client.post(reverse("filings:goods_edit", args=[item.pk]), form_data(images=[png("6.png")]), **EN)
    # A disabled input is ignored, whatever a hand-made request sends.
    assert sixth.status_code == 302 and GoodsImage.objects.count() == 5


def test_one_more_picture_than_room_is_refused_on_edit(client, user_a, org_a):
    client.force_login(user_a)
    client.post(reverse("filings:goods_create"), form_data(images=[png(f"{n}.png") for n in range(4)]), **EN)
    item = GoodsItem.objects.get()
    response = client.post(reverse("filings:goods_edit", args=[item.pk]),
                           form_data(images=[png("5.png"), png("6.png")]), **EN)
    assert response.status_code == 400
    assert response.context["form"].errors["images"] == [
        "A goods item has at most 5 pictures; it has 4 and you chose 2."]
    assert GoodsImage.objects.count() == 4


@pytest.mark.parametrize("name, content, message", [
    ("notes.png", b"hello, I am a text file\n", "Only JPEG or PNG images are accepted; this file is neither."),
    ("scan.pdf", b"%PDF-1.4\n%%EOF\n", "Only JPEG or PNG images are accepted; this file is neither."),
    ("photo.jpg", png_bytes(), "The file name ends in .jpg but the file is a PNG; upload it under its real type."),
])
def test_a_file_that_is_not_a_picture_is_refused(client, user_a, org_a, name, content, message):
    client.force_login(user_a)
    response = client.post(reverse("filings:goods_create"),
                           form_data(hs_code="3304990098",
                                     images=[SimpleUploadedFile(name, content, content_type="image/png")]), **EN)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["images"] == [f"{name}: {message}"]
    assert errors["hs_code"] == ["This HS code is not in the commodity code table."]  # all errors at once
    assert not GoodsItem.objects.exists() and not GoodsImage.objects.exists()


def test_a_picture_over_10_mb_is_refused(client, user_a, org_a):
    client.force_login(user_a)
    big = SimpleUploadedFile("big.png", png_bytes() + b"0" * (10 * 1024 * 1024), content_type="image/png")
    response = client.post(reverse("filings:goods_create"), form_data(images=[big]), **EN)
    assert response.status_code == 400
    assert response.context["form"].errors["images"] == ["big.png: The file is larger than 10 MB."]
    assert not GoodsImage.objects.exists()


def test_remove_a_picture_from_a_draft(client, user_a, user_b, org_a, django_capture_on_commit_callbacks):
    client.force_login(user_a)
    client.post(reverse("filings:goods_create"), form_data(images=[png("a.png"), png("b.png")]), **EN)
    item = GoodsItem.objects.get()
    image = GoodsImage.objects.get(position=1)
    path = image.file.path

    client.force_login(user_b)
    assert client.post(reverse("filings:goods_image_delete", args=[image.pk])).status_code == 404
    assert GoodsImage.objects.count() == 2

    client.force_login(user_a)
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the deletion commits
        response = client.post(reverse("filings:goods_image_delete", args=[image.pk]), **EN)
    assert response.status_code == 302 and response["Location"] == reverse("filings:goods_edit", args=[item.pk])
    assert list(GoodsImage.objects.values_list("position", flat=True)) == [2]
    assert AuditEvent.objects.filter(action="filings.goodsimage.delete").exists()
    assert not os.path.exists(path)


def test_the_picture_service_keeps_five_to_a_draft_of_the_own_enterprise(user_a, user_b, org_a):
    file_enterprise(org_a)
    item = make_item(user_a, org_a)
    version = item.versions.get()
    for n in range(5):
        goods_image_upload(actor=user_a, version=version, upload=png(f"{n}.png"))
    with pytest.raises(GoodsImageLimit):
        goods_image_upload(actor=user_a, version=version, upload=png("6.png"))
    GoodsImage.objects.filter(version=version, position=3).delete()
    with pytest.raises(PermissionDenied):
        goods_image_upload(actor=user_b, version=version, upload=png("b.png"))
    assert goods_image_upload(actor=user_a, version=version, upload=png("3.png")).position == 3  # the free place
    goods_submit(actor=user_a, item=item)
    GoodsImage.objects.filter(version=version, position=1).delete()
    with pytest.raises(GoodsStateError):  # under review: what customs sees does not change
        goods_image_upload(actor=user_a, version=version, upload=png("late.png"))
    assert GoodsImage.objects.filter(version=version).count() == 4
    assert AuditEvent.objects.filter(action="filings.goodsimage.upload").count() == 6


# --- Excel --------------------------------------------------------------------------------------

def test_template_download(client, user_a):
    client.force_login(user_a)
    response = client.get(reverse("filings:goods_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == 'attachment; filename="goods-template.xlsx"'
    assert sheet_rows(response.content)[0] == tuple(TITLES[k] for k in KEYS)


def test_export_holds_the_filtered_goods_of_the_enterprise_only(client, user_a, user_b, org_a, org_b,
                                                               officer_with_perm):
    filed = filed_item(user_a, org_a, officer_with_perm, item_no="CREAM-1")
    make_item(user_a, org_a, item_no="BEEF-1", name="冷冻牛肉", hs_code="0201300000", direction="export",
              modes=["9610"], barcode="")
    make_item(user_b, org_b, item_no="B-SECRET")
    client.force_login(user_a)

    everything = client.get(reverse("filings:goods_export"))
    assert everything.status_code == 200 and everything["Content-Type"] == XLSX
    assert everything["Content-Disposition"].startswith('attachment; filename="goods-')
    rows = sheet_rows(everything.content)
    assert rows[0][:2] == ("商品货号 (SKU)", "商品名称 (Chinese name)")
    assert [r[0] for r in rows[1:]] == ["BEEF-1", "CREAM-1"]

    only_filed = sheet_rows(client.get(reverse("filings:goods_export"), {"status": "filed"}).content)
    assert [(r[0], r[3], r[-3]) for r in only_filed[1:]] == [("CREAM-1", "3304990099", filed.record_no)]
    list_page = client.get(reverse("filings:goods_list"), {"status": "filed", "page": "1"}).content.decode()
    assert f'{reverse("filings:goods_export")}?status=filed"' in list_page


BAD_ROWS = [
    good_data(item_no="OK-1"),                               # row 2
    good_data(item_no="BAD-HS", hs_code="3304990098"),       # row 3: unknown HS code
    good_data(item_no="OK-2", barcode="", modes=["1210"]),   # row 4
]


def test_import_all_or_nothing_reports_the_bad_row_and_imports_nothing(client, user_a, user_b, org_a):
    client.force_login(user_a)
    assert client.get(reverse("filings:goods_import"), **EN).status_code == 200
    response = client.post(reverse("filings:goods_import"),
                           {"file": xlsx_upload(BAD_ROWS), "mode": "all_or_nothing"}, **EN)

    assert response.status_code == 302
    assert not GoodsItem.objects.exists()
    page = client.get(response["Location"], **EN)
    html = page.content.decode()
    assert 'id="nothing-imported"' in html
    assert page.context["result"]["created"] == 0 and page.context["result"]["rows"] == 3
    assert [(e.row, e.column, e.code) for e in page.context["errors"]] == [
        (3, "商品编码 (HS code)", "hs_code_unknown")]
    assert "This HS code is not in the commodity code table." in html

    report_url = reverse("filings:goods_import_report", args=[page.context["token"]])
    assert report_url in html
    report = client.get(report_url)
    assert report.status_code == 200 and report["Content-Type"] == XLSX
    assert report["Content-Disposition"] == 'attachment; filename="goods-import-errors.xlsx"'
    rows = sheet_rows(report.content)
    assert rows[1][:3] == (3, "商品编码 (HS code)", "hs_code_unknown")

    # The result belongs to whoever imported: another user cannot open it, even with the link.
    client.force_login(user_b)
    assert client.get(report_url).status_code == 404
    assert client.get(response["Location"]).status_code == 302


def test_import_good_rows_imports_the_good_ones(client, operator_a, org_a):
    client.force_login(operator_a)
    response = client.post(reverse("filings:goods_import"), {"file": xlsx_upload(BAD_ROWS), "mode": "good_rows"},
                           **EN)
    page = client.get(response["Location"], **EN)
    assert page.context["result"]["created"] == 2
    assert 'id="some-imported"' in page.content.decode()
    assert sorted(GoodsItem.objects.filter(organization=org_a).values_list("item_no", flat=True)) == ["OK-1", "OK-2"]
    assert set(GoodsVersion.objects.values_list("status", flat=True)) == {"draft"}
    assert client.get(reverse("filings:goods_import_report", args=[page.context["token"]])).status_code == 200


def test_import_of_a_clean_file_has_no_report(client, user_a, org_a):
    client.force_login(user_a)
    response = client.post(reverse("filings:goods_import"),
                           {"file": xlsx_upload([BAD_ROWS[0]]), "mode": "all_or_nothing"}, **EN)
    page = client.get(response["Location"], **EN)
    assert 'id="all-imported"' in page.content.decode()
    assert client.get(reverse("filings:goods_import_report", args=[page.context["token"]])).status_code == 404
    assert GoodsItem.objects.count() == 1


def test_import_of_a_file_that_is_not_a_workbook(client, user_a, org_a):
    client.force_login(user_a)
    response = client.post(reverse("filings:goods_import"),
                           {"file": SimpleUploadedFile("goods.xlsx", b"not a workbook"), "mode": "good_rows"}, **EN)
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["The file is not an Excel workbook (.xlsx)."]
    assert not AuditEvent.objects.filter(action="filings.goodsitem.import").exists()


def test_an_expired_import_result(client, user_a):
    client.force_login(user_a)
    response = client.get(reverse("filings:goods_import_result", args=["expired-token-1"]), **EN)
    assert response.status_code == 302 and response["Location"] == reverse("filings:goods_import")
    assert client.get(reverse("filings:goods_import_report", args=["expired-token-1"])).status_code == 404
    assert client.get(reverse("filings:goods_import_result", args=["a:b*c"])).status_code == 404


# --- who may see and do what --------------------------------------------------------------------

def test_enterprise_b_gets_404_on_everything_of_a(client, user_a, user_b, org_a, officer_with_perm):
    item = filed_item(user_a, org_a, officer_with_perm)
    draft = make_item(user_a, org_a, item_no="DRAFT-1")
    events = AuditEvent.objects.count()
    client.force_login(user_b)
    for name, args in (("goods_detail", [item.pk]), ("goods_edit", [draft.pk])):
        assert client.get(reverse(f"filings:{name}", args=args)).status_code == 404
    for name, args in (("goods_edit", [draft.pk]), ("goods_submit", [draft.pk]),
                       ("goods_start_change", [item.pk])):
        assert client.post(reverse(f"filings:{name}", args=args), form_data(name="乙改的")).status_code == 404
    assert "DRAFT-1" not in client.get(reverse("filings:goods_list")).content.decode()
    assert sheet_rows(client.get(reverse("filings:goods_export")).content)[1:] == []
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.versions.get().name == "保湿面霜"
    assert item.versions.count() == 1
    assert AuditEvent.objects.count() == events


def test_officers_get_404_on_the_goods_pages(client, user_a, org_a, officer_with_perm):
    item = make_item(user_a, org_a)
    client.force_login(officer_with_perm)  # customs reviews goods in the back office, not here
    for name, args in (("goods_list", []), ("goods_create", []), ("goods_import", []), ("goods_export", []),
                       ("goods_template", []), ("goods_hs_lookup", []), ("goods_detail", [item.pk]),
                       ("goods_edit", [item.pk])):
        assert client.get(reverse(f"filings:{name}", args=args)).status_code == 404, name
    assert client.post(reverse("filings:goods_submit", args=[item.pk])).status_code == 404
    item.refresh_from_db()
    assert item.status == GoodsItem.Status.DRAFT


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("filings:goods_list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_user_without_a_role_may_look_but_not_write(client, user_a, org_a):
    item = make_item(user_a, org_a)
    reader = UserFactory(organization=org_a)
    reader.groups.clear()
    client.force_login(reader)
    html = client.get(reverse("filings:goods_list"), **EN).content.decode()
    assert "SKU-001" in html and 'id="new-goods"' not in html
    assert 'id="edit-goods"' not in client.get(reverse("filings:goods_detail", args=[item.pk]), **EN).content.decode()
    for name, args in (("goods_create", []), ("goods_edit", [item.pk]), ("goods_import", [])):
        response = client.post(reverse(f"filings:{name}", args=args), form_data(name="改"), **EN)
        assert response.status_code == 302 and response["Location"] == reverse("filings:goods_list")
    assert item.versions.get().name == "保湿面霜" and GoodsItem.objects.count() == 1


def test_menu_entry(client, user_a):
    apps.get_app_config("filings").ready()  # other tests may swap the registry's entries
    client.force_login(user_a)
    html = client.get(reverse("portal:dashboard"), **EN).content.decode()
    assert f'href="{reverse("filings:goods_list")}"' in html and "Goods filing" in html
