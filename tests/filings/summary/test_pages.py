"""The enterprise's summary declaration pages: list, detail with lines and the mapped lists,
confirmation (audited), Excel and PDF downloads — and who may see or do what."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from filings.summary import services
from filings.summary.models import Summary
from tests.accounts.factories import UserFactory
from tests.filings.summary.conftest import export_list
from zone_portal.accounts import roles
from zone_portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

LIST = reverse("filings:summary_list")


def url(name: str, summary: Summary) -> str:
    return reverse(f"filings:{name}", args=[summary.pk])


@pytest.fixture
def summary(cast) -> Summary:
    export_list(cast, "0001", lines=[{"gcode": "3304100000", "itemName": "玫瑰口红"}, {}])
    export_list(cast, "0002")
    services.summary_month_run(month=date(2026, 10, 1))
    return Summary.objects.get()


def test_the_enterprise_sees_its_summaries_listed(client, ebc_user, summary):
    client.force_login(ebc_user)
    page = client.get(LIST)
    assert page.status_code == 200
    assert summary.sum_no in page.content.decode()
    assert [s.pk for s in page.context["page"].object_list] == [summary.pk]
    assert list(client.get(LIST, {"month": "2026-09"}).context["page"].object_list) == []
    assert [s.pk for s in client.get(LIST, {"q": "INV-0002"}).context["page"].object_list] == [summary.pk]


def test_the_list_page_does_not_query_per_summary(client, ebc_user, cast, summary):
    export_list(cast, "0003", trafMode="2", released_at=summary.run.window_start)
    services.summary_month_run(month=date(2026, 10, 1))
    client.force_login(ebc_user)
    client.get(LIST)  # warm caches (session, menu)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    export_list(cast, "0004", portCode="3100", released_at=summary.run.window_start)
    export_list(cast, "0005", country="303", released_at=summary.run.window_start)
    services.summary_month_run(month=date(2026, 10, 1))
    with CaptureQueriesContext(connection) as many:
        page = client.get(LIST)
    assert len(page.context["page"].object_list) == 4
    assert len(many) == len(few)


def test_the_detail_shows_the_lines_and_the_lists_mapped_into_them(client, ebc_user, summary):
    client.force_login(ebc_user)
    page = client.get(url("summary_detail", summary))
    assert page.status_code == 200
    lines = list(page.context["lines"])
    assert [(line.gseqno, line.gcode) for line in lines] == [(1, "3304100000"), (2, "3304990000")]
    lists = {row["invt_no"]: row for row in page.context["lists"].object_list}
    assert lists["INV-0001"]["gseqnos"] == [1, 2] and lists["INV-0001"]["lines"] == 2
    assert lists["INV-0002"]["gseqnos"] == [2]
    text = page.content.decode()
    assert "INV-0001" in text and summary.decl_seq_no in text and 'id="confirm-form"' in text


def test_the_enterprise_confirms_its_summary_once_and_it_is_audited(client, ebc_user, summary):
    client.force_login(ebc_user)
    response = client.post(url("summary_confirm", summary))
    assert response.status_code == 302
    summary.refresh_from_db()
    assert summary.status == Summary.Status.CONFIRMED and summary.confirmed_by == ebc_user
    event = AuditEvent.objects.get(action="summary.summary.confirm")
    assert event.target_id == str(summary.pk) and event.actor_user == ebc_user
    assert event.organization_id == summary.organization_id
    assert event.changes == {"status": ["generated", "confirmed"]}
    again = client.post(url("summary_confirm", summary), follow=True)
    assert [m.level_tag for m in again.context["messages"]][-1] == "error"  # already confirmed
    assert AuditEvent.objects.filter(action="summary.summary.confirm").count() == 1
    assert 'id="confirm-form"' not in client.get(url("summary_detail", summary)).content.decode()


def test_the_excel_download_holds_the_head_the_lines_and_every_list_line(client, ebc_user, summary):
    client.force_login(ebc_user)
    response = client.get(url("summary_excel", summary))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="summary-{summary.sum_no}.xlsx"'
    book = load_workbook(BytesIO(response.content))
    head, lines, items = (list(ws.iter_rows(values_only=True)) for ws in book.worksheets)
    head = dict(head)
    assert head["sumNo"] == summary.sum_no and head["declSeqNo"] == summary.decl_seq_no
    assert head["ebcCode"] == summary.ebc_code and head["decState"] == "1"
    assert [row[:2] for row in lines[1:]] == [(1, "3304100000"), (2, "3304990000")]
    assert items[0] == ("invtNo", "logisticsNo", "gseqno", "gnum", "gcode")
    assert sorted(items[1:]) == [("INV-0001", "LOG-0001", 1, 1, "3304100000"),
                                 ("INV-0001", "LOG-0001", 2, 2, "3304990000"),
                                 ("INV-0002", "LOG-0002", 2, 1, "3304990000"),
                                 ("INV-0002", "LOG-0002", 2, 2, "3304990000")]


def test_the_pdf_download_is_a_pdf_with_a_chinese_font_embedded(client, ebc_user, summary):
    client.force_login(ebc_user)
    response = client.get(url("summary_pdf", summary))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert b"FontFile2" in response.content  # a TrueType font embedded (for the Chinese glyphs)


def test_without_a_cjk_font_the_pdf_is_refused_with_a_clear_message(client, ebc_user, summary, settings):
    settings.SUMMARY_PDF_FONT = "/nonexistent/font.ttf"
    client.force_login(ebc_user)
    response = client.get(url("summary_pdf", summary))
    assert response.status_code == 503
    assert "fonts-wqy-zenhei" in response.content.decode()


def test_another_enterprise_sees_nothing_of_it(client, other_user, summary):
    client.force_login(other_user)
    assert list(client.get(LIST).context["page"].object_list) == []
    for name in ("summary_detail", "summary_excel", "summary_pdf"):
        assert client.get(url(name, summary)).status_code == 404
    assert client.post(url("summary_confirm", summary)).status_code == 404
    summary.refresh_from_db()
    assert summary.status == Summary.Status.GENERATED
    assert not AuditEvent.objects.filter(action="summary.summary.confirm").exists()


def test_the_broker_who_declared_a_list_sees_the_summary_but_may_not_confirm_it(client, cast):
    export_list(cast, "0001", declarant=cast.broker, agentCode=cast.broker.code)
    services.summary_month_run(month=date(2026, 10, 1))
    summary = Summary.objects.get()
    broker_user = UserFactory(organization=cast.broker.org, role=roles.ENTERPRISE_ADMIN)
    client.force_login(broker_user)
    page = client.get(url("summary_detail", summary))
    assert page.status_code == 200 and 'id="confirm-form"' not in page.content.decode()
    assert client.post(url("summary_confirm", summary)).status_code == 403
    summary.refresh_from_db()
    assert summary.status == Summary.Status.GENERATED
    assert not AuditEvent.objects.filter(action="summary.summary.confirm").exists()


def test_officers_use_the_back_office_not_the_enterprise_pages(client, officer_with_perm, tax_officer, summary):
    for officer in (officer_with_perm, tax_officer):
        client.force_login(officer)
        assert client.get(LIST).status_code == 404
        assert client.get(url("summary_detail", summary)).status_code == 404
        changelist = client.get("/admin/summary/summary/")
        assert changelist.status_code == 200 and summary.sum_no in changelist.content.decode()
        assert client.get(f"/admin/summary/summary/{summary.pk}/change/").status_code == 200


def test_an_officer_without_the_permission_gets_403_in_the_back_office(client, officer_without_perm, summary):
    client.force_login(officer_without_perm)
    assert client.get("/admin/summary/summary/").status_code == 403
    assert client.get("/admin/summary/summaryrun/").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, summary):
    for target in (LIST, url("summary_detail", summary), url("summary_pdf", summary)):
        response = client.get(target)
        assert response.status_code == 302 and "login" in response["Location"]
