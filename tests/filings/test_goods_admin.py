"""The customs goods queue in the back office: bulk approval with per-item results, rejection
through the change form, refusals for other officers, and the diff of a change."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from filings.goods import goods_create, goods_decide, goods_start_change, goods_submit, goods_update_draft
from filings.models import GoodsItem, GoodsVersion
from tests.filings import goods_fixtures
from tests.filings.goods_fixtures import file_enterprise, good_data
from zone_portal.audit.models import AuditEvent

goods_codes_loaded = goods_fixtures.goods_codes_loaded
goods_codes = goods_fixtures.goods_codes
tax_officer = goods_fixtures.tax_officer

pytestmark = pytest.mark.usefixtures("goods_codes")

QUEUE = reverse("admin:filings_goodsversion_changelist")
ITEMS = reverse("admin:filings_goodsitem_changelist")


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English (the msgids), whatever translations exist."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def change_url(version):
    return reverse("admin:filings_goodsversion_change", args=[version.pk])


def decision(**data):
    """The change form's POST: the decision and the (empty) management form of the images inline."""
    return {"images-TOTAL_FORMS": "0", "images-INITIAL_FORMS": "0", "images-MIN_NUM_FORMS": "0",
            "images-MAX_NUM_FORMS": "1000", **data}


def submitted(user, org, sku, **overrides):
    item = goods_create(actor=user, organization=org, data=good_data(item_no=sku, **overrides))
    return goods_submit(actor=user, item=item)


@pytest.fixture
def queue(org_a, user_a):
    """Two goods of enterprise A under review and one still a draft."""
    file_enterprise(org_a)
    first = submitted(user_a, org_a, "SKU-A1")
    second = submitted(user_a, org_a, "SKU-A2")
    draft = goods_create(actor=user_a, organization=org_a, data=good_data(item_no="SKU-DRAFT")).versions.get()
    return first, second, draft


def texts(response):
    return [(m.level_tag, str(m.message)) for m in get_messages(response.wsgi_request)]


def test_queue_lists_versions_under_review_by_default(client, queue, officer_with_perm):
    first, second, draft = queue
    client.force_login(officer_with_perm)
    page = client.get(QUEUE)
    assert page.status_code == 200
    shown = {v.pk for v in page.context["cl"].result_list}
    assert shown == {first.pk, second.pk}
    assert b"3304990099" in page.content and first.hs_code.name_zh.encode() in page.content
    every = client.get(QUEUE, {"status": "all"})
    assert {v.pk for v in every.context["cl"].result_list} == {first.pk, second.pk, draft.pk}


def test_customs_officer_approves_in_bulk_with_per_item_results(client, queue, officer_with_perm):
    first, second, draft = queue
    before = AuditEvent.objects.filter(action="filings.goodsitem.approve").count()
    client.force_login(officer_with_perm)
    response = client.post(QUEUE + "?status=all", {
        "action": "approve_selected", "_selected_action": [first.pk, second.pk, draft.pk]}, follow=True)
    assert response.status_code == 200
    msgs = texts(response)
    assert ("success", "2 goods approved.") in msgs
    errors = [text for level, text in msgs if level == "error"]
    assert len(errors) == 1 and errors[0].startswith("SKU-DRAFT: ") and "(goods_wrong_state)" in errors[0]
    for version in (first, second):
        item = GoodsItem.objects.get(pk=version.item_id)
        assert item.status == "filed" and item.record_no and item.effective_version_id == version.pk
    assert GoodsItem.objects.get(pk=draft.item_id).record_no is None
    assert GoodsVersion.objects.get(pk=draft.pk).status == "draft"
    assert AuditEvent.objects.filter(action="filings.goodsitem.approve").count() == before + 2


def test_reject_without_reason_shows_error_and_changes_nothing(client, queue, officer_with_perm):
    first, _, _ = queue
    before = AuditEvent.objects.count()
    client.force_login(officer_with_perm)
    page = client.post(change_url(first), decision(decision="reject", reason="  "))
    assert page.status_code == 200
    assert page.context["adminform"].form.errors["reason"] == ["Give the reason for the rejection."]
    first.refresh_from_db()
    assert first.status == "under_review" and AuditEvent.objects.count() == before


def test_reject_with_reason_goes_through_the_service(client, queue, officer_with_perm):
    first, _, _ = queue
    client.force_login(officer_with_perm)
    response = client.post(change_url(first), decision(decision="reject", reason="申报要素不全"))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == "rejected" and first.reason == "申报要素不全" and first.decided_by == officer_with_perm
    assert GoodsItem.objects.get(pk=first.item_id).status == "rejected"
    assert AuditEvent.objects.filter(action="filings.goodsitem.reject", target_id=str(first.item_id)).exists()
    # once decided the page is read-only: a second post is refused
    assert client.post(change_url(first), decision(decision="approve", reason="")).status_code == 403


def test_approve_through_the_change_form(client, queue, officer_with_perm):
    first, _, _ = queue
    client.force_login(officer_with_perm)
    assert client.post(change_url(first), decision(decision="approve", reason="")).status_code == 302
    item = GoodsItem.objects.get(pk=first.item_id)
    assert item.status == "filed" and item.record_no


@pytest.mark.parametrize("who", ["tax_officer", "officer_without_perm"])
def test_other_officers_are_refused_and_nothing_changes(client, queue, request, who):
    first, second, _ = queue
    before = AuditEvent.objects.count()
    client.force_login(request.getfixturevalue(who))
    assert client.get(QUEUE).status_code == 403
    assert client.get(ITEMS).status_code == 403
    assert client.post(QUEUE, {"action": "approve_selected",
                               "_selected_action": [first.pk, second.pk]}).status_code == 403
    assert client.post(change_url(first), decision(decision="reject", reason="x")).status_code == 403
    for version in (first, second):
        version.refresh_from_db()
        assert version.status == "under_review"
        assert GoodsItem.objects.get(pk=version.item_id).record_no is None
    assert AuditEvent.objects.count() == before


def test_customs_role_without_customs_organization_cannot_decide(client, queue, tax_officer):
    """A permission granted by mistake to an officer of another department is not enough."""
    from django.contrib.auth.models import Permission

    first, _, _ = queue
    tax_officer.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="filings", codename__in=["view_goodsversion", "change_goodsversion"]))
    before = AuditEvent.objects.count()
    client.force_login(tax_officer)
    assert client.post(change_url(first), decision(decision="approve", reason="")).status_code == 403
    first.refresh_from_db()
    assert first.status == "under_review" and AuditEvent.objects.count() == before


def test_goods_item_list_and_search(client, queue, officer_with_perm, org_a):
    client.force_login(officer_with_perm)
    page = client.get(ITEMS, {"q": "SKU-A1"})
    assert page.status_code == 200
    assert [i.item_no for i in page.context["cl"].result_list] == ["SKU-A1"]
    by_uscc = client.get(ITEMS, {"q": org_a.uscc})
    assert {i.item_no for i in by_uscc.context["cl"].result_list} == {"SKU-A1", "SKU-A2", "SKU-DRAFT"}
    by_chapter = client.get(ITEMS, {"hs_chapter": "33"})
    assert by_chapter.context["cl"].result_count == 3
    assert client.get(ITEMS, {"hs_chapter": "01"}).context["cl"].result_count == 0


def test_change_page_shows_diff_against_version_in_force(client, org_a, user_a, officer_with_perm):
    file_enterprise(org_a)
    first = submitted(user_a, org_a, "SKU-CHG")
    goods_decide(actor=officer_with_perm, version=first, approve=True)
    item = GoodsItem.objects.get(pk=first.item_id)
    change = goods_start_change(actor=user_a, item=item)
    goods_update_draft(actor=user_a, item=item, data=good_data(item_no="SKU-CHG", name="面霜（新包装）",
                                                               brand="新品牌"))
    goods_submit(actor=user_a, item=item)
    client.force_login(officer_with_perm)
    page = client.get(change_url(change))
    assert page.status_code == 200
    changed = [row.label for row in page.context["version_diff"] if row.changed]
    assert changed == ["name (Chinese)", "brand"]
    html = page.content.decode()
    assert html.count('class="diff-changed"') == 2
    assert "<mark>面霜（新包装）</mark>" in html and "<del>保湿面霜</del>" in html
    assert 'style="' not in html.split('class="version-diff-table"')[1].split("</table>")[0]
    # the first version is not a change: no diff
    first_page = client.get(change_url(first))
    assert first_page.status_code == 200 and first_page.context["version_diff"] is None
    assert "version-diff-table" not in first_page.content.decode()
